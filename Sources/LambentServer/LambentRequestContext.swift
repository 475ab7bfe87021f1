import Hummingbird
import Logging

/// The request context of Lambent's HTTP surface: Hummingbird's core storage plus who signed
/// the request.
public struct LambentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The access key that signed the request (set by `SigV4Middleware`).
    public var accessKeyID: String?
    /// The service the request's credential scope names (`lambda`, `sqs`), set by `SigV4Middleware`.
    public var service: String?
    /// The client's IP address, when the connection has one.
    public let remoteIP: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are size-checked per operation by `SigV4Middleware`, which collects them first.
    public var maxUploadSize: Int { BodyLimits.maximum }
}

/// Request body limits by operation.
enum BodyLimits {
    /// The largest body read at all: AWS's limit for a CreateFunction request (a 50 MB zip,
    /// base64-encoded in JSON, with room for the rest), as its recorded 413 names it.
    static let maximum = 70_167_211
}
