import Foundation
import Synchronization

/// Wakes long polls: a receive with nothing to take waits here until a send to its queue
/// signals it, or its time is up.
final class QueueSignals: Sendable {
    private struct Waiter {
        var queue: String
        var continuation: CheckedContinuation<Void, Never>?
        /// Set when the waiter is resumed before its continuation arrived.
        var done = false
    }

    private let waiters = Mutex<[UInt64: Waiter]>([:])
    private let lastID = Mutex<UInt64>(0)

    /// Returns when `queue` is signalled or after `milliseconds`, whichever comes first.
    func wait(for queue: String, milliseconds: Int64) async {
        let id = lastID.withLock { id -> UInt64 in
            id += 1
            return id
        }
        waiters.withLock { $0[id] = Waiter(queue: queue) }
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            self.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = waiters.withLock { waiters -> Bool in
                    guard var waiter = waiters[id], !waiter.done else {
                        waiters[id] = nil
                        return true
                    }
                    waiter.continuation = continuation
                    waiters[id] = waiter
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
        timer.cancel()
    }

    /// Wakes every receive waiting on `queue`.
    func signal(_ queue: String) {
        let ids = waiters.withLock { $0.filter { $0.value.queue == queue }.map(\.key) }
        for id in ids { resume(id) }
    }

    private func resume(_ id: UInt64) {
        let continuation = waiters.withLock { waiters -> CheckedContinuation<Void, Never>? in
            guard var waiter = waiters[id] else { return nil }
            if let continuation = waiter.continuation {
                waiters[id] = nil
                return continuation
            }
            waiter.done = true
            waiters[id] = waiter
            return nil
        }
        continuation?.resume()
    }
}
