/// What the server tells a parked launcher (`lambent-agent --park`) to become: the program to
/// execute and, passed alongside with `SCM_RIGHTS`, the descriptors it must have.
///
/// One order is one `SOCK_SEQPACKET` message:
///
/// ```text
/// +------+-------------------+------------------+--------------------+---------------------+
/// | 'O'  | descriptors (u32) | arguments (u32)  | environment (u32)  | strings, each + NUL |
/// +------+-------------------+------------------+--------------------+---------------------+
/// ```
///
/// Numbers are big-endian. The strings are the arguments, then the environment's
/// `NAME=value` entries, each followed by a NUL byte (so none may contain one). The message
/// carries exactly `descriptors` descriptors, which become 0, 1, 2, … in the new program, in
/// order: stdin, stdout, stderr, then whatever it inherits from 3 up.
///
/// ```swift
/// let order = LaunchOrder(arguments: ["/usr/bin/bwrap", "--", "/bin/true"], environment: [], descriptorCount: 5)
/// let bytes = try order.encoded()
/// ```
public struct LaunchOrder: Sendable, Equatable {
    /// argv; the first is the absolute path executed (no `PATH` search).
    public var arguments: [String]
    /// envp, as `NAME=value`.
    public var environment: [String]
    /// How many descriptors come with the order.
    public var descriptorCount: Int

    static let kind = UInt8(ascii: "O")
    static let headerSize = 13

    /// Creates an order.
    public init(arguments: [String], environment: [String], descriptorCount: Int) {
        self.arguments = arguments
        self.environment = environment
        self.descriptorCount = descriptorCount
    }

    /// The message's bytes; throws `.invalidText` when a string holds a NUL byte, which
    /// `execve` could not pass on.
    public func encoded() throws(ControlProtocolError) -> [UInt8] {
        var bytes: [UInt8] = [Self.kind]
        bytes.reserveCapacity(Self.headerSize + (arguments + environment).reduce(0) { $0 + $1.utf8.count + 1 })
        for number in [descriptorCount, arguments.count, environment.count] {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: number).bigEndian) { bytes.append(contentsOf: $0) }
        }
        for string in arguments + environment {
            guard !string.utf8.contains(0) else {
                throw ControlProtocolError(code: .invalidText, message: "launch order string contains a NUL byte: \(string.debugDescription)")
            }
            bytes.append(contentsOf: string.utf8)
            bytes.append(0)
        }
        return bytes
    }

    /// Decodes one message.
    public init(decoding bytes: [UInt8]) throws(ControlProtocolError) {
        guard bytes.count >= Self.headerSize else {
            throw ControlProtocolError(code: .truncatedField, message: "launch order of \(bytes.count) bytes is shorter than its header")
        }
        guard bytes[0] == Self.kind else {
            throw ControlProtocolError(code: .unknownKind, message: "message kind \(bytes[0]) is not a launch order")
        }
        func number(at offset: Int) -> Int {
            bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        let descriptorCount = number(at: 1)
        let argumentCount = number(at: 5)
        let environmentCount = number(at: 9)
        var strings: [String] = []
        var start = Self.headerSize
        // Every string takes at least its NUL, so the counts cannot exceed what is left.
        guard argumentCount + environmentCount <= bytes.count - start else {
            throw ControlProtocolError(code: .truncatedField, message: "launch order announces more strings than it holds")
        }
        strings.reserveCapacity(argumentCount + environmentCount)
        while strings.count < argumentCount + environmentCount {
            guard let end = bytes[start...].firstIndex(of: 0) else {
                throw ControlProtocolError(code: .truncatedField, message: "launch order string \(strings.count) has no terminating NUL")
            }
            guard let string = String(validating: bytes[start..<end], as: UTF8.self) else {
                throw ControlProtocolError(code: .invalidText, message: "launch order string \(strings.count) is not valid UTF-8")
            }
            strings.append(string)
            start = end + 1
        }
        guard start == bytes.count else {
            throw ControlProtocolError(code: .trailingBytes, message: "launch order has \(bytes.count - start) bytes after its strings")
        }
        self.init(arguments: Array(strings[..<argumentCount]), environment: Array(strings[argumentCount...]),
                  descriptorCount: descriptorCount)
    }
}

/// What a parked launcher tells the server: that it is parked, or why it gave up. A launcher
/// that executes its order says nothing: its end of the socket closes on exec, and the server
/// reads end-of-file.
public enum LauncherReport: Sendable, Equatable {
    /// The launcher is inside its cgroups, waiting for its order.
    case ready
    /// The launcher could not park, or could not execute its order, and is exiting.
    case failed(String)

    static let readyKind = UInt8(ascii: "R")
    static let failedKind = UInt8(ascii: "F")

    /// The message's bytes.
    public func encoded() -> [UInt8] {
        switch self {
        case .ready: [Self.readyKind]
        case .failed(let reason): [Self.failedKind] + Array(reason.utf8)
        }
    }

    /// Decodes one message.
    public init(decoding bytes: [UInt8]) throws(ControlProtocolError) {
        switch bytes.first {
        case Self.readyKind where bytes.count == 1:
            self = .ready
        case Self.readyKind:
            throw ControlProtocolError(code: .trailingBytes, message: "launcher ready report has \(bytes.count - 1) extra bytes")
        case Self.failedKind:
            self = .failed(String(decoding: bytes.dropFirst(), as: UTF8.self))
        default:
            throw ControlProtocolError(code: .unknownKind, message: "launcher report kind \(bytes.first.map(String.init) ?? "none") is unknown")
        }
    }
}
