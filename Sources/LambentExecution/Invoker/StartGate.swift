import NIOCore
import Synchronization

/// Limits how many environments start (launch and initialize) at once. A burst larger than
/// the machine can initialize within Lambda's 10 s init limit then waits its turn instead of
/// timing out: the limit counts from the start of each environment's init, not from the
/// arrival of its request. Waiters are served in arrival order.
public final class StartGate: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(available: max(1, limit)))
    }

    /// How many environments may start at once on a machine with `cores` cores: enough to
    /// keep every core busy while others wait on I/O, few enough that each gets its share.
    public static func defaultLimit(cores: Int) -> Int { max(4, 4 * cores) }

    /// Waits for a turn to start an environment. Throws `CancellationError` (holding no turn)
    /// when the waiting task is cancelled: its caller has gone away.
    func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admitted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return nil }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return false
                }
                switch admitted {
                case true?: continuation.resume()
                case nil: continuation.resume(throwing: CancellationError())
                case false?: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Ends a turn; the longest waiter goes next.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.available += 1
            return nil
        }
        next?.resume()
    }
}
