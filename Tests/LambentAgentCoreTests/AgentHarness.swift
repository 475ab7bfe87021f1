import Foundation
import Glibc
import LambentControl
import NIOCore
import Testing

/// Runs the built `lambent-agent` with a socketpair on fd 3, as `lambent serve` will.
final class AgentHarness {
    let pid: pid_t
    let port: Int
    private var socket: CInt
    private var decoder = ControlMessageDecoder()
    private var buffer = ByteBuffer()
    /// Every message received so far, in order.
    private(set) var received: [ControlMessage] = []

    /// The built agent: next to the test bundle, else under `.build/debug`.
    static var agentPath: String {
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var candidates = [URL(fileURLWithPath: selfExe).deletingLastPathComponent().appendingPathComponent("lambent-agent").path]
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/lambent-agent").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// A port that was free a moment ago.
    static func freePort() -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, length) }
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    init(runtime: [String], environment extra: [String: String] = [:]) throws {
        port = Self.freePort()
        var pair: [CInt] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw HarnessError("socketpair") }
        _ = fcntl(pair[0], F_SETFD, FD_CLOEXEC)
        socket = pair[0]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 3)

        var environment = ProcessInfo.processInfo.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        environment.merge(extra) { $1 }
        let argv = [Self.agentPath, "--control-fd", "3", "--"] + runtime
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArgv, cEnv)
        close(pair[1])
        guard result == 0 else { throw HarnessError("posix_spawn \(argv[0]): \(result)") }
        self.pid = pid
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if socket >= 0 { close(socket) }
    }

    func send(_ message: ControlMessage) throws {
        var out = ByteBuffer()
        try ControlMessageEncoder().encode(data: message, out: &out)
        let bytes = Array(out.readableBytesView)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard written > 0 else { throw HarnessError("write to agent failed") }
            offset += written
        }
    }

    /// The next message, or `nil` at EOF.
    func next(timeout: Double = 20) throws -> ControlMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let message = try decoder.decode(buffer: &buffer) {
                received.append(message)
                return message
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw HarnessError("no message within \(timeout)s; got \(received)") }
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(left * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            buffer.writeBytes(chunk[0..<count])
        }
    }

    /// Reads messages until one that is not a log, collecting the logs' text on the way.
    func nextEvent(timeout: Double = 20) throws -> ControlMessage? {
        while let message = try next(timeout: timeout) {
            if case .log = message { continue }
            if case .nextRequested = message { continue }
            return message
        }
        return nil
    }

    /// Reads until `predicate` matches a message; fails at EOF.
    @discardableResult
    func waitFor(timeout: Double = 20, _ predicate: (ControlMessage) -> Bool) throws -> ControlMessage {
        while let message = try next(timeout: timeout) {
            if predicate(message) { return message }
        }
        throw HarnessError("EOF before the expected message; got \(received)")
    }

    /// All log bytes received so far, as text.
    var logText: String {
        received.reduce(into: "") { text, message in
            if case .log(let bytes) = message { text += String(buffer: bytes) }
        }
    }

    func closeControl() {
        close(socket)
        socket = -1
    }

    /// Waits for the agent to exit and returns its wait status.
    func waitExit(timeout: Double = 20) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            usleep(20_000)
        }
        throw HarnessError("the agent did not exit within \(timeout)s")
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `source` to a new temporary directory as `name`; returns the directory.
func writeScript(_ name: String, _ source: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-agent-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try source.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    return directory.path
}

func makeInvocation(_ id: String, payload: String, clientContext: String? = nil) -> Invocation {
    Invocation(
        requestID: id,
        deadlineMs: 1_900_000_000_000,
        invokedFunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:test",
        traceID: "Root=1-00000000-000000000000000000000000;Sampled=0",
        clientContext: clientContext,
        cognitoIdentity: nil,
        payload: ByteBuffer(string: payload)
    )
}
