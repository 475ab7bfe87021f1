import Glibc

/// The runtime's process: spawned in its own process group with stdin `/dev/null`
/// and stdout/stderr on pipes.
///
/// All syscalls on the runtime live here, so the logic above stays testable.
public struct RuntimeProcess: Sendable {
    /// The runtime's pid, which is also its process group id.
    public let pid: pid_t
    /// The read end of the runtime's stdout pipe (non-blocking, close-on-exec).
    public let stdoutFD: CInt
    /// The read end of the runtime's stderr pipe (non-blocking, close-on-exec).
    public let stderrFD: CInt

    /// Spawns `argv` (looked up on `PATH` when it has no `/`) with the agent's environment.
    ///
    /// - Throws: ``AgentError`` when a pipe cannot be made or the program cannot be started;
    ///   the message is Go's (`fork/exec /var/task/bootstrap: no such file or directory`).
    public static func spawn(argv: [String]) throws -> RuntimeProcess {
        precondition(!argv.isEmpty, "the runtime's argv is empty")
        let stdoutPipe = try makePipe()
        let stderrPipe = try makePipe()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group, so one killpg reaches everything the runtime started; default
        // signal dispositions and an empty mask, because the agent ignores SIGPIPE and
        // ignored signals survive exec.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        )

        // The runtime gets its three standard descriptors and nothing else of the agent's: not
        // the control socket, nor the Runtime API's and the platform port's listening sockets,
        // which NIO does not open close-on-exec.
        ParkedLauncher.closeOnExec(from: 3)
        var pid: pid_t = 0
        // SAFETY: the C strings live until posix_spawnp returns; the arrays end with nil.
        let result = withCStrings(argv) { cArgv in
            posix_spawnp(&pid, argv[0], &actions, &attributes, cArgv, environ)
        }
        close(stdoutPipe.write)
        close(stderrPipe.write)
        guard result == 0 else {
            close(stdoutPipe.read)
            close(stderrPipe.read)
            throw AgentError(message: "fork/exec \(argv[0]): \(goErrorText(result))")
        }
        return RuntimeProcess(pid: pid, stdoutFD: stdoutPipe.read, stderrFD: stderrPipe.read)
    }

    /// Blocks until the runtime exits and returns its `waitpid` status.
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return 0 }
        }
        return status
    }

    /// Sends SIGKILL to the runtime's whole process group.
    public func killGroup() {
        _ = killpg(pid, SIGKILL)
    }

    /// The runtime's peak resident set size (`VmHWM`) in kB, or 0 when unknown.
    public func peakMemoryKB() -> UInt64 {
        Self.peakMemoryKB(pid: pid)
    }

    /// `VmHWM` of `/proc/<pid>/status` in kB, or 0 when unreadable. Runs on every
    /// response, so it reads into a stack buffer and scans bytes, with no String work.
    public static func peakMemoryKB(pid: pid_t) -> UInt64 {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            var filled = 0
            while filled < buffer.count {
                let count = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                filled += count
            }
            return procStatusValue(UnsafeBufferPointer(rebasing: buffer[0..<filled]), key: "VmHWM") ?? 0
        }
    }

    /// The number in `key:   1234 kB` of a `/proc/<pid>/status` text.
    static func procStatusValue(_ status: String, key: String) -> UInt64? {
        var bytes = Array(status.utf8)
        return bytes.withUnsafeMutableBufferPointer { procStatusValue(UnsafeBufferPointer($0), key: key) }
    }

    /// The number in `key:   1234 kB` of `/proc/<pid>/status` bytes.
    static func procStatusValue(_ status: UnsafeBufferPointer<UInt8>, key: String) -> UInt64? {
        let prefix = Array(key.utf8) + [UInt8(ascii: ":")]
        var lineStart = 0
        while lineStart + prefix.count <= status.count {
            if status[lineStart] == prefix[0], (0..<prefix.count).allSatisfy({ status[lineStart + $0] == prefix[$0] }) {
                var index = lineStart + prefix.count
                var value: UInt64 = 0
                var sawDigit = false
                while index < status.count, status[index] != UInt8(ascii: "\n") {
                    let byte = status[index]
                    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                        value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                        sawDigit = true
                    }
                    index += 1
                }
                return sawDigit ? value : nil
            }
            // Skip to the next line.
            while lineStart < status.count, status[lineStart] != UInt8(ascii: "\n") { lineStart += 1 }
            lineStart += 1
        }
        return nil
    }

    private static func makePipe() throws -> (read: CInt, write: CInt) {
        var fds: [CInt] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw AgentError(message: "pipe: \(goErrorText(errno))")
        }
        // Nothing else in the agent forks, so setting close-on-exec after pipe() is race-free.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }
}

/// `strerror` as Go prints errno texts: first letter lowercased.
func goErrorText(_ code: CInt) -> String {
    let text = String(cString: strerror(code))
    guard let first = text.first else { return text }
    return first.lowercased() + text.dropFirst()
}

/// Calls `body` with `strings` as a nil-terminated `char *[]`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    // SAFETY: strdup'd copies are freed after body returns; body does not keep them.
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// An error of the agent itself (bad arguments, a failed syscall).
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and, where it helps, how to fix it.
    public var message: String
    /// Creates an error.
    public init(message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
