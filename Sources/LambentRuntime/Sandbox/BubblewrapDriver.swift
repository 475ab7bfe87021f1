#if canImport(Glibc)
import Glibc
#endif

/// Runs each environment under bubblewrap with fresh user, mount, pid, ipc, uts, cgroup and
/// network namespaces, as an unprivileged user (uid/gid 993, Lambda's `sbx_user1051`) with no
/// capabilities, `no_new_privs`, no further user namespaces, and the `SeccompFilter`. The
/// root is an empty tmpfs holding read-only binds of the host's system directories, the code
/// at /var/task, the runtime at /var/runtime, the agent, and a private, size-limited /tmp.
/// The network namespace has only loopback, which is also what lets every agent listen on
/// 127.0.0.1:9001.
///
/// Killing the outer bwrap process kills the namespace's init (`--die-with-parent`), and the
/// kernel then kills every process in the pid namespace: nothing outlives `destroy`.
public struct BubblewrapDriver: SandboxDriver {
    public var name: String { "namespaces" }
    /// Path of the bwrap executable.
    public let bwrapPath: String
    /// Where environments get their memory, CPU and process limits; nil runs them unlimited.
    public let cgroups: Cgroups?

    /// Finds bwrap on the usual paths; throws `.unavailable` with the install hint if absent.
    public init(bwrapPath: String? = nil, cgroups: Cgroups? = nil) throws(SandboxError) {
        self.cgroups = cgroups
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

    /// The bwrap argument vector for a spec (pure; unit-tested).
    public func arguments(for spec: SandboxSpec) -> [String] {
        var args = [bwrapPath, "--die-with-parent", "--new-session",
                    "--unshare-user", "--uid", String(Self.sandboxUser), "--gid", String(Self.sandboxUser),
                    "--disable-userns", "--cap-drop", "ALL",
                    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup",
                    "--hostname", "localhost", "--seccomp", "4"]
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
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", String(spec.ephemeralStorageMB * 1024 * 1024), "--tmpfs", "/tmp",
                 "--ro-bind", spec.codeDirectory, "/var/task",
                 "--ro-bind", spec.runtimeDirectory, "/var/runtime",
                 "--ro-bind", spec.agentPath, "/var/lambent/agent",
                 "--dir", "/opt",
                 "--chdir", "/var/task",
                 "--clearenv"]
        for (key, value) in spec.environment.sorted(by: { $0.key < $1.key }) {
            args += ["--setenv", key, value]
        }
        args += ["--", "/var/lambent/agent", "--control-fd", "3", "--"]
        args += spec.runtimeCommand
        return args
    }

    /// The uid and gid functions run as (Lambda's `sbx_user1051` is 993).
    public static let sandboxUser = 993

    /// The seccomp program, compiled once.
    static let seccompProgram = SeccompFilter().bytes

    /// Enters every cgroup given before `--`, then becomes the command after it: the sandbox
    /// is inside its cgroups before any of its processes exists.
    static let enterCgroups = #"while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@""#

    public func launch(_ spec: SandboxSpec) throws(SandboxError) -> SandboxProcess {
        let sockets = try Syscalls.socketPair()
        defer { Syscalls.close(sockets.child) }
        var cgroup: CgroupHandle?
        do {
            var argv = arguments(for: spec)
            if let cgroups {
                let handle = try cgroups.create(environmentID: spec.environmentID, limits: ResourceLimits(memoryMB: spec.memoryMB))
                cgroup = handle
                argv = ["/bin/sh", "-c", Self.enterCgroups, "lambent-enter-cgroup"] + handle.procsFiles + ["--"] + argv
            }
            let seccomp = try Syscalls.pipe(holding: Self.seccompProgram)
            defer { Syscalls.close(seccomp) }
            let pid = try Syscalls.spawn(argv, environment: [], inherit: sockets.child,
                                         extra: [seccomp], stderrPath: spec.diagnosticsPath)
            return SandboxProcess(pid: pid, controlFD: sockets.server, cgroup: cgroup)
        } catch {
            Syscalls.close(sockets.server)
            cgroup?.remove()
            throw error
        }
    }

    public func destroy(_ process: SandboxProcess) {
        Syscalls.kill(process.pid)
        process.cgroup?.killAll()
    }

    public func release(_ process: SandboxProcess) {
        process.cgroup?.remove()
    }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}
