import Foundation

/// The resources one environment may use, as Lambda sizes them.
public struct ResourceLimits: Sendable, Equatable {
    /// Memory limit in MB (MemorySize); swap is not allowed.
    public var memoryMB: Int
    /// CPU time per 100 ms period, in microseconds: Lambda gives one full vCPU at 1,769 MB.
    public var cpuQuotaMicros: Int
    /// Processes and threads (Lambda's quota is 1,024).
    public var pids: Int

    public static let cpuPeriodMicros = 100_000

    public init(memoryMB: Int, pids: Int = 1024) {
        self.memoryMB = memoryMB
        self.cpuQuotaMicros = max(1000, Self.cpuPeriodMicros * memoryMB / 1769)
        self.pids = pids
    }
}

/// One environment's cgroup(s): where its processes are placed and how they are counted
/// and killed.
public struct CgroupHandle: Sendable {
    /// The `cgroup.procs` files a process writes its pid to, to enter every hierarchy.
    public var procsFiles: [String]
    /// Every directory created (one per hierarchy on v1), deepest last.
    public var directories: [String]
    /// Peak memory in bytes: `memory.peak` (v2) or `memory.max_usage_in_bytes` (v1).
    public var peakFile: String?
    /// `cgroup.kill` on v2 (kills every process at once).
    public var killFile: String?
    /// The CPU limit and the file it goes to, applied once init is over (`applyCPULimit`).
    public var cpuLimitFile: String?
    public var cpuLimit: String?

    /// Caps CPU time in proportion to memory. Lambent applies it when the runtime is ready:
    /// initialization runs unthrottled, as Lambda's init phase gets CPU beyond the
    /// function's share.
    public func applyCPULimit() {
        if let cpuLimitFile, let cpuLimit { Cgroups.write(cpuLimit, to: cpuLimitFile) }
    }

    /// The environment's peak memory use so far, or nil when the kernel does not say.
    public func peakMemoryBytes() -> UInt64? {
        guard let peakFile, let text = Syscalls.readKernelFile(peakFile) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Kills every process in the cgroup(s), but `spared` when given.
    public func killAll(except spared: Int32? = nil) {
        if spared == nil, let killFile, Cgroups.write("1", to: killFile) { return }
        for file in procsFiles {
            guard let text = Syscalls.readKernelFile(file) else { continue }
            for line in text.split(separator: "\n") {
                if let pid = Int32(line), pid != spared { Syscalls.kill(pid) }
            }
        }
    }

    /// Removes the directories; false while processes remain.
    @discardableResult
    public func remove() -> Bool {
        var removed = true
        for directory in directories.reversed() where rmdir(directory) != 0 && errno != ENOENT {
            removed = false
        }
        return removed
    }
}

/// Creates a cgroup per environment under `<root>/lambent/<server>/`, on cgroup v2 (unified)
/// or v1 (memory, cpu and pids hierarchies), with Lambda's limits. Each server uses a group
/// of its own (`s<pid>`), so several servers share a machine, and a server starting after a
/// crash removes the groups of servers that are gone.
public struct Cgroups: Sendable {
    public enum Version: Sendable, Equatable { case v1, v2 }

    public let version: Version
    /// The hierarchy roots (v2: one; v1: memory, cpu, pids).
    let roots: [String: String]
    /// This server's group name.
    let group: String

    /// Detects the cgroup version and prepares this server's group; nil when cgroups cannot
    /// be used here (not root, read-only, controllers missing), with the reason.
    public static func detect(base: String = "/sys/fs/cgroup", serverID: Int32 = getpid()) -> Result<Cgroups, SandboxError> {
        let group = "s\(serverID)"
        let manager = FileManager.default
        if manager.fileExists(atPath: "\(base)/cgroup.controllers") {
            let controllers = (try? String(contentsOfFile: "\(base)/cgroup.controllers", encoding: .utf8)) ?? ""
            for needed in ["memory", "cpu", "pids"] where !controllers.split(separator: " ").contains(where: { $0.hasPrefix(needed) }) {
                return .failure(SandboxError(.unavailable, "cgroup v2 controller \(needed) is not available"))
            }
            let lambent = "\(base)/lambent"
            let server = "\(lambent)/\(group)"
            guard mkdirs(lambent), write("+memory +cpu +pids", to: "\(base)/cgroup.subtree_control"),
                  write("+memory +cpu +pids", to: "\(lambent)/cgroup.subtree_control"), mkdirs(server),
                  write("+memory +cpu +pids", to: "\(server)/cgroup.subtree_control") else {
                return .failure(SandboxError(.unavailable, "cannot create cgroups under \(base) (needs root)"))
            }
            return .success(Cgroups(version: .v2, roots: ["unified": lambent], group: group))
        }
        var roots: [String: String] = [:]
        for controller in ["memory", "cpu", "pids"] {
            let root = "\(base)/\(controller)"
            guard manager.fileExists(atPath: "\(root)/cgroup.procs") else {
                return .failure(SandboxError(.unavailable, "cgroup v1 controller \(controller) is not mounted at \(root)"))
            }
            guard mkdirs("\(root)/lambent/\(group)") else {
                return .failure(SandboxError(.unavailable, "cannot create cgroups under \(root) (needs root)"))
            }
            roots[controller] = "\(root)/lambent"
        }
        return .success(Cgroups(version: .v1, roots: roots, group: group))
    }

    /// Creates an environment's cgroup(s) with its limits.
    public func create(environmentID: String, limits: ResourceLimits) throws(SandboxError) -> CgroupHandle {
        let memoryBytes = String(limits.memoryMB << 20)
        switch version {
        case .v2:
            let directory = "\(roots["unified"]!)/\(group)/\(environmentID)"
            guard Self.mkdirs(directory) else { throw SandboxError(.spawnFailed, "cannot create cgroup \(directory)") }
            let handle = CgroupHandle(procsFiles: ["\(directory)/cgroup.procs"], directories: [directory],
                                      peakFile: "\(directory)/memory.peak", killFile: "\(directory)/cgroup.kill",
                                      cpuLimitFile: "\(directory)/cpu.max",
                                      cpuLimit: "\(limits.cpuQuotaMicros) \(ResourceLimits.cpuPeriodMicros)")
            guard Self.write(memoryBytes, to: "\(directory)/memory.max"),
                  Self.write(String(limits.pids), to: "\(directory)/pids.max") else {
                handle.remove()
                throw SandboxError(.spawnFailed, "cannot set the limits of cgroup \(directory)")
            }
            _ = Self.write("0", to: "\(directory)/memory.swap.max")
            return handle
        case .v1:
            let memory = "\(roots["memory"]!)/\(group)/\(environmentID)"
            let cpu = "\(roots["cpu"]!)/\(group)/\(environmentID)"
            let pids = "\(roots["pids"]!)/\(group)/\(environmentID)"
            let handle = CgroupHandle(procsFiles: [memory, cpu, pids].map { "\($0)/cgroup.procs" },
                                      directories: [memory, cpu, pids],
                                      peakFile: "\(memory)/memory.max_usage_in_bytes", killFile: nil,
                                      cpuLimitFile: "\(cpu)/cpu.cfs_quota_us", cpuLimit: String(limits.cpuQuotaMicros))
            guard Self.mkdirs(memory), Self.mkdirs(cpu), Self.mkdirs(pids),
                  Self.write(memoryBytes, to: "\(memory)/memory.limit_in_bytes"),
                  Self.write(String(ResourceLimits.cpuPeriodMicros), to: "\(cpu)/cpu.cfs_period_us"),
                  Self.write(String(limits.pids), to: "\(pids)/pids.max") else {
                handle.remove()
                throw SandboxError(.spawnFailed, "cannot create or limit the cgroups of environment \(environmentID)")
            }
            // No swap: memory+swap may not exceed memory (absent when swap accounting is off).
            _ = Self.write(memoryBytes, to: "\(memory)/memory.memsw.limit_in_bytes")
            _ = Self.write("0", to: "\(memory)/memory.swappiness")
            return handle
        }
    }

    /// Removes the groups that servers no longer running left behind (after a crash),
    /// killing whatever still runs in them. Returns how many environment groups it removed.
    @discardableResult
    public func removeStale() -> Int {
        var removed = 0
        for root in Set(roots.values) {
            guard let servers = try? FileManager.default.contentsOfDirectory(atPath: root) else { continue }
            for server in servers where server.hasPrefix("s") && server != group {
                guard let pid = Int32(server.dropFirst()), kill(pid, 0) != 0, errno == ESRCH else { continue }
                let serverDirectory = "\(root)/\(server)"
                let environments = (try? FileManager.default.contentsOfDirectory(atPath: serverDirectory)) ?? []
                // Groups are directories; v1 also lists control files without a dot (`tasks`).
                for environment in environments where Self.isDirectory("\(serverDirectory)/\(environment)") {
                    let directory = "\(serverDirectory)/\(environment)"
                    let handle = CgroupHandle(procsFiles: ["\(directory)/cgroup.procs"], directories: [directory],
                                              peakFile: nil,
                                              killFile: version == .v2 ? "\(directory)/cgroup.kill" : nil,
                                              cpuLimitFile: nil, cpuLimit: nil)
                    handle.killAll()
                    for _ in 0..<50 where !handle.remove() { usleep(20_000) }
                    removed += 1
                }
                rmdir(serverDirectory)
            }
        }
        return removed
    }

    /// Removes this server's own (empty) group, at shutdown.
    public func removeServerGroup() {
        for root in Set(roots.values) { rmdir("\(root)/\(group)") }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func mkdirs(_ path: String) -> Bool {
        (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
    }

    /// Writes a control file (no O_CREAT: cgroup files exist or the write is wrong).
    @discardableResult
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}

// Groups made ahead of demand, for the `LauncherPool`: created with no limits, entered by a
// parked launcher, then renamed and limited when an environment claims one.
extension Cgroups {
    /// Creates group `name` (a plain name: no `/`, no `.`) in this server's group, with no
    /// limits: one directory on v2, one per hierarchy on v1 (memory, cpu, pids, in that order).
    /// A group of that name must not exist yet.
    public func createUnlimited(name: String) throws(SandboxError) -> CgroupHandle {
        let handle = self.handle(directories: orderedRoots.map { "\($0)/\(group)/\(name)" }, limits: nil)
        for (index, directory) in handle.directories.enumerated() {
            let parent = String(directory[..<directory.lastIndex(of: "/")!])
            guard Self.mkdirs(parent), mkdir(directory, 0o755) == 0 else {
                let reason = String(cString: strerror(errno))
                for created in handle.directories[..<index].reversed() { rmdir(created) }
                throw SandboxError(.spawnFailed, "cannot create cgroup \(directory): \(reason)")
            }
        }
        return handle
    }

    /// Writes an environment's limits into a group made by `createUnlimited`, as `create`
    /// would have (the CPU quota waits for `applyCPULimit`); returns the handle that applies
    /// the CPU quota.
    public func applyLimits(_ limits: ResourceLimits, to handle: CgroupHandle) throws(SandboxError) -> CgroupHandle {
        let memoryBytes = String(limits.memoryMB << 20)
        switch version {
        case .v2:
            let directory = handle.directories[0]
            guard Self.write(memoryBytes, to: "\(directory)/memory.max"),
                  Self.write(String(limits.pids), to: "\(directory)/pids.max") else {
                throw SandboxError(.spawnFailed, "cannot set the limits of cgroup \(directory)")
            }
            _ = Self.write("0", to: "\(directory)/memory.swap.max")
        case .v1:
            let (memory, cpu, pids) = (handle.directories[0], handle.directories[1], handle.directories[2])
            guard Self.write(memoryBytes, to: "\(memory)/memory.limit_in_bytes"),
                  Self.write(String(ResourceLimits.cpuPeriodMicros), to: "\(cpu)/cpu.cfs_period_us"),
                  Self.write(String(limits.pids), to: "\(pids)/pids.max") else {
                throw SandboxError(.spawnFailed, "cannot set the limits of cgroups \(handle.directories)")
            }
            // No swap: memory+swap may not exceed memory (absent when swap accounting is off).
            _ = Self.write(memoryBytes, to: "\(memory)/memory.memsw.limit_in_bytes")
            _ = Self.write("0", to: "\(memory)/memory.swappiness")
        }
        return self.handle(directories: handle.directories, limits: limits)
    }

    /// Renames the group's directories to `name`, processes and limits included, so that it
    /// is named after the environment that claimed it. cgroup v1 allows it; v2 refuses
    /// (EPERM), and a directory that cannot be renamed keeps its name: the returned handle
    /// names the directories as they are.
    public func rename(_ handle: CgroupHandle, to name: String) -> CgroupHandle {
        guard !name.isEmpty, !name.contains("/"), !name.contains(".") else { return handle }
        let directories = handle.directories.map { directory in
            let renamed = "\(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])/\(name)"
            return Glibc.rename(directory, renamed) == 0 ? renamed : directory
        }
        var renamed = self.handle(directories: directories, limits: nil)
        renamed.cpuLimit = handle.cpuLimit
        return renamed
    }

    /// The hierarchy roots in handle order: v2's one, or v1's memory, cpu, pids.
    private var orderedRoots: [String] {
        version == .v2 ? [roots["unified"]!] : [roots["memory"]!, roots["cpu"]!, roots["pids"]!]
    }

    /// The handle of existing directories (in `roots(_:)` order).
    private func handle(directories: [String], limits: ResourceLimits?) -> CgroupHandle {
        switch version {
        case .v2:
            let directory = directories[0]
            return CgroupHandle(procsFiles: ["\(directory)/cgroup.procs"], directories: directories,
                                peakFile: "\(directory)/memory.peak", killFile: "\(directory)/cgroup.kill",
                                cpuLimitFile: "\(directory)/cpu.max",
                                cpuLimit: limits.map { "\($0.cpuQuotaMicros) \(ResourceLimits.cpuPeriodMicros)" })
        case .v1:
            return CgroupHandle(procsFiles: directories.map { "\($0)/cgroup.procs" }, directories: directories,
                                peakFile: "\(directories[0])/memory.max_usage_in_bytes", killFile: nil,
                                cpuLimitFile: "\(directories[1])/cpu.cfs_quota_us",
                                cpuLimit: limits.map { String($0.cpuQuotaMicros) })
        }
    }
}
