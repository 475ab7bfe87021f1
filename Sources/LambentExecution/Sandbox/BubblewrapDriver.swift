#if canImport(Glibc)
import Glibc
#endif

/// Runs each environment under bubblewrap with fresh user, mount, pid, ipc, uts, cgroup and
/// network namespaces, as an unprivileged user (uid/gid 993, Lambda's `sbx_user1051`) with no
/// capabilities, `no_new_privs`, no further user namespaces, and the `SeccompFilter`. The
/// root is an empty tmpfs holding read-only binds of the host's system directories, the code
/// at /var/task, the spec's mounts (the runtime's at /var/runtime), the agent, and a private,
/// size-limited /tmp.
///
/// The network follows `SandboxSpec.network`: `none` and `default` get a network namespace
/// of their own (loopback only; `default` adds slirp4netns behind blocking routes, see
/// `OutboundNetwork`), which is also what lets every agent listen on 127.0.0.1:9001; `host`
/// shares the host's, and its agent listens on a free port of the host's loopback.
///
/// `destroy` kills the namespace's init (the inner bwrap); the kernel then kills every
/// process in the pid namespace and the outer bwrap exits, so nothing outlives it and
/// nothing is left for the host's init to reap.
public struct BubblewrapDriver: SandboxDriver {
    public var name: String { "namespaces" }
    /// Path of the bwrap executable.
    public let bwrapPath: String
    /// Where environments get their memory, CPU and process limits; nil runs them unlimited.
    public let cgroups: Cgroups?
    /// The `default` network mode's tools; nil when unavailable (such environments then get
    /// no network, never more).
    public let outbound: OutboundNetwork?
    /// /etc/hosts and /etc/resolv.conf for namespaced networks; nil binds neither.
    public let etc: SandboxEtc?
    /// Launchers parked ahead of demand inside fresh cgroups; nil (or an empty pool) enters
    /// the cgroups through the `sh` wrapper.
    public let launchers: LauncherPool?
    /// Disk-backed /tmp volumes; nil gives each environment a tmpfs /tmp (memory, counted
    /// against its MemorySize).
    public let tmpVolumes: EphemeralStoragePool?

    /// Finds bwrap on the usual paths; throws `.unavailable` with the install hint if absent.
    public init(bwrapPath: String? = nil, cgroups: Cgroups? = nil, outbound: OutboundNetwork? = nil,
                etc: SandboxEtc? = nil, launchers: LauncherPool? = nil,
                tmpVolumes: EphemeralStoragePool? = nil) throws(SandboxError) {
        self.launchers = launchers
        self.tmpVolumes = tmpVolumes
        self.cgroups = cgroups
        self.outbound = outbound
        self.etc = etc
        guard let found = Self.locate(bwrapPath) else { throw Self.missing }
        self.bwrapPath = found
    }

    /// The bwrap executable: `path` if given, else the first of the usual places; nil if none.
    public static func locate(_ path: String? = nil) -> String? {
        let candidates = path.map { [$0] } ?? ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"]
        return candidates.first { access($0, X_OK) == 0 }
    }

    /// The error when bwrap is missing, with the install hint.
    public static var missing: SandboxError {
        SandboxError(.unavailable, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    }

    /// Host paths bound read-only when they exist: the system's programs and libraries and the
    /// few files of /etc that language runtimes read.
    static let systemBinds = ["/usr", "/etc/ld.so.cache", "/etc/ssl", "/etc/ca-certificates",
                              "/etc/localtime", "/etc/nsswitch.conf", "/etc/mime.types"]
    static let mergedUsrLinks = [("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/bin", "/bin"), ("usr/sbin", "/sbin")]

    /// The bwrap argument vector for a spec (pure; unit-tested). `tmpVolume`, a mounted
    /// volume's host path, is bound at /tmp; without one /tmp is a tmpfs of the spec's size.
    public func arguments(for spec: SandboxSpec, tmpVolume: String? = nil) -> [String] {
        var args = [bwrapPath, "--die-with-parent", "--new-session",
                    "--unshare-user", "--uid", String(Self.sandboxUser), "--gid", String(Self.sandboxUser),
                    "--disable-userns", "--cap-drop", "ALL",
                    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup"]
        let network = effectiveNetwork(spec.network)
        if network != .host { args.append("--unshare-net") }
        args += ["--hostname", "localhost", "--seccomp", "4"]
        if network == .outbound { args += ["--info-fd", "5", "--block-fd", "6", "--sync-fd", "7"] }
        let networkFiles: [(host: String, sandbox: String)] = switch network {
        case .host: ["/etc/hosts", "/etc/resolv.conf"].filter { (path: String) in access(path, F_OK) == 0 }.map { ($0, $0) }
        case .outbound: etc.map { [($0.hostsPath, "/etc/hosts"), ($0.resolvConfPath, "/etc/resolv.conf")] } ?? []
        case .none: etc.map { [($0.hostsPath, "/etc/hosts")] } ?? []
        }
        let image: String?
        if case .image(let rootfs) = spec.root {
            image = rootfs
            let platform = spec.platformSocket == nil ? [] : [PlatformAccess.sandboxSocket]
            args += ImageRoot(rootfs: rootfs).arguments(injecting: networkFiles.map(\.sandbox) + ["/var/lambent/agent"] + platform)
        } else {
            image = nil
            for path in Self.systemBinds where access(path, F_OK) == 0 {
                args += ["--ro-bind", path, path]
            }
            for (target, link) in Self.mergedUsrLinks {
                if isSymlink(link) {
                    args += ["--symlink", target, link]
                } else if access(link, F_OK) == 0 {
                    args += ["--ro-bind", link, link]
                }
            }
        }
        for file in networkFiles { args += ["--ro-bind", file.host, file.sandbox] }
        args += ["--proc", "/proc", "--dev", "/dev"]
        if let tmpVolume {
            args += ["--bind", tmpVolume, "/tmp"]
        } else {
            args += ["--perms", "1777", "--size", String(spec.ephemeralStorageMB * 1024 * 1024), "--tmpfs", "/tmp"]
        }
        for mount in spec.allMounts {
            args += [mount.readOnly ? "--ro-bind" : "--bind", mount.host, mount.sandbox]
        }
        // The platform socket: a writable bind (connecting to a socket writes to it), the
        // sandbox's one way to the server.
        let platform = spec.platformSocket.map { ["--bind", $0, PlatformAccess.sandboxSocket] } ?? []
        if image == nil {
            // The runtime's directory exists even when a runtime mounts nothing there (custom runtimes).
            if !spec.allMounts.contains(where: { $0.sandbox == "/var/runtime" }) { args += ["--dir", "/var/runtime"] }
            args += ["--ro-bind", spec.agentPath, "/var/lambent/agent"] + platform
            if !spec.allMounts.contains(where: { $0.sandbox == "/opt" }) { args += ["--dir", "/opt"] }
        } else {
            // The image's root was assembled on a tmpfs so that these could be added; now it
            // becomes as read-only as the image.
            args += ["--ro-bind", spec.agentPath, "/var/lambent/agent"] + platform + ["--remount-ro", "/"]
        }
        args += ["--chdir", spec.workingDirectory, "--clearenv"]
        for (key, value) in spec.environment.sorted(by: { $0.key < $1.key }) {
            args += ["--setenv", key, value]
        }
        args += ["--", "/var/lambent/agent", "--control-fd", "3"]
        if spec.platformSocket != nil { args += ["--platform-socket", PlatformAccess.sandboxSocket] }
        args += ["--"]
        args += spec.runtimeCommand
        return args
    }

    /// The mode an environment really gets: `default` without its tools is `none`.
    func effectiveNetwork(_ requested: NetworkMode) -> NetworkMode {
        requested == .outbound && outbound == nil ? .none : requested
    }

    /// The uid and gid functions run as (Lambda's `sbx_user1051` is 993).
    public static let sandboxUser = 993

    /// The seccomp program, compiled once.
    static let seccompProgram = SeccompFilter().bytes

    /// Enters every cgroup given before `--`, then becomes the command after it: the sandbox
    /// is inside its cgroups before any of its processes exists.
    static let enterCgroups = #"while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@""#

    public func launch(_ spec: SandboxSpec) throws(SandboxError) -> any Sandbox {
        var spec = spec
        let network = effectiveNetwork(spec.network)
        if network == .host {
            // The host's loopback is shared: each agent needs a port of its own.
            guard let port = Syscalls.freeLoopbackPort() else {
                throw SandboxError(.spawnFailed, "no free port on 127.0.0.1 for the Runtime API")
            }
            spec.environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        }
        let sockets = try Syscalls.socketPair()
        var closeAfterSpawn = [sockets.child]
        defer { closeAfterSpawn.forEach(Syscalls.close) }
        var cgroup: CgroupHandle?
        var pid: pid_t?
        var tmpVolume: String?
        do {
            tmpVolume = try tmpVolumes?.prepare(environmentID: spec.environmentID, sizeMB: spec.ephemeralStorageMB)
            let seccomp = try Syscalls.pipe(holding: Self.seccompProgram)
            closeAfterSpawn.append(seccomp)
            var descriptors = [seccomp]
            // The default network: bwrap reports its namespace (info) and waits (block) for the
            // helper; it holds the lifetime pipe's write end (sync) as long as the sandbox lives.
            var helperDescriptors: [Int32] = []
            var info: (read: Int32, write: Int32)?
            if network == .outbound {
                let report = try Syscalls.pipePair()
                let block = try Syscalls.pipePair()
                let lifetime = try Syscalls.pipePair()
                closeAfterSpawn += [report.read, report.write, block.read, block.write, lifetime.read, lifetime.write]
                info = report
                descriptors += [report.write, block.read, lifetime.write]
                helperDescriptors = [block.write, lifetime.read]
            }
            let launched = try spawnSandbox(arguments(for: spec, tmpVolume: tmpVolume), descriptors: [sockets.child] + descriptors, spec: spec)
            pid = launched.pid
            cgroup = launched.cgroup
            var helpers: [pid_t] = []
            if let outbound, let info {
                helpers.append(try Syscalls.spawn(
                    outbound.helperArguments(sandboxPID: launched.pid, prohibited: OutboundNetwork.prohibitedPrefixes()),
                    environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], inherit: info.read, extra: helperDescriptors,
                    stderrPath: spec.diagnosticsPath + ".network"))
            }
            let tmpVolumes = self.tmpVolumes
            return HostSandbox(pid: launched.pid, controlFD: sockets.server, cgroup: launched.cgroup, helpers: helpers,
                               tmpVolume: tmpVolume, kill: Self.kill, releaseVolume: { tmpVolumes?.release($0) })
        } catch {
            if let pid { Syscalls.kill(pid) }
            Syscalls.close(sockets.server)
            cgroup?.killAll()
            cgroup?.remove()
            // Only once nothing of the sandbox can hold it (the pool unmounts lazily if busy).
            if let tmpVolume { tmpVolumes?.release(tmpVolume) }
            throw error
        }
    }

    /// Starts bwrap with `descriptors` as 3, 4, …, inside the environment's cgroups: through a
    /// launcher parked in fresh cgroups when one is ready (no cgroup.procs write on this
    /// path), else through the `sh` wrapper that enters them before becoming bwrap.
    private func spawnSandbox(_ argv: [String], descriptors: [Int32], spec: SandboxSpec) throws(SandboxError)
        -> (pid: pid_t, cgroup: CgroupHandle?) {
        let limits = ResourceLimits(memoryMB: spec.memoryMB)
        if let launchers, let launched = try launchers.launch(
            arguments: argv, environment: [], descriptors: descriptors, stderrPath: spec.diagnosticsPath,
            limits: limits, environmentID: spec.environmentID) {
            return (launched.pid, launched.cgroup)
        }
        var argv = argv
        var cgroup: CgroupHandle?
        if let cgroups {
            let handle = try cgroups.create(environmentID: spec.environmentID, limits: limits)
            cgroup = handle
            argv = ["/bin/sh", "-c", Self.enterCgroups, "lambent-enter-cgroup"] + handle.procsFiles + ["--"] + argv
        }
        do {
            let pid = try Syscalls.spawn(argv, environment: [], inherit: descriptors[0], extra: Array(descriptors.dropFirst()),
                                         stderrPath: spec.diagnosticsPath)
            return (pid, cgroup)
        } catch {
            cgroup?.remove()
            throw error
        }
    }

    /// Kills the namespace's init first, so that the outer bwrap reaps it and exits on its
    /// own; then everything else in the cgroup but the outer bwrap, and the helpers.
    static func kill(_ sandbox: HostSandbox) {
        if let inner = Syscalls.firstChild(of: sandbox.pid) {
            Syscalls.kill(inner)
            sandbox.cgroup?.killAll(except: sandbox.pid)
        } else {
            Syscalls.kill(sandbox.pid)
            sandbox.cgroup?.killAll()
        }
        sandbox.helpers.forEach(Syscalls.kill)
    }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}
