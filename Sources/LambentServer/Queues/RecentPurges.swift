import Synchronization

/// When each queue was last purged: SQS allows one `PurgeQueue` per queue every 60 seconds.
/// Kept in memory: a restart forgets them, which only lets a purge through early.
final class RecentPurges: Sendable {
    private let started = Mutex<[String: Int64]>([:])
    static let interval: Int64 = 60_000

    /// Records a purge of `queue` at `now` (epoch milliseconds); false when one began less
    /// than a minute ago.
    func begin(_ queue: String, now: Int64) -> Bool {
        started.withLock { started in
            if let last = started[queue], now - last < Self.interval { return false }
            started = started.filter { now - $0.value < Self.interval }
            started[queue] = now
            return true
        }
    }
}
