import Foundation
import LambentControl
import Logging
import ServiceLifecycle
import Synchronization

/// A few launcher processes started ahead of demand, each already inside a fresh set of
/// cgroups, so that starting an environment does not wait to enter them.
///
/// On cgroup v1 every write to `cgroup.procs` waits for an RCU grace period (about 4 ms,
/// once per hierarchy), and v1 has no `CLONE_INTO_CGROUP`. A parked launcher
/// (`lambent-agent --park`, see `ParkedLauncher`) has paid that already: claiming it writes
/// the environment's limits into its group, renames the group after the environment (v1;
/// v2 refuses, and the group keeps its pool name), and sends it one ``LaunchOrder``; it puts
/// the descriptors in place and executes the program, keeping its pid. A background thread
/// parks a new launcher for each one claimed.
///
/// The pool is an optimisation only: ``launch(arguments:environment:descriptors:stderrPath:limits:environmentID:)``
/// returns nil when no launcher is ready (or the pool is not running), and the caller starts
/// the environment the ordinary way.
///
/// ```swift
/// let pool = LauncherPool(cgroups: cgroups, configuration: .init(launcherPath: agentPath), logger: logger)
/// pool.start()          // or run it as a Service
/// if let (pid, cgroup) = try pool.launch(arguments: argv, environment: [], descriptors: [control, seccomp],
///                                        stderrPath: log, limits: limits, environmentID: id) { … }
/// await pool.shutdown()
/// ```
public final class LauncherPool: Service, Sendable {
    /// How the pool runs.
    public struct Configuration: Sendable {
        /// The `lambent-agent` executable, run as `--park`.
        public var launcherPath: String
        /// How many launchers to keep parked.
        public var size: Int
        /// How long a new launcher may take to report that it is parked.
        public var parkTimeout: Duration = .seconds(5)
        /// How long a claimed launcher may take to execute its order.
        public var execTimeout: Duration = .seconds(5)
        /// The pause before parking again after a launcher failed to park; it doubles with
        /// each failure in a row, up to a minute.
        public var retryDelay: Duration = .seconds(1)
        /// How often the parked launchers are checked for having died.
        public var checkInterval: Duration = .seconds(5)

        /// Creates a configuration.
        public init(launcherPath: String, size: Int = 4) {
            self.launcherPath = launcherPath
            self.size = size
        }
    }

    /// What the pool has done so far.
    public struct Statistics: Sendable, Equatable {
        /// Launchers parked now.
        public var ready = 0
        /// Launches served by a parked launcher.
        public var claimed = 0
        /// Launches that found no launcher ready (the caller started the environment itself).
        public var missed = 0
        /// Launchers that failed to park, died while parked, or failed when claimed.
        public var failed = 0
    }

    /// A parked launcher: the server's end of its socket and its (unlimited) group.
    struct Launcher: Sendable {
        var pid: pid_t
        var socket: Int32
        var cgroup: CgroupHandle
    }

    struct State {
        var lifecycle = PoolLifecycle()
        var ready: [Launcher] = []
        var statistics = Statistics()
    }

    let cgroups: Cgroups
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// Wakes the refill thread: a launcher was claimed, or the pool is stopping.
    private let wakeup = DispatchSemaphore(value: 0)
    /// Launchers started by every pool of this process; names their groups (`launcher-<n>`),
    /// which share the server's group.
    private static let launchersStarted = Atomic<Int>(0)

    /// Creates a pool; nothing is parked until ``start()`` (or ``run()``).
    public init(cgroups: Cgroups, configuration: Configuration, logger: Logger) {
        self.cgroups = cgroups
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

    // MARK: Launching

    /// Starts `arguments` (an absolute path first) in a parked launcher, inside cgroups limited
    /// to `limits` and named after `environmentID` where the cgroup version allows, with
    /// /dev/null as stdin and stdout, `stderrPath` (created, truncated) as stderr, and
    /// `descriptors` as 3, 4, …; every other descriptor is closed. Returns once the program
    /// is executing, with its pid (a child of this process, reaped by the caller) and its
    /// cgroups; nil when no launcher is ready, for the caller to start the program itself.
    ///
    /// Blocks for as long as writing the limits and the launcher's `execve` take (well under a
    /// millisecond; no `cgroup.procs` write).
    ///
    /// - Throws: `.spawnFailed` when `stderrPath` cannot be opened or the program cannot be
    ///   executed (as a spawn would).
    public func launch(
        arguments: [String], environment: [String], descriptors: [Int32], stderrPath: String,
        limits: ResourceLimits, environmentID: String
    ) throws(SandboxError) -> (pid: pid_t, cgroup: CgroupHandle)? {
        precondition(!arguments.isEmpty, "nothing to launch")
        guard 3 + descriptors.count <= DescriptorPassing.maxDescriptors else {
            throw SandboxError(.spawnFailed, "too many descriptors for one launch (\(descriptors.count))")
        }
        let order: [UInt8]
        do {
            order = try LaunchOrder(arguments: arguments, environment: environment,
                                    descriptorCount: 3 + descriptors.count).encoded()
        } catch {
            throw SandboxError(.spawnFailed, "cannot launch \(arguments[0]): \(error.message)")
        }
        guard state.withLock({ $0.lifecycle.phase == .running && !$0.ready.isEmpty }) else { return missed() }

        var standard: [Int32] = []
        defer { standard.forEach(Syscalls.close) }
        standard.append(try Syscalls.open("/dev/null", O_RDONLY))
        standard.append(try Syscalls.open("/dev/null", O_WRONLY))
        standard.append(try Syscalls.open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600))

        while let launcher = claim() {
            if let cgroup = try start(launcher, order: order, descriptors: standard + descriptors, limits: limits,
                                      environmentID: environmentID, program: arguments[0]) {
                state.withLock { $0.statistics.claimed += 1 }
                return (launcher.pid, cgroup)
            }
        }
        return missed()
    }

    /// Takes the oldest parked launcher, and has the refill thread park another.
    private func claim() -> Launcher? {
        let launcher = state.withLock { state in
            state.lifecycle.phase == .running && !state.ready.isEmpty ? state.ready.removeFirst() : nil
        }
        if launcher != nil { wakeup.signal() }
        return launcher
    }

    private func missed() -> (pid: pid_t, cgroup: CgroupHandle)? {
        state.withLock { $0.statistics.missed += 1 }
        return nil
    }

    /// Limits, renames and orders one launcher; returns its cgroups once it executes, nil when
    /// the launcher failed (it is discarded, and the caller tries the next one). Throws when
    /// the launcher reports that the program cannot be executed.
    private func start(
        _ launcher: Launcher, order: [UInt8], descriptors: [Int32], limits: ResourceLimits,
        environmentID: String, program: String
    ) throws(SandboxError) -> CgroupHandle? {
        var cgroup = cgroups.rename(launcher.cgroup, to: environmentID)
        let reply: (bytes: [UInt8], descriptors: [Int32])?
        do {
            cgroup = try cgroups.applyLimits(limits, to: cgroup)
            try DescriptorPassing.send(order, descriptors: descriptors, on: launcher.socket)
            guard Syscalls.waitReadable(launcher.socket, timeout: configuration.execTimeout) else {
                discard(launcher, cgroup: cgroup, failure: "it did not execute its order within \(configuration.execTimeout)")
                return nil
            }
            reply = try DescriptorPassing.receive(on: launcher.socket)
        } catch {
            discard(launcher, cgroup: cgroup, failure: "claiming it failed: \(error)")
            return nil
        }
        // End-of-file: the socket closed on exec, and the program is running.
        guard let reply else {
            Syscalls.close(launcher.socket)
            return cgroup
        }
        reply.descriptors.forEach(Syscalls.close)
        guard case .failed(let reason)? = try? LauncherReport(decoding: reply.bytes) else {
            discard(launcher, cgroup: cgroup, failure: "it sent an unexpected reply")
            return nil
        }
        // The program's fault, not the launcher's: the caller gets the error a spawn would give.
        discard(launcher, cgroup: cgroup, failure: nil)
        throw SandboxError(.spawnFailed, reason)
    }

    /// Kills and reaps a launcher and removes its groups; a `failure` is counted and logged.
    private func discard(_ launcher: Launcher, cgroup: CgroupHandle, failure: String?) {
        Syscalls.close(launcher.socket)
        Syscalls.killAndReap(launcher.pid)
        for _ in 0..<50 where !cgroup.remove() { usleep(2_000) }
        guard let failure else { return }
        state.withLock { $0.statistics.failed += 1 }
        logger.warning("discarded a parked launcher", metadata: [
            "lambent.launcher.pid": "\(launcher.pid)", "lambent.error": "\(failure)",
        ])
    }

    // MARK: Refilling

    /// Starts the refill thread, which parks launchers until the pool is full and parks a new
    /// one for each claimed. Does nothing if the pool was started or stopped before.
    public func start() {
        let starting = state.withLock { state in
            state.lifecycle.start()
        }
        guard starting else { return }
        // A thread of its own, not a Task: parking blocks for milliseconds in cgroup writes
        // and waits. And it never exits, even after shutdown: PR_SET_PDEATHSIG (the
        // launcher's, and bwrap's --die-with-parent after it) fires when the *thread* that
        // spawned a process exits, and the environments launched from this pool must live on.
        let thread = Thread { [self] in refill() }
        thread.name = "lambent-launchers"
        thread.start()
    }

    private func refill() {
        var lastCheck = ContinuousClock.now
        var failures = 0
        while true {
            let (phase, missing) = state.withLock { ($0.lifecycle.phase, configuration.size - $0.ready.count) }
            switch phase {
            case .idle, .running:
                if ContinuousClock.now - lastCheck >= configuration.checkInterval {
                    lastCheck = .now
                    pruneDead()
                }
                guard missing > 0 else {
                    _ = wakeup.wait(timeout: .now() + configuration.checkInterval.timeInterval)
                    continue
                }
                do {
                    let launcher = try park()
                    let kept = state.withLock { state in
                        guard state.lifecycle.phase == .running else { return false }
                        state.ready.append(launcher)
                        return true
                    }
                    if !kept { discard(launcher, cgroup: launcher.cgroup, failure: nil) }
                    failures = 0
                } catch {
                    state.withLock { $0.statistics.failed += 1 }
                    failures += 1
                    // Warn once per streak, and back off (up to a minute) while it lasts.
                    logger.log(level: failures == 1 ? .warning : .debug,
                               "could not park a launcher; environments start without the pool until one parks",
                               metadata: ["lambent.error": "\(error.message)", "lambent.launcher.failures": "\(failures)"])
                    let delay = min(configuration.retryDelay * (1 << min(failures - 1, 16)), .seconds(60))
                    _ = wakeup.wait(timeout: .now() + delay.timeInterval)
                }
            case .stopping:
                let parked = state.withLock { state in
                    defer { state.ready.removeAll() }
                    return state.ready
                }
                for launcher in parked { discard(launcher, cgroup: launcher.cgroup, failure: nil) }
                let waiters = state.withLock { state in
                    state.lifecycle.finish()
                }
                waiters.forEach { $0.resume() }
            case .stopped:
                wakeup.wait()
            }
        }
    }

    /// Starts a launcher in a new unlimited group and waits until it has entered it.
    private func park() throws(SandboxError) -> Launcher {
        let number = Self.launchersStarted.add(1, ordering: .relaxed).newValue
        let cgroup = try cgroups.createUnlimited(name: "launcher-\(number)")
        let sockets: (server: Int32, child: Int32)
        do {
            sockets = try Syscalls.sequencedPacketPair()
        } catch {
            cgroup.remove()
            throw error
        }
        let argv = [configuration.launcherPath, "--park", "3", "--parent", String(getpid())]
            + cgroup.procsFiles.flatMap { ["--enter", $0] }
        let pid: pid_t
        do {
            // Closed right away, so that a launcher that dies reads as end-of-file here.
            defer { Syscalls.close(sockets.child) }
            pid = try Syscalls.spawn(argv, environment: [], inherit: sockets.child, stderrPath: "/dev/null")
        } catch {
            Syscalls.close(sockets.server)
            cgroup.remove()
            throw error
        }
        let launcher = Launcher(pid: pid, socket: sockets.server, cgroup: cgroup)
        let reason: String
        do {
            guard Syscalls.waitReadable(sockets.server, timeout: configuration.parkTimeout) else {
                throw DescriptorPassingError(operation: "waiting for the launcher", errno: ETIMEDOUT)
            }
            if let reply = try DescriptorPassing.receive(on: sockets.server) {
                reply.descriptors.forEach(Syscalls.close)
                switch try? LauncherReport(decoding: reply.bytes) {
                case .ready: return launcher
                case .failed(let failure): reason = failure
                case nil: reason = "it sent an unexpected reply"
                }
            } else {
                reason = "it exited before parking (is \(configuration.launcherPath) a lambent-agent that knows --park?)"
            }
        } catch {
            reason = "\(error)"
        }
        discard(launcher, cgroup: cgroup, failure: nil)
        throw SandboxError(.spawnFailed, "launcher \(pid) could not park: \(reason)")
    }

    /// Discards the parked launchers that died (their socket reads end-of-file).
    private func pruneDead() {
        let dead = state.withLock { state in
            // Under the lock: a launcher claimed meanwhile would have its socket closed.
            let dead = state.ready.filter { Syscalls.isReadable($0.socket) }
            state.ready.removeAll { launcher in dead.contains { $0.pid == launcher.pid } }
            return dead
        }
        for launcher in dead { discard(launcher, cgroup: launcher.cgroup, failure: "it died while parked") }
    }

    // MARK: Lifecycle

    /// Parks launchers until graceful shutdown, then kills them and removes their groups.
    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops parking, kills the parked launchers and removes their groups; returns when they
    /// are gone. Environments already launched are not touched. Later launches return nil.
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

extension Duration {
    /// In seconds, for Dispatch's timeouts.
    fileprivate var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
