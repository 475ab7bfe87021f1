import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import Logging
import NIOCore
import NIOHTTP1

/// Turns every error into Lambda's error format: status, `x-amzn-ErrorType`, and a JSON body
/// `{"Type": "User", "message": "..."}`. Unknown routes become `UnknownOperationException`.
struct AWSErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as LambdaError {
            return Self.response(for: error)
        } catch let error as HTTPError where error.status == .notFound {
            return Self.response(for: .unknownOperation(method: request.method.rawValue, path: request.uri.path))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Self.response(for: Self.tooLarge(request))
        } catch is NIOTooManyBytesError {
            return Self.response(for: Self.tooLarge(request))
        } catch is HTTPParserError {
            // A body whose framing (chunk sizes) is broken: the client's fault, said without
            // the parser's own words.
            return Self.response(for: LambdaError(status: 400, type: "InvalidRequestContentException",
                                                  message: "The request body could not be read: its HTTP/1.1 framing is malformed."))
        } catch let error as HTTPError where error.status == .methodNotAllowed {
            return Self.response(for: .unknownOperation(method: request.method.rawValue, path: request.uri.path))
        } catch {
            context.logger.error("request failed", metadata: ["lambent.error": "\(error)"])
            return Self.response(for: .service("Lambent could not complete the request: \(error)"))
        }
    }

    /// The 413 for a body past what Lambent reads at all (`BodyLimits.maximum`): an invocation's
    /// own, else the control plane's, naming the operation.
    static func tooLarge(_ request: Request) -> LambdaError {
        let path = request.uri.path
        if path.hasSuffix("/invocations") { return .invokeRequestTooLarge }
        let operation = switch (request.method, path) {
        case (.post, let path) where path.hasSuffix("/functions") || path.hasSuffix("/functions/"): "CreateFunction"
        case (.put, let path) where path.hasSuffix("/code"): "UpdateFunctionCode"
        case (.put, let path) where path.hasSuffix("/configuration"): "UpdateFunctionConfiguration"
        case (.post, let path) where path.contains("/layers/") && path.hasSuffix("/versions"): "PublishLayerVersion"
        default: "\(request.method.rawValue) \(path)"
        }
        return .requestEntityTooLarge(limit: BodyLimits.maximum, operation: operation)
    }

    static func response(for error: LambdaError) -> Response {
        var body: [String: String] = ["message": error.message]
        if error.isUserError { body["Type"] = "User" }
        body.merge(error.extraFields) { current, _ in current }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.amznErrorType] = error.type
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: HTTPResponse.Status(code: error.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    static let amznErrorType = HTTPField.Name("x-amzn-ErrorType")!
    static let retryAfter = HTTPField.Name("Retry-After")!
    static let amznRequestID = HTTPField.Name("x-amzn-RequestId")!
    static let amzFunctionError = HTTPField.Name("X-Amz-Function-Error")!
    static let amzLogResult = HTTPField.Name("X-Amz-Log-Result")!
    static let amzExecutedVersion = HTTPField.Name("X-Amz-Executed-Version")!
    static let amzInvocationType = HTTPField.Name("X-Amz-Invocation-Type")!
    static let amzLogType = HTTPField.Name("X-Amz-Log-Type")!
    static let amzClientContext = HTTPField.Name("X-Amz-Client-Context")!
}
