import Foundation
import Glibc
import LambentControl
import Testing

@testable import LambentAgentCore

@Suite("ParkedLauncher configuration")
struct ParkedLauncherConfigurationTests {
    @Test("parses the socket, the parent and each cgroup to enter")
    func parses() throws {
        let configuration = try ParkedLauncher.Configuration(arguments: [
            "--park", "3", "--parent", "42", "--enter", "/sys/fs/cgroup/memory/a/cgroup.procs",
            "--enter", "/sys/fs/cgroup/pids/a/cgroup.procs",
        ])
        #expect(configuration == ParkedLauncher.Configuration(
            socket: 3, parent: 42,
            procsFiles: ["/sys/fs/cgroup/memory/a/cgroup.procs", "/sys/fs/cgroup/pids/a/cgroup.procs"]))
    }

    @Test("without close_range, the descriptors listed in /proc/self/fd from the first given up close on exec")
    func listedCloseOnExec() throws {
        let opened = (0..<3).map { _ in open("/dev/null", O_RDONLY) }.sorted()
        defer { opened.forEach { close($0) } }
        try #require(opened.allSatisfy { $0 >= 0 && fcntl($0, F_GETFD) & FD_CLOEXEC == 0 })
        ParkedLauncher.markListedCloseOnExec(from: opened[1])
        #expect(opened.map { fcntl($0, F_GETFD) & FD_CLOEXEC != 0 } == [false, true, true])
    }

    @Test("rejects a bad or missing socket or parent, and unknown arguments", arguments: [
        ["--park", "x", "--parent", "1"], ["--park", "3"], ["--park", "3", "--parent", "0"],
        ["--park", "3", "--parent", "1", "--enter"], ["--park", "3", "--parent", "1", "--control-fd", "3"],
    ])
    func rejects(_ arguments: [String]) {
        #expect(throws: AgentError.self) { try ParkedLauncher.Configuration(arguments: arguments) }
    }
}

/// The built agent run as `--park`, without cgroups (the server's pool, with cgroups, is
/// tested in LambentExecutionTests).
@Suite("ParkedLauncher", .enabled(if: FileManager.default.isExecutableFile(atPath: AgentHarness.agentPath),
                                 "needs the built lambent-agent (swift build)"))
struct ParkedLauncherTests {
    /// A launcher started as the server starts one: the socket on 3, its own session.
    final class Launcher {
        let pid: pid_t
        let socket: CInt
        private var reaped = false

        /// `prefix` runs first (a shell that then execs the agent), to start the launcher with
        /// ignored signals; `blocked` is the signal mask it starts with.
        init(parent: pid_t = getpid(), enter: [String] = [], prefix: [String] = [], blocked: [Int32] = []) throws {
            var pair: [CInt] = [-1, -1]
            try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
            socket = pair[0]
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, pair[1], 3)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var mask = sigset_t()
            sigemptyset(&mask)
            for signal in blocked { sigaddset(&mask, signal) }
            posix_spawnattr_setsigmask(&attributes, &mask)
            // Default handling to start with, as the server spawns it.
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let argv = prefix + [AgentHarness.agentPath, "--park", "3", "--parent", String(parent)]
                + enter.flatMap { ["--enter", $0] }
            let cArgv = argv.map { strdup($0) } + [nil]
            defer { cArgv.forEach { free($0) } }
            var pid: pid_t = 0
            let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, [nil])
            close(pair[1])
            try #require(result == 0)
            self.pid = pid
        }

        deinit {
            close(socket)
            if !reaped {
                kill(pid, SIGKILL)
                _ = try? waitExit()
            }
        }

        /// The next report, or nil at end-of-file.
        func report(timeout: Int32 = 10_000) throws -> LauncherReport? {
            var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            try #require(poll(&entry, 1, timeout) == 1, "no report within \(timeout) ms")
            return try DescriptorPassing.receive(on: socket).map { try LauncherReport(decoding: $0.bytes) }
        }

        func order(_ arguments: [String], environment: [String] = [], descriptors: [CInt]) throws {
            let order = LaunchOrder(arguments: arguments, environment: environment, descriptorCount: descriptors.count)
            try DescriptorPassing.send(order.encoded(), descriptors: descriptors, on: socket)
        }

        /// The wait status, once it exits (within 10 s).
        func waitExit() throws -> Int32 {
            var status: Int32 = 0
            for _ in 0..<1000 {
                if waitpid(pid, &status, WNOHANG) == pid {
                    reaped = true
                    return status
                }
                usleep(10_000)
            }
            throw AgentError(message: "launcher \(pid) did not exit")
        }
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("parked-\(UUID().uuidString)").path
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Reads a pipe to end-of-file.
    static func drain(_ fd: CInt) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("parks, then becomes the ordered program with its descriptors at 0, 1, 2, 3, 4 and no others")
    func executesOrder() throws {
        let launcher = try Launcher()
        #expect(try launcher.report() == .ready)
        let output = Self.temporaryFile()
        defer { unlink(output) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        var first: [CInt] = [-1, -1]
        var second: [CInt] = [-1, -1]
        try #require(pipe(&first) == 0 && pipe(&second) == 0)
        // The order's copies are what the program holds; ours close once sent.
        try launcher.order(
            ["/bin/sh", "-c", #"echo "hi $GREETING" >&3; echo there >&4; echo oops >&2; cd /proc/self/fd && echo * >&3"#],
            environment: ["GREETING=from the order"], descriptors: [null, out, out, first[1], second[1]])
        [null, out, first[1], second[1]].forEach { close($0) }
        // End-of-file: the socket closed on exec.
        #expect(try launcher.report() == nil)
        let status = try launcher.waitExit()
        #expect(status == 0)
        let lines = Self.drain(first[0]).split(separator: "\n")
        close(first[0])
        #expect(lines.first == "hi from the order")
        // The shell's own descriptors: the five placed, plus the one `*` opened to list them.
        let listed = Set(lines.last?.split(separator: " ").compactMap { Int($0) } ?? [])
        #expect(listed.isSuperset(of: [0, 1, 2, 3, 4]) && listed.count <= 6, "descriptors: \(listed)")
        #expect(Self.drain(second[0]) == "there\n")
        close(second[0])
        #expect(Self.contents(output) == "oops\n")
    }

    @Test("the program starts with default signal handling and an empty mask")
    func signalsReset() throws {
        let launcher = try Launcher(prefix: ["/bin/sh", "-c", #"trap "" USR1 TERM; exec "$@""#, "sh"],
                                    blocked: [SIGUSR2, SIGHUP])
        #expect(try launcher.report() == .ready)
        let output = Self.temporaryFile()
        defer { unlink(output) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(null); close(out) }
        try launcher.order(["/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"], descriptors: [null, out, out])
        #expect(try launcher.report() == nil)
        #expect(try launcher.waitExit() == 0)
        let masks = Self.contents(output).split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(masks.map { $0.first } == ["SigBlk:", "SigIgn:"])
        #expect(masks.first?.last == "0000000000000000")
        // Nothing ignored but glibc's two internal signals (32 and 33): glibc's posix_spawn
        // ignores them in every child of a threaded process, and only glibc may change them
        // (the program's own glibc takes them over when it starts).
        let ignored = UInt64(masks.last?.last ?? "", radix: 16)
        #expect(ignored.map { $0 & ~0x1_8000_0000 } == 0, "SigIgn \(masks)")
    }

    @Test("a program that cannot be executed is reported, and the launcher exits 127")
    func execFailure() throws {
        let launcher = try Launcher()
        #expect(try launcher.report() == .ready)
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        try launcher.order(["/nonexistent/program"], descriptors: [null, null, null])
        #expect(try launcher.report() == .failed("could not start /nonexistent/program: No such file or directory"))
        let status = try launcher.waitExit()
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 127)
    }

    @Test("a cgroup it cannot enter is reported, and it exits")
    func enterFailure() throws {
        let launcher = try Launcher(enter: ["/nonexistent/cgroup.procs"])
        #expect(try launcher.report() == .failed("cannot enter cgroup /nonexistent/cgroup.procs: No such file or directory"))
        #expect(try launcher.waitExit() == 1 << 8)
    }

    @Test("it exits quietly when the server closes its end")
    func serverCloses() throws {
        let launcher = try Launcher()
        #expect(try launcher.report() == .ready)
        shutdown(launcher.socket, Int32(SHUT_RDWR))
        #expect(try launcher.waitExit() == 0)
    }

    @Test("it exits at once when its parent is not the server it was told about")
    func wrongParent() throws {
        let launcher = try Launcher(parent: 1)
        #expect(try launcher.report() == nil)
        #expect(try launcher.waitExit() == 1 << 8)
    }

    @Test("it is killed when the server thread that started it exits")
    func deathSignal() throws {
        let started = DispatchSemaphore(value: 0)
        let box = Box()
        let thread = Thread {
            box.launcher = try? Launcher()
            // Wait until parked, so the death signal is set before this thread exits.
            box.parked = (try? box.launcher?.report()) == .ready
            started.signal()
        }
        thread.start()
        started.wait()
        let launcher = try #require(box.launcher)
        #expect(box.parked)
        let status = try launcher.waitExit()
        #expect(status & 0x7f == SIGKILL)
    }

    final class Box: @unchecked Sendable {
        // SAFETY: written by one thread before it signals the semaphore the reader waits on.
        var launcher: Launcher?
        var parked = false
    }
}
