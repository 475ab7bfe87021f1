import Glibc
import LambentControl
import Testing

@Suite("LaunchOrder")
struct LaunchOrderTests {
    static let order = LaunchOrder(
        arguments: ["/usr/bin/bwrap", "--setenv", "GREETING", "héllo wörld", "--", "/bin/true", ""],
        environment: ["PATH=/usr/bin", "EMPTY="], descriptorCount: 5)

    @Test("an order survives encoding and decoding", arguments: [
        order,
        LaunchOrder(arguments: ["/bin/true"], environment: [], descriptorCount: 3),
        LaunchOrder(arguments: ["/bin/true"], environment: [], descriptorCount: 253),
    ])
    func roundTrip(_ order: LaunchOrder) throws {
        #expect(try LaunchOrder(decoding: order.encoded()) == order)
    }

    @Test("the header is the kind byte and three big-endian counts")
    func layout() throws {
        let bytes = try LaunchOrder(arguments: ["/a"], environment: ["B=c"], descriptorCount: 4).encoded()
        #expect(bytes == [UInt8(ascii: "O"), 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1] + Array("/a\0B=c\0".utf8))
    }

    @Test("a string with a NUL byte cannot be encoded: execve could not pass it on")
    func nulInString() {
        #expect(throws: ControlProtocolError.self) {
            try LaunchOrder(arguments: ["/bin/echo", "a\0b"], environment: [], descriptorCount: 3).encoded()
        }
    }

    /// An order's header: kind, then the descriptor, argument and environment counts.
    static func header(_ kind: Character = "O", _ counts: UInt32...) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: kind.unicodeScalars.first!)]
        for count in counts { withUnsafeBytes(of: count.bigEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    static let malformedOrders: [([UInt8], String)] = [
        ([], "truncatedField"),
        (header("X", 3, 0, 0), "unknownKind"),
        (header("O", 3, 2, 0) + Array("/a\0".utf8), "truncatedField"),
        (header("O", 3, 1, 0) + Array("/a".utf8), "truncatedField"),
        (header("O", 3, 1, 0) + Array("/a\0extra".utf8), "trailingBytes"),
        (header("O", 3, 1, 0) + [0xff, 0], "invalidText"),
        (header("O", 3, .max, 0) + [0], "truncatedField"),
    ]

    @Test("malformed orders are rejected, each with its code", arguments: malformedOrders)
    func malformed(_ bytes: [UInt8], _ code: String) {
        do {
            _ = try LaunchOrder(decoding: bytes)
            Issue.record("decoded \(bytes)")
        } catch {
            #expect(error.code.description == code)
        }
    }

    @Test("launcher reports survive encoding and decoding", arguments: [
        LauncherReport.ready, .failed("cannot enter cgroup /sys/fs/cgroup/pids/x: permission denied"), .failed(""),
    ])
    func reports(_ report: LauncherReport) throws {
        #expect(try LauncherReport(decoding: report.encoded()) == report)
    }

    @Test("an unknown report is rejected")
    func unknownReport() {
        #expect(throws: ControlProtocolError.self) { try LauncherReport(decoding: [UInt8(ascii: "Z")]) }
        #expect(throws: ControlProtocolError.self) { try LauncherReport(decoding: []) }
        #expect(throws: ControlProtocolError.self) { try LauncherReport(decoding: [UInt8(ascii: "R"), 1]) }
    }
}

@Suite("DescriptorPassing")
struct DescriptorPassingTests {
    static func pair() throws -> (CInt, CInt) {
        var fds: [CInt] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    @Test("a message arrives whole with its descriptors, which close on exec and refer to the same files")
    func roundTrip() throws {
        let (left, right) = try Self.pair()
        defer { close(left); close(right) }
        var pipes: [CInt] = [-1, -1]
        try #require(pipe(&pipes) == 0)
        defer { close(pipes[0]); close(pipes[1]) }
        let large = [UInt8](repeating: 7, count: 100_000)
        try DescriptorPassing.send(large, descriptors: [pipes[1], pipes[1], pipes[0]], on: left)
        let received = try #require(try DescriptorPassing.receive(on: right))
        #expect(received.bytes == large)
        #expect(received.descriptors.count == 3)
        defer { received.descriptors.forEach { close($0) } }
        for descriptor in received.descriptors {
            #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
        }
        let written = [UInt8]("through a passed descriptor".utf8)
        #expect(write(received.descriptors[0], written, written.count) == written.count)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(pipes[0], &buffer, buffer.count)
        #expect(Array(buffer[0..<max(0, count)]) == written)
    }

    @Test("messages keep their boundaries; one without descriptors carries none")
    func boundaries() throws {
        let (left, right) = try Self.pair()
        defer { close(left); close(right) }
        try DescriptorPassing.send([1, 2, 3], on: left)
        try DescriptorPassing.send([4], on: left)
        #expect(try DescriptorPassing.receive(on: right)?.bytes == [1, 2, 3])
        let second = try #require(try DescriptorPassing.receive(on: right))
        #expect(second.bytes == [4])
        #expect(second.descriptors.isEmpty)
    }

    @Test("end-of-file is nil; sending to a closed peer is EPIPE, not SIGPIPE")
    func closedPeer() throws {
        let (left, right) = try Self.pair()
        close(left)
        #expect(try DescriptorPassing.receive(on: right) == nil)
        let (other, gone) = try Self.pair()
        defer { close(other); close(right) }
        close(gone)
        #expect(throws: DescriptorPassingError(operation: "sendmsg", errno: EPIPE)) {
            try DescriptorPassing.send([1], on: other)
        }
    }
}
