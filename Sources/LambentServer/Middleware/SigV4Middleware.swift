import Foundation
import HTTPTypes
import Hummingbird
import LambentAuth
import LambentModel

/// Verifies the SigV4 signature of every request except Lambent's own unauthenticated
/// endpoints (health, pre-signed code downloads, Prometheus metrics). Collects the body
/// first, since the signature covers its hash; handlers then read the collected body without
/// copying.
struct SigV4Middleware: RouterMiddleware {
    typealias Context = LambentRequestContext
    let verifier: SigV4Verifier
    /// Functions' own credentials, which reach the data plane only.
    var platform: PlatformCredentials?
    var names: ResourceNames?

    static let unauthenticatedPrefixes = ["/lambent/v1/health", "/lambent/v1/code/", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.unauthenticatedPrefixes.contains(where: path.hasPrefix) {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: BodyLimits.maximum)
        let signable = SignableRequest(request)
        let verified: (accessKeyID: String, region: String, service: String)
        do {
            verified = try verifier.verifyScoped(signable, body: body.readableBytesView)
        } catch {
            throw LambdaError(status: error.httpStatus, type: error.awsErrorType, message: error.message, isUserError: false)
        }
        if let session = platform?.session(verified.accessKeyID),
           let refusal = try refusal(of: session, request: request, service: verified.service) {
            return refusal
        }
        var context = context
        context.accessKeyID = verified.accessKeyID
        context.service = verified.service
        return try await next(request, context)
    }
}

extension SigV4Middleware {
    /// A function's session: its token, its expiry, and the data plane only, with STS's and
    /// IAM's answers in the protocol of the service asked (Lambda's errors are thrown, for
    /// `AWSErrorMiddleware` to write).
    func refusal(of session: PlatformCredentials.Session, request: Request, service: String) throws -> Response? {
        let token = request.headers[HTTPField.Name("x-amz-security-token")!]
        guard token == session.token else {
            return try Self.refuse(request: request, service: service, code: "UnrecognizedClientException", status: 403,
                                   message: "The security token included in the request is invalid.")
        }
        guard session.expires > Date() else {
            return try Self.refuse(request: request, service: service, code: "ExpiredTokenException", status: 403,
                                   message: "The security token included in the request is expired")
        }
        let target = request.headers[HTTPField.Name("x-amz-target")!]
        if PlatformScope.allowedAction(service: service, method: request.method.rawValue, path: request.uri.path, target: target) != nil {
            return nil
        }
        let action = PlatformScope.requestedAction(service: service, method: request.method.rawValue, path: request.uri.path, target: target)
        let account = names?.accountID ?? "000000000000"
        let roleName = session.role.split(separator: "/").last.map(String.init) ?? "lambda"
        return try Self.refuse(
            request: request, service: service, code: service == "sqs" ? "AccessDenied" : "AccessDeniedException",
            status: service == "logs" ? 400 : 403,
            message: "User: arn:aws:sts::\(account):assumed-role/\(roleName)/\(session.function) is not authorized to perform: \(action) because no identity-based policy allows the \(action) action")
    }

    private static func refuse(request: Request, service: String, code: String, status: Int, message: String) throws -> Response {
        switch service {
        case "sqs": return SQSError(code: code, queryCode: code, status: status, message: message).response
        case "logs": return LogsError(code: code, message: message, status: status).response
        case "events": return EventsError(code: code, message: message, status: status).response
        case "scheduler": return SchedulerError(code: code, message: message, status: status).response
        case "monitoring":
            return CloudWatchError(shape: code, code: code == "AccessDeniedException" ? "AccessDenied" : code, message: message, status: status)
                .response(cbor: request.headers[HTTPField.Name("smithy-protocol")!] != nil)
        default: throw LambdaError(status: status, type: code, message: message, isUserError: true)
        }
    }
}

extension SignableRequest {
    /// What SigV4 signs of a Hummingbird request. HTTPTypes keeps `Host` as the request's
    /// authority, not as a header field, so it is added back as `host`.
    init(_ request: Request) {
        var headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        if let authority = request.head.authority { headers.append((name: "host", value: authority)) }
        self.init(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers)
    }
}
