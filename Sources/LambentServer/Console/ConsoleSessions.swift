import Foundation
import LambentModel
import Synchronization

/// The console's signed-in sessions, in memory (a restart signs everyone out): a random id
/// (the `lambent_console` cookie), a CSRF token every form carries, and an expiry.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        var id: String
        var csrf: String
        var expires: Date
    }

    let lifetime: Duration
    private let sessions = Mutex<[String: Session]>([:])

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    var lifetimeSeconds: Double {
        Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
    }

    func create(now: Date = Date()) -> Session {
        let session = Session(id: RandomID.hex(64), csrf: RandomID.hex(64), expires: now.addingTimeInterval(lifetimeSeconds))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session of this id; an expired one is forgotten.
    func session(_ id: String, now: Date = Date()) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    func end(_ id: String) {
        sessions.withLock { $0[id] = nil }
    }

    /// Equal strings, compared in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
