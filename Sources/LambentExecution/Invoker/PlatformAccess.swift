import LambentModel

/// How functions reach Lambent's own API from inside their environments: the endpoint
/// (`AWS_ENDPOINT_URL`) and short-lived credentials minted for each environment, so that an
/// unmodified AWS SDK in a function calls SQS, Lambda and CloudWatch Logs here.
///
/// Sandboxes with a network of their own reach the server through a Unix socket bound into
/// them, which the agent serves as `127.0.0.1:9002` inside the sandbox; that socket is their
/// only way to the server. Environments that share the host's network (and the process
/// driver) use the server's own port.
public struct PlatformAccess: Sendable {
    /// The server's Unix socket on the host (bound at `sandboxSocket` in sandboxes).
    public var socketPath: String
    /// The server's own endpoint, for environments on the host's network.
    public var hostEndpoint: String
    /// Credentials for one new environment of a function: AWS's three variables.
    public var credentials: @Sendable (FunctionConfiguration) -> [String: String]

    /// Where sandboxes see the socket.
    public static let sandboxSocket = "/var/lambent/platform.sock"
    /// Where the agent serves it inside a sandbox.
    public static let sandboxEndpoint = "http://127.0.0.1:9002"

    public init(socketPath: String, hostEndpoint: String, credentials: @escaping @Sendable (FunctionConfiguration) -> [String: String]) {
        self.socketPath = socketPath
        self.hostEndpoint = hostEndpoint
        self.credentials = credentials
    }
}
