import Glibc
import LambentControl

/// `lambent-agent --park FD --parent PID [--enter PROCS-FILE]...`: a process the server starts
/// ahead of demand, which moves itself into a fresh set of cgroups and then waits, on the
/// `SOCK_SEQPACKET` socket `FD`, for one ``LaunchOrder``. It then puts the descriptors that
/// came with the order at 0, 1, 2, … (everything else closes on exec), restores default
/// signal handling and becomes the order's program with `execve`, keeping its pid.
///
/// Entering a cgroup v1 hierarchy takes milliseconds (a write to `cgroup.procs` waits for an
/// RCU grace period), so doing it here, before an environment is asked for, takes it off
/// the cold-start path. The server's `LauncherPool` is the other side.
///
/// The launcher dies with the server: `PR_SET_PDEATHSIG` while it waits (inherited by the
/// program it becomes), and end-of-file on the socket when the server closes its end.
public enum ParkedLauncher {
    /// What the launcher was told on its command line.
    public struct Configuration: Sendable, Equatable {
        /// The socket the order comes on.
        public var socket: CInt
        /// The server's pid: the launcher's parent, which it must not outlive.
        public var parent: pid_t
        /// The `cgroup.procs` files to write the launcher's pid to, one per hierarchy.
        public var procsFiles: [String]

        /// Creates a configuration.
        public init(socket: CInt, parent: pid_t, procsFiles: [String]) {
            self.socket = socket
            self.parent = parent
            self.procsFiles = procsFiles
        }

        static let usage = "usage: lambent-agent --park FD --parent PID [--enter PROCS-FILE]..."

        /// Parses the arguments after the program name (starting with `--park`).
        public init(arguments: [String]) throws(AgentError) {
            var socket: CInt?
            var parent: pid_t?
            var procsFiles: [String] = []
            var rest = arguments[...]
            while let argument = rest.popFirst() {
                switch argument {
                case "--park":
                    guard let value = rest.popFirst(), let fd = CInt(value), fd >= 0 else {
                        throw AgentError(message: "--park needs a socket descriptor number; \(Self.usage)")
                    }
                    socket = fd
                case "--parent":
                    guard let value = rest.popFirst(), let pid = pid_t(value), pid > 0 else {
                        throw AgentError(message: "--parent needs a process id; \(Self.usage)")
                    }
                    parent = pid
                case "--enter":
                    guard let file = rest.popFirst(), !file.isEmpty else {
                        throw AgentError(message: "--enter needs a cgroup.procs path; \(Self.usage)")
                    }
                    procsFiles.append(file)
                default:
                    throw AgentError(message: "unknown argument '\(argument)'; \(Self.usage)")
                }
            }
            guard let socket, let parent else { throw AgentError(message: Self.usage) }
            self.init(socket: socket, parent: parent, procsFiles: procsFiles)
        }
    }

    /// Parks, then executes the order. Returns (an exit status) only when there is nothing
    /// to execute: the server went away (0), or something failed (1; 127 when `execve` did),
    /// which the launcher reports on the socket first.
    public static func run(_ configuration: Configuration) -> Int32 {
        // The death signal fires when the server thread that spawned us exits. If the server
        // died before prctl took effect, we were re-parented: getppid() no longer names it.
        guard systemPrctl(setDeathSignal, UInt(SIGKILL), 0, 0, 0) == 0, getppid() == configuration.parent else {
            return 1
        }
        // The server spawns us as a session leader already; this covers any other spawner, so
        // no terminal signal of the server's reaches what we become.
        if getsid(0) != getpid() { _ = setsid() }
        var socket = configuration.socket
        guard fcntl(socket, F_SETFD, FD_CLOEXEC) == 0 else { return 1 }

        let pid = String(getpid())
        for file in configuration.procsFiles {
            if let failure = write(pid, to: file) {
                report(.failed("cannot enter cgroup \(file): \(failure)"), on: socket)
                return 1
            }
        }
        report(.ready, on: socket)

        let message: (bytes: [UInt8], descriptors: [CInt])?
        do {
            message = try DescriptorPassing.receive(on: socket)
        } catch {
            return 1
        }
        // End-of-file: the server closed its end (pool shutdown, or the server is gone).
        guard let message else { return 0 }
        let order: LaunchOrder
        do {
            order = try LaunchOrder(decoding: message.bytes)
        } catch {
            report(.failed("bad launch order: \(error.message)"), on: socket)
            return 1
        }
        guard let program = order.arguments.first, order.descriptorCount == message.descriptors.count else {
            report(.failed("launch order has no program, or \(message.descriptors.count) descriptors for \(order.descriptorCount)"), on: socket)
            return 1
        }

        resetSignals()
        guard let moved = place(message.descriptors, keeping: socket) else {
            report(.failed("cannot place the order's descriptors: \(errorText(errno))"), on: socket)
            return 1
        }
        socket = moved
        // SAFETY: strdup'd copies live until execve returns (only on failure); both arrays end with nil.
        let arguments = order.arguments.map { strdup($0) } + [nil]
        let environment = order.environment.map { strdup($0) } + [nil]
        execve(program, arguments, environment)
        let failure = errno
        arguments.forEach { free($0) }
        environment.forEach { free($0) }
        report(.failed("could not start \(program): \(errorText(failure))"), on: socket)
        return 127
    }

    /// Puts `descriptors` at 0, 1, 2, … and marks every other descriptor close-on-exec;
    /// returns where `socket` ended up (it stays open until exec), or nil with errno set.
    static func place(_ descriptors: [CInt], keeping socket: CInt) -> CInt? {
        let count = CInt(descriptors.count)
        var socket = socket
        if socket < count {
            let moved = fcntl(socket, F_DUPFD_CLOEXEC, count)
            guard moved >= 0 else { return nil }
            close(socket)
            socket = moved
        }
        // Lift every descriptor above the targets first, so that placing one never
        // overwrites another that is still to be placed.
        var lifted: [CInt] = []
        for descriptor in descriptors {
            let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, count)
            guard copy >= 0 else { return nil }
            lifted.append(copy)
            close(descriptor)
        }
        for (target, source) in lifted.enumerated() where dup2(source, CInt(target)) < 0 {
            return nil
        }
        closeOnExec(from: count)
        return socket
    }

    /// Marks every descriptor from `first` up close-on-exec: one `close_range` on Linux 5.11
    /// and later, else each one listed in /proc/self/fd.
    static func closeOnExec(from first: CInt) {
        if systemCall(closeRangeNumber, UInt(first), UInt(UInt32.max), UInt(closeRangeCloseOnExec)) == 0 { return }
        markListedCloseOnExec(from: first)
    }

    /// Marks every descriptor from `first` up listed in /proc/self/fd close-on-exec.
    static func markListedCloseOnExec(from first: CInt) {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = CInt(name), descriptor >= first {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
        }
    }

    /// Default dispositions for every signal, then an empty mask: ignored signals and the
    /// mask survive exec, and the program must start as if freshly spawned.
    static func resetSignals() {
        for signal in 1...64 where signal != SIGKILL && signal != SIGSTOP {
            // glibc refuses to touch its two internal real-time signals (32 and 33); the server
            // spawns launchers with them at their defaults.
            _ = Glibc.signal(Int32(signal), SIG_DFL)
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, nil)
    }

    /// Writes `text` to an existing file; nil, or why not.
    static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errorText(errno) }
        defer { close(fd) }
        var text = text
        let written = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == text.utf8.count ? nil : errorText(written < 0 ? errno : EIO)
    }

    /// Tells the server; a server that is gone cannot be told, and the launcher exits anyway.
    static func report(_ report: LauncherReport, on socket: CInt) {
        try? DescriptorPassing.send(report.encoded(), on: socket)
    }

    /// strerror, as the server words its own spawn errors.
    static func errorText(_ code: CInt) -> String {
        String(cString: strerror(code))
    }

    static let setDeathSignal: Int32 = 1  // PR_SET_PDEATHSIG
    static let closeRangeNumber = 436  // __NR_close_range, the same on every architecture
    static let closeRangeCloseOnExec: Int32 = 4  // CLOSE_RANGE_CLOEXEC
}

// Swift imports neither prctl nor syscall (both variadic in C), and the agent is linked
// statically, so dlsym cannot find them at run time either. close_range goes through
// syscall(2) because glibc wraps it only from 2.34 on.
// SAFETY: both take and return plain integers, which the Swift calling convention passes in
// the same registers as C's on Linux x86-64 and arm64, variadic or not; the callees read
// their variadic arguments as longs, which is what these are.
@_silgen_name("prctl")
private func systemPrctl(_ option: Int32, _ arg2: UInt, _ arg3: UInt, _ arg4: UInt, _ arg5: UInt) -> Int32

@_silgen_name("syscall")
private func systemCall(_ number: Int, _ arg1: UInt, _ arg2: UInt, _ arg3: UInt) -> Int
