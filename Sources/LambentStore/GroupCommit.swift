import Synchronization

/// Group commit: writers that arrive while a transaction is being committed wait for the
/// next one, which commits all of them at once. Each caller still returns only after its own
/// write is durable, but under load one commit (and one hop to the database's writer) serves
/// many callers instead of one.
///
/// ```swift
/// let sends = GroupCommit<Request, [SentMessage]> { batch in try await store.sendAll(batch) }
/// let sent = try await sends.submit(request)
/// ```
///
/// When a batch fails, its requests are retried one by one, so one bad request fails alone.
final class GroupCommit<Request: Sendable, Answer: Sendable>: Sendable {
    private typealias Waiter = (request: Request, continuation: CheckedContinuation<Answer, any Error>)

    private struct State {
        var pending: [Waiter] = []
        var committing = false
    }

    private let state = Mutex(State())
    private let maximumBatch: Int
    /// Commits the requests in one transaction, answering each in order.
    private let commit: @Sendable ([Request]) async throws -> [Answer]

    init(maximumBatch: Int = 512, commit: @escaping @Sendable ([Request]) async throws -> [Answer]) {
        self.maximumBatch = maximumBatch
        self.commit = commit
    }

    func submit(_ request: Request) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let leads = state.withLock { state -> Bool in
                state.pending.append((request, continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            if leads { Task { await self.drain() } }
        }
    }

    /// Commits batches until nobody waits.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                if state.pending.isEmpty {
                    state.committing = false
                    return []
                }
                let taken = Array(state.pending.prefix(maximumBatch))
                state.pending.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            do {
                let answers = try await commit(batch.map(\.request))
                precondition(answers.count == batch.count, "a group commit answers every request")
                for (waiter, answer) in zip(batch, answers) { waiter.continuation.resume(returning: answer) }
            } catch where batch.count > 1 {
                for waiter in batch {
                    do {
                        waiter.continuation.resume(returning: try await commit([waiter.request])[0])
                    } catch {
                        waiter.continuation.resume(throwing: error)
                    }
                }
            } catch {
                batch[0].continuation.resume(throwing: error)
            }
        }
    }
}
