import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Disk-backed /tmp volumes for environments, the usual size made ahead of demand.
///
/// A few volumes of the default EphemeralStorage (512 MB) wait formatted and mounted, so an
/// environment of that size gets its /tmp without an `mkfs` or a `mount` on its cold-start
/// path; a background thread makes a new one for each claimed, and unmounts and deletes
/// released volumes. Other sizes are made on demand, while the caller waits (a few
/// milliseconds, 10,240 MB included). A pooled volume keeps its pool name (`pool-<n>`).
///
/// ```swift
/// let pool = EphemeralStoragePool(storage: storage, logger: logger)
/// pool.start()                                                   // or run it as a Service
/// let tmp = try pool.prepare(environmentID: id, sizeMB: 512)     // bwrap --bind tmp /tmp
/// pool.release(tmp)                                              // once the sandbox is gone
/// await pool.shutdown()
/// ```
public final class EphemeralStoragePool: Service, Sendable {
    /// How the pool runs.
    public struct Configuration: Sendable {
        /// How many volumes to keep ready.
        public var size: Int
        /// Their size in MB (Lambda's default EphemeralStorage).
        public var sizeMB: Int
        /// The pause before trying again after a volume could not be made; it doubles with
        /// each failure in a row, up to a minute.
        public var retryDelay: Duration = .seconds(1)

        /// Creates a configuration.
        public init(size: Int = 2, sizeMB: Int = 512) {
            self.size = size
            self.sizeMB = sizeMB
        }
    }

    /// What the pool has done so far.
    public struct Statistics: Sendable, Equatable {
        /// Volumes ready now.
        public var ready = 0
        /// Volumes handed out from the pool.
        public var claimed = 0
        /// Volumes made on demand (another size, or none was ready).
        public var made = 0
        /// Volumes released (unmounted and deleted).
        public var released = 0
        /// Volumes that could not be made in the background.
        public var failed = 0
    }

    struct State {
        var lifecycle = PoolLifecycle()
        var ready: [String] = []
        /// Released volumes the thread has yet to unmount and delete.
        var releasing: [String] = []
        var statistics = Statistics()
    }

    /// Where the volumes are made.
    public let storage: EphemeralStorage
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// Wakes the thread: a volume was claimed or released, or the pool is stopping.
    private let wakeup = DispatchSemaphore(value: 0)
    /// Names the pooled volumes (`pool-<n>`).
    private static let volumesMade = Atomic<Int>(0)

    /// Creates a pool; nothing is made until ``start()`` (or ``run()``).
    public init(storage: EphemeralStorage, configuration: Configuration = .init(), logger: Logger) {
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
    }

    /// What the pool has done so far.
    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.ready = state.ready.count
            return statistics
        }
    }

    /// The mount point of a volume of `sizeMB` MB for an environment, to bind at its /tmp: a
    /// ready one when the size is the pool's, else one made now (named after the environment),
    /// which blocks for a few milliseconds.
    public func prepare(environmentID: String, sizeMB: Int) throws(SandboxError) -> String {
        let pooled = state.withLock { state -> String? in
            guard sizeMB == configuration.sizeMB, state.lifecycle.phase == .running, !state.ready.isEmpty else { return nil }
            state.statistics.claimed += 1
            return state.ready.removeFirst()
        }
        if let pooled {
            wakeup.signal()
            return pooled
        }
        let path = try storage.create(name: environmentID, sizeMB: sizeMB)
        state.withLock { $0.statistics.made += 1 }
        return path
    }

    /// Unmounts and deletes a volume once its environment's processes are gone: on the pool's
    /// thread while it runs (the caller does not wait), else right away.
    public func release(_ path: String) {
        let queued = state.withLock { state in
            // Not once stopping: the thread may have taken its last list already.
            guard state.lifecycle.phase == .running else { return false }
            state.releasing.append(path)
            return true
        }
        if queued {
            wakeup.signal()
        } else {
            storage.remove(path)
            state.withLock { $0.statistics.released += 1 }
        }
    }

    // MARK: The thread

    /// Starts the thread, which makes volumes until the pool is full and one more for each
    /// claimed. Does nothing if the pool was started or stopped before.
    public func start() {
        let starting = state.withLock { state in
            state.lifecycle.start()
        }
        guard starting else { return }
        // A thread of its own, not a Task: making a volume blocks on mkfs and mount.
        let thread = Thread { [self] in work() }
        thread.name = "lambent-tmp-volumes"
        thread.start()
    }

    private func work() {
        var failures = 0
        while true {
            let (phase, releasing, missing) = state.withLock { state in
                defer { state.releasing.removeAll() }
                return (state.lifecycle.phase, state.releasing, configuration.size - state.ready.count)
            }
            releasing.forEach(storage.remove)
            if !releasing.isEmpty { state.withLock { $0.statistics.released += releasing.count } }
            switch phase {
            case .idle, .running:
                guard missing > 0 else {
                    if releasing.isEmpty { wakeup.wait() }
                    continue
                }
                let name = "pool-\(Self.volumesMade.add(1, ordering: .relaxed).newValue)"
                do {
                    let path = try storage.create(name: name, sizeMB: configuration.sizeMB)
                    let kept = state.withLock { state in
                        guard state.lifecycle.phase == .running else { return false }
                        state.ready.append(path)
                        return true
                    }
                    if !kept { storage.remove(path) }
                    failures = 0
                } catch {
                    state.withLock { $0.statistics.failed += 1 }
                    failures += 1
                    // Warn once per streak, and back off (up to a minute) while it lasts.
                    logger.log(level: failures == 1 ? .warning : .debug,
                               "could not make a /tmp volume ahead of demand; environments make their own until one is made",
                               metadata: ["lambent.error": "\(error.message)", "lambent.tmp.failures": "\(failures)"])
                    let delay = min(configuration.retryDelay * (1 << min(failures - 1, 16)), .seconds(60))
                    _ = wakeup.wait(timeout: .now() + Double(delay.components.seconds)
                        + Double(delay.components.attoseconds) / 1e18)
                }
            case .stopping:
                let (ready, releasing) = state.withLock { state in
                    defer {
                        state.ready.removeAll()
                        state.releasing.removeAll()
                    }
                    return (state.ready, state.releasing)
                }
                (ready + releasing).forEach(storage.remove)
                let waiters = state.withLock { state in
                    state.statistics.released += releasing.count
                    return state.lifecycle.finish()
                }
                waiters.forEach { $0.resume() }
                return
            case .stopped:
                return
            }
        }
    }

    // MARK: Lifecycle

    /// Makes volumes until graceful shutdown, then deletes the ready ones.
    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops making volumes, deletes the ready ones and those released so far; returns when
    /// they are gone. Volumes in use are not touched; releasing them later deletes them at once.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if state.withLock({ $0.lifecycle.stop(resuming: continuation) }) {
                wakeup.signal()
            } else {
                continuation.resume()
            }
        }
    }
}
