import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import Logging

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
            return Self.response(for: .requestEntityTooLarge(limit: BodyLimits.maximum))
        } catch let error as HTTPError where error.status == .methodNotAllowed {
            return Self.response(for: .unknownOperation(method: request.method.rawValue, path: request.uri.path))
        } catch {
            context.logger.error("request failed", metadata: ["lambent.error": "\(error)"])
            return Self.response(for: .service("Lambent could not complete the request: \(error)"))
        }
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
