import Foundation
import Logging
import Testing

@testable import LambentExecution

/// What the pool tests need from the machine.
enum LauncherPoolHost {
    static let cgroups: Cgroups? = getuid() == 0 ? try? Cgroups.detect().get() : nil

    /// The built agent: next to the test bundle, else under `.build/debug`.
    static var agentPath: String {
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [URL(fileURLWithPath: selfExe).deletingLastPathComponent().appendingPathComponent("lambent-agent").path,
                          packageRoot.appendingPathComponent(".build/debug/lambent-agent").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}

/// The pool with real cgroups (v1 or v2) and the built agent as launcher. Serialized: the
/// tests share this process's server group and count its launcher groups.
@Suite("LauncherPool", .serialized,
       .enabled(if: getuid() == 0, "needs root to create cgroups"),
       .enabled(if: LauncherPoolHost.cgroups != nil, "needs cgroup v1 or v2 with the memory, cpu and pids controllers"),
       .enabled(if: FileManager.default.isExecutableFile(atPath: LauncherPoolHost.agentPath),
                "needs the built lambent-agent (swift build)"))
struct LauncherPoolTests {
    let cgroups: Cgroups

    init() throws {
        cgroups = try #require(LauncherPoolHost.cgroups)
    }

    func makePool(size: Int = 2) -> LauncherPool {
        var configuration = LauncherPool.Configuration(launcherPath: LauncherPoolHost.agentPath, size: size)
        configuration.retryDelay = .milliseconds(100)
        return LauncherPool(cgroups: cgroups, configuration: configuration, logger: Logger(label: "test"))
    }

    /// This server's group in every hierarchy.
    var serverDirectories: [String] {
        Set(cgroups.roots.values).map { "\($0)/\(cgroups.group)" }
    }

    /// The groups now in this server's group, in every hierarchy.
    func groups() -> [String] {
        serverDirectories.flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map { "\(directory)/\($0)" }.filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            }
        }
    }

    /// The pids in the launcher groups (the parked launchers).
    func parkedPids() -> Set<pid_t> {
        Set(groups().filter { $0.contains("/launcher-") }.flatMap { group in
            ((try? String(contentsOfFile: "\(group)/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        })
    }

    func waitUntil(_ condition: () -> Bool, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition not met within \(timeout)")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    static func contents(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("launcher-\(UUID().uuidString)").path
    }

    /// Reads a pipe up to its first newline (or end-of-file).
    static func readLine(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            bytes.append(byte)
            if byte == UInt8(ascii: "\n") { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func environmentID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// Kills, reaps and removes a launched process and its groups.
    func finish(_ pid: pid_t, _ cgroup: CgroupHandle) throws {
        Syscalls.killAndReap(pid)
        for _ in 0..<100 where !cgroup.remove() { usleep(10_000) }
        for directory in cgroup.directories {
            #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) is left")
        }
    }

    @Test("a claimed launcher runs the argv with the descriptors in place, inside its limited cgroups")
    func launches() async throws {
        let pool = makePool()
        pool.start()
        try await waitUntil { pool.statistics.ready == 2 }
        var pipes: [Int32] = [-1, -1]
        try #require(pipe(&pipes) == 0)
        let stderrPath = Self.temporaryFile()
        defer { unlink(stderrPath) }
        let id = Self.environmentID()
        let limits = ResourceLimits(memoryMB: 256, pids: 77)
        let launched = try pool.launch(
            arguments: ["/bin/sh", "-c", #"echo hi $WHO >&3; echo oops >&2; exec /bin/sleep 30"#],
            environment: ["WHO=there"], descriptors: [pipes[1]], stderrPath: stderrPath, limits: limits, environmentID: id)
        close(pipes[1])
        let (pid, cgroup) = try #require(launched)
        defer { try? finish(pid, cgroup) }
        let firstLine = Self.readLine(pipes[0])
        close(pipes[0])
        #expect(firstLine == "hi there\n")
        // Once the shell has become sleep, everything it wrote is written.
        try await waitUntil { Self.contents("/proc/\(pid)/comm") == "sleep" }
        #expect(Self.contents(stderrPath) == "oops")

        // Its descriptors: stdin, stdout, stderr and the one passed, nothing else.
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) }.sorted()
        #expect(descriptors == [0, 1, 2, 3])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0") == "/dev/null")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2") == stderrPath)

        // Inside its groups, which are named after the environment where the version allows.
        let membership = Self.contents("/proc/\(pid)/cgroup")
        for directory in cgroup.directories {
            let relative = directory[directory.range(of: "/lambent/")!.lowerBound...]
            #expect(membership.split(separator: "\n").contains { $0.hasSuffix(":\(relative)") }, "\(relative) in \(membership)")
            if cgroups.version == .v1 { #expect(directory.hasSuffix("/\(cgroups.group)/\(id)")) }
        }
        switch cgroups.version {
        case .v1:
            #expect(Self.contents("\(cgroup.directories[0])/memory.limit_in_bytes") == String(256 << 20))
            #expect(Self.contents("\(cgroup.directories[1])/cpu.cfs_period_us") == "100000")
            #expect(Self.contents("\(cgroup.directories[2])/pids.max") == "77")
            #expect(cgroup.cpuLimitFile == "\(cgroup.directories[1])/cpu.cfs_quota_us")
        case .v2:
            #expect(Self.contents("\(cgroup.directories[0])/memory.max") == String(256 << 20))
            #expect(Self.contents("\(cgroup.directories[0])/pids.max") == "77")
        }
        #expect(cgroup.cpuLimit != nil)
        #expect(pool.statistics.claimed == 1)
        await pool.shutdown()
        cgroups.removeServerGroup()
    }

    @Test("the pool parks a new launcher for each one claimed")
    func refills() async throws {
        let pool = makePool()
        pool.start()
        try await waitUntil { pool.statistics.ready == 2 }
        let before = parkedPids()
        #expect(before.count == 2)
        var launched: [(pid: pid_t, cgroup: CgroupHandle)] = []
        for _ in 0..<3 {
            try await waitUntil { pool.statistics.ready == 2 }
            let next = try pool.launch(arguments: ["/bin/sleep", "30"], environment: [], descriptors: [],
                                       stderrPath: "/dev/null", limits: ResourceLimits(memoryMB: 128),
                                       environmentID: Self.environmentID())
            launched.append(try #require(next))
        }
        try await waitUntil { pool.statistics.ready == 2 }
        // The three launched were parked launchers, and two new ones are parked.
        #expect(Set(launched.map(\.pid)).intersection(before).count == 2)
        #expect(parkedPids().isDisjoint(with: launched.map(\.pid)))
        #expect(parkedPids().count == 2)
        #expect(pool.statistics.claimed == 3)
        for (pid, cgroup) in launched { try finish(pid, cgroup) }
        await pool.shutdown()
        cgroups.removeServerGroup()
    }

    @Test("an empty, unstarted or stopped pool returns nil, for the caller to start the program itself")
    func fallsBack() async throws {
        let pool = makePool()
        #expect(try pool.launch(arguments: ["/bin/true"], environment: [], descriptors: [], stderrPath: "/dev/null",
                                limits: ResourceLimits(memoryMB: 128), environmentID: Self.environmentID()) == nil)
        pool.start()
        try await waitUntil { pool.statistics.ready == 2 }
        await pool.shutdown()
        #expect(try pool.launch(arguments: ["/bin/true"], environment: [], descriptors: [], stderrPath: "/dev/null",
                                limits: ResourceLimits(memoryMB: 128), environmentID: Self.environmentID()) == nil)
        #expect(pool.statistics.missed == 2)
        cgroups.removeServerGroup()
    }

    @Test("shutdown kills the parked launchers and removes their groups")
    func shutdown() async throws {
        let pool = makePool(size: 3)
        pool.start()
        try await waitUntil { pool.statistics.ready == 3 }
        let parked = parkedPids()
        #expect(parked.count == 3)
        await pool.shutdown()
        for pid in parked {
            // Reaped: the pid names no process (not even a zombie).
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "launcher \(pid) is still there")
        }
        #expect(groups().isEmpty, "left behind: \(groups())")
        cgroups.removeServerGroup()
    }

    @Test("a program that cannot be executed throws, and its launcher and groups are gone")
    func execFailure() async throws {
        let pool = makePool()
        pool.start()
        try await waitUntil { pool.statistics.ready == 2 }
        let id = Self.environmentID()
        do {
            _ = try pool.launch(arguments: ["/nonexistent/bwrap"], environment: [], descriptors: [], stderrPath: "/dev/null",
                                limits: ResourceLimits(memoryMB: 128), environmentID: id)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .spawnFailed)
            #expect(error.message == "could not start /nonexistent/bwrap: No such file or directory")
        }
        #expect(!groups().contains { $0.hasSuffix("/\(id)") })
        try await waitUntil { pool.statistics.ready == 2 }
        await pool.shutdown()
        #expect(groups().isEmpty, "left behind: \(groups())")
        cgroups.removeServerGroup()
    }

    @Test("launchers that died while parked are skipped")
    func deadLaunchers() async throws {
        let pool = makePool()
        pool.start()
        try await waitUntil { pool.statistics.ready == 2 }
        for pid in parkedPids() {
            kill(pid, SIGKILL)
            // Until it is a zombie: its socket is closed then.
            try await waitUntil { Self.contents("/proc/\(pid)/stat").split(separator: " ").dropFirst(2).first == "Z" }
        }
        let launched = try pool.launch(arguments: ["/bin/sleep", "30"], environment: [], descriptors: [],
                                       stderrPath: "/dev/null", limits: ResourceLimits(memoryMB: 128),
                                       environmentID: Self.environmentID())
        // Both dead ones discarded; the launch found a fresh launcher or none.
        #expect(pool.statistics.failed >= 2)
        if let launched { try finish(launched.pid, launched.cgroup) }
        try await waitUntil { pool.statistics.ready == 2 }
        await pool.shutdown()
        #expect(groups().isEmpty, "left behind: \(groups())")
        cgroups.removeServerGroup()
    }

    @Test("an unlimited group gets an environment's limits and its name")
    func claimGroup() throws {
        let unlimited = try cgroups.createUnlimited(name: "launcher-test-\(getpid())")
        #expect(throws: SandboxError.self) { try cgroups.createUnlimited(name: "launcher-test-\(getpid())") }
        let limited = try cgroups.applyLimits(ResourceLimits(memoryMB: 128), to: unlimited)
        let id = Self.environmentID()
        let renamed = cgroups.rename(limited, to: id)
        defer { renamed.remove() }
        #expect(renamed.cpuLimit == limited.cpuLimit)
        for directory in renamed.directories {
            #expect(FileManager.default.fileExists(atPath: directory))
            #expect(directory.hasSuffix(cgroups.version == .v1 ? "/\(id)" : "/launcher-test-\(getpid())"))
        }
        renamed.applyCPULimit()
        if cgroups.version == .v1 {
            #expect(Self.contents(renamed.cpuLimitFile!) == String(ResourceLimits(memoryMB: 128).cpuQuotaMicros))
        }
        #expect(renamed.remove())
        cgroups.removeServerGroup()
    }

    /// Not a test of speed (nothing is asserted): prints, for this machine, the time from
    /// asking for a process to its program having run, through the pool and through the
    /// `sh` wrapper the driver uses without it. `LAMBENT_LAUNCH_TIMING=1 swift test --filter timing`.
    ///
    /// Launches are 50 ms apart, as cold starts arriving one at a time: a `cgroup.procs` write
    /// waits for an RCU grace period only when no other write came within the last one, so
    /// back-to-back launches would hide the cost.
    @Test("timing: launch to exec, pool against the sh wrapper",
          .enabled(if: ProcessInfo.processInfo.environment["LAMBENT_LAUNCH_TIMING"] != nil, "set LAMBENT_LAUNCH_TIMING=1"))
    func timing() async throws {
        let runs = 30
        let limits = ResourceLimits(memoryMB: 128)
        let clock = ContinuousClock()
        func summary(_ samples: [Duration]) -> String {
            let sorted = samples.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1e3 }.sorted()
            return String(format: "median %.2f ms, p90 %.2f ms, min %.2f ms, max %.2f ms",
                          sorted[sorted.count / 2], sorted[sorted.count * 9 / 10], sorted[0], sorted[sorted.count - 1])
        }
        func waitExit(_ pid: pid_t) {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }

        let pool = makePool(size: 4)
        pool.start()
        var poolExec: [Duration] = []
        var poolExit: [Duration] = []
        var refill: [Duration] = []
        for _ in 0..<runs {
            try await waitUntil { pool.statistics.ready == 4 }
            try await Task.sleep(for: .milliseconds(50))
            let start = clock.now
            let launched = try #require(try pool.launch(
                arguments: ["/bin/true"], environment: [], descriptors: [], stderrPath: "/dev/null", limits: limits,
                environmentID: Self.environmentID()))
            poolExec.append(clock.now - start)
            waitExit(launched.pid)
            poolExit.append(clock.now - start)
            try await waitUntil({ pool.statistics.ready == 4 }, timeout: .seconds(10))
            refill.append(clock.now - start)
            for _ in 0..<100 where !launched.cgroup.remove() { usleep(1_000) }
        }
        await pool.shutdown()

        var wrapperSpawn: [Duration] = []
        var wrapperExit: [Duration] = []
        for _ in 0..<runs {
            try await Task.sleep(for: .milliseconds(50))
            let start = clock.now
            let handle = try cgroups.create(environmentID: Self.environmentID(), limits: limits)
            let argv = ["/bin/sh", "-c", BubblewrapDriver.enterCgroups, "lambent-enter-cgroup"] + handle.procsFiles + ["--", "/bin/true"]
            let pid = try Syscalls.spawn(argv, environment: [], inherit: 0, stderrPath: "/dev/null")
            wrapperSpawn.append(clock.now - start)
            waitExit(pid)
            wrapperExit.append(clock.now - start)
            for _ in 0..<100 where !handle.remove() { usleep(1_000) }
        }
        cgroups.removeServerGroup()
        print("""
            launch timing, cgroup \(cgroups.version), \(runs) launches of /bin/true each, 50 ms apart:
              pool:       launch() returned (program exec'd): \(summary(poolExec))
              pool:       /bin/true exited:                   \(summary(poolExit))
              pool:       one launcher parked again after:    \(summary(refill))
              sh wrapper: posix_spawn returned (sh exec'd):   \(summary(wrapperSpawn))
              sh wrapper: /bin/true exited:                   \(summary(wrapperExit))
            """)
    }
}
