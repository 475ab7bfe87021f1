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
        var context = context
        context.accessKeyID = verified.accessKeyID
        context.service = verified.service
        return try await next(request, context)
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
