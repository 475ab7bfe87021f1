/// The lifecycle shared by the pools that work on a thread of their own (`LauncherPool`,
/// `EphemeralStoragePool`): `idle` → `running` → `stopping` → `stopped`, or `idle` →
/// `stopped` when never started. Kept inside the pool's locked state.
struct PoolLifecycle {
    enum Phase { case idle, running, stopping, stopped }

    private(set) var phase = Phase.idle
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    /// Moves `idle` to `running`; false if the pool was started or stopped before.
    mutating func start() -> Bool {
        guard phase == .idle else { return false }
        phase = .running
        return true
    }

    /// Asks the thread to stop and to resume `waiter` when it has. Returns false when there
    /// is no thread to ask (never started, or stopped already): the caller resumes `waiter`.
    mutating func stop(resuming waiter: CheckedContinuation<Void, Never>) -> Bool {
        switch phase {
        case .idle, .stopped:
            phase = .stopped
            return false
        case .running, .stopping:
            phase = .stopping
            stopWaiters.append(waiter)
            return true
        }
    }

    /// The thread has stopped: returns whoever waits for it.
    mutating func finish() -> [CheckedContinuation<Void, Never>] {
        phase = .stopped
        defer { stopWaiters.removeAll() }
        return stopWaiters
    }
}
