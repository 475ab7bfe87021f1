import Glibc

/// What the agent was told on its command line and in its environment.
///
/// `lambent-agent --control-fd 3 -- /var/runtime/bootstrap arg…`
public struct AgentConfiguration: Sendable, Equatable {
    /// The inherited control-channel socket.
    public var controlFD: CInt
    /// The runtime's argv.
    public var runtimeArguments: [String]
    /// Where the Runtime API listens (from `AWS_LAMBDA_RUNTIME_API`).
    public var host: String
    /// The Runtime API's port.
    public var port: Int
    /// The server's Unix socket for functions' own API calls, served on `platformPort` of the
    /// sandbox's loopback (`--platform-socket`); nil: none.
    public var platformSocket: String?
    /// Where the function reaches the platform (`AWS_ENDPOINT_URL` names it).
    public var platformPort = 9002

    /// Creates a configuration.
    public init(controlFD: CInt, runtimeArguments: [String], host: String = "127.0.0.1", port: Int = 9001,
                platformSocket: String? = nil) {
        self.controlFD = controlFD
        self.runtimeArguments = runtimeArguments
        self.host = host
        self.port = port
        self.platformSocket = platformSocket
    }

    /// Parses the arguments after the program name, and `AWS_LAMBDA_RUNTIME_API`
    /// (`host:port`, default `127.0.0.1:9001`).
    public init(arguments: [String], runtimeAPI: String?) throws {
        var controlFD: CInt = 3
        var platformSocket: String?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--control-fd":
                guard let value = rest.popFirst(), let fd = CInt(value), fd >= 0 else {
                    throw AgentError(message: "--control-fd needs a file descriptor number")
                }
                controlFD = fd
            case "--platform-socket":
                guard let value = rest.popFirst(), value.hasPrefix("/") else {
                    throw AgentError(message: "--platform-socket needs an absolute path")
                }
                platformSocket = value
            case "--":
                guard !rest.isEmpty else {
                    throw AgentError(message: "no runtime command after --")
                }
                self.init(controlFD: controlFD, runtimeArguments: Array(rest), platformSocket: platformSocket)
                if let runtimeAPI, !runtimeAPI.isEmpty {
                    let (host, port) = try Self.parseRuntimeAPI(runtimeAPI)
                    self.host = host
                    self.port = port
                }
                return
            default:
                throw AgentError(message: "unknown argument '\(argument)'; usage: lambent-agent --control-fd N [--platform-socket PATH] -- RUNTIME [ARG...]")
            }
        }
        throw AgentError(message: "missing '-- RUNTIME [ARG...]'; usage: lambent-agent --control-fd N -- RUNTIME [ARG...]")
    }

    static func parseRuntimeAPI(_ value: String) throws -> (String, Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
            (1...65535).contains(port)
        else {
            throw AgentError(message: "AWS_LAMBDA_RUNTIME_API must be host:port, not '\(value)'")
        }
        return (String(value[..<colon]), port)
    }
}

/// Writes `text` to stderr unbuffered.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
