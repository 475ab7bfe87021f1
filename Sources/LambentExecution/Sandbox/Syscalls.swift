#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few process and descriptor system calls Lambent makes, in one place, so that what
/// sits above them can be read (and faked) without libc in the way.
public enum Syscalls {
    /// glibc's POSIX_SPAWN_SETSID (2.26+), which Swift's Glibc module does not import.
    static let spawnSetSID: Int32 = 0x80

    /// A connected pair of Unix stream sockets, both close-on-exec.
    public static func socketPair() throws(SandboxError) -> (server: Int32, child: Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SandboxError(.spawnFailed, "socketpair failed: errno \(errno)")
        }
        return (fds[0], fds[1])
    }

    /// Spawns `argv` with `environment`, giving the child `inherit` as descriptor 3 (and
    /// `extra` as 4, 5, …), /dev/null as stdin and stdout, and `stderrPath` (created,
    /// truncated) as stderr. Every other descriptor is closed in the child, so it sees nothing
    /// else of the server. The child leads a new session, so no terminal signal of the
    /// server's reaches it.
    public static func spawn(
        _ argv: [String], environment: [String], inherit: Int32, extra: [Int32] = [], stderrPath: String,
        workingDirectory: String? = nil
    ) throws(SandboxError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Copies numbered above every target first: a source that happened to sit on a target
        // number (a new pipe on 5, say) would otherwise be overwritten before its own dup2.
        let firstFree = Int32(4 + extra.count)
        let sources = ([inherit] + extra).map { fcntl($0, F_DUPFD_CLOEXEC, firstFree) }
        defer { for source in sources where source >= 0 { Glibc.close(source) } }
        guard !sources.contains(-1) else {
            throw SandboxError(.spawnFailed, "could not duplicate a descriptor for \(argv[0]): errno \(errno)")
        }
        for (offset, source) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(3 + offset))
        }
        // Descriptors other threads open without O_CLOEXEC (Foundation's pipes, for one) must
        // not leak into the sandbox: close everything above the ones handed over.
        if let closeFrom = closeFromAction {
            _ = closeFrom(&actions, Int32(4 + extra.count))
        }
        if let workingDirectory, let addChdir = chdirAction {
            _ = addChdir(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | Self.spawnSetSID))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
        guard result == 0 else {
            throw SandboxError(.spawnFailed, "could not start \(argv[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time since
    /// Swift's Glibc module does not import it.
    private static let closeFromAction: CloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), looked up at run time.
    private static let chdirAction: AddChdir? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// A pipe whose read end yields `bytes` and then end-of-file (for data a child reads
    /// from an inherited descriptor, such as bwrap's `--seccomp`). Both ends close on exec;
    /// the caller closes the read end after handing it over. `bytes` must fit the pipe buffer.
    public static func pipe(holding bytes: [UInt8]) throws(SandboxError) -> Int32 {
        let ends = try pipePair()
        defer { Glibc.close(ends.write) }
        let written = bytes.withUnsafeBytes { write(ends.write, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            Glibc.close(ends.read)
            throw SandboxError(.spawnFailed, "could not fill the pipe: errno \(errno)")
        }
        return ends.read
    }

    /// A pipe with both ends close-on-exec: (read, write).
    static func pipePair() throws(SandboxError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        // pipe2 is not imported by Swift's Glibc; set close-on-exec right after. Only
        // posix_spawn with closefrom starts children, so the gap cannot leak the pipe.
        guard Glibc.pipe(&fds) == 0 else {
            throw SandboxError(.spawnFailed, "pipe failed: errno \(errno)")
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// The first child of `pid` (from /proc/<pid>/task/<pid>/children), if any.
    static func firstChild(of pid: pid_t) -> pid_t? {
        readKernelFile("/proc/\(pid)/task/\(pid)/children")?.split(separator: " ").first.flatMap { pid_t($0) }
    }

    /// A free TCP port on 127.0.0.1 (for sandboxes that share the host's network).
    public static func freeLoopbackPort() -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Sends SIGKILL to a process (ignoring a process that is already gone).
    public static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Reaps a child if it has exited; returns true once it is gone.
    public static func reap(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    /// Closes a descriptor.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

// For the `LauncherPool`: its sockets, descriptors and the launchers it starts and discards.
extension Syscalls {
    /// A connected pair of Unix sequenced-packet sockets (each message arrives whole), both
    /// close-on-exec.
    public static func sequencedPacketPair() throws(SandboxError) -> (server: Int32, child: Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SandboxError(.spawnFailed, "socketpair failed: errno \(errno)")
        }
        return (fds[0], fds[1])
    }

    /// Opens `path` close-on-exec (for descriptors handed to a child).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SandboxError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw SandboxError(.spawnFailed, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Waits until `fd` has something to read, or its peer has closed, for at most
    /// `timeout`; false when the time ran out.
    public static func waitReadable(_ fd: Int32, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let result = poll(&entry, 1, Int32(clamping: milliseconds))
            if result > 0 { return true }
            if result == 0 || errno != EINTR { return false }
        }
    }

    /// True when `fd` is readable or its peer has closed, right now.
    public static func isReadable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// Kills a child and reaps it, waiting up to `timeout` for it to exit; false if it did not.
    @discardableResult
    public static func killAndReap(_ pid: pid_t, timeout: Duration = .seconds(1)) -> Bool {
        kill(pid)
        let deadline = ContinuousClock.now + timeout
        while !reap(pid) {
            guard ContinuousClock.now < deadline else { return false }
            usleep(500)
        }
        return true
    }

    /// The whole of a /proc or cgroup file, read to its end. Such files report size 0, and
    /// Foundation's `String(contentsOfFile:)` stops after 4 KB of them (seen with
    /// /proc/self/mountinfo on a machine with many mounts; a cgroup.procs of hundreds of
    /// pids, after a fork bomb, is as long).
    public static func readKernelFile(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
