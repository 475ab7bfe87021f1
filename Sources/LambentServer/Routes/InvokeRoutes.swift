import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import LambentRuntime

/// `Invoke`: decode headers and payload, run the invocation, encode Lambda's response headers.
struct InvokeRoutes {
    let service: FunctionService
    let invoker: Invoker
    let names: ResourceNames

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/invocations", use: invoke)
    }

    @Sendable func invoke(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let invocationType = request.headers[.amzInvocationType] ?? "RequestResponse"
        let logType = request.headers[.amzLogType] ?? "None"
        guard ["RequestResponse", "Event", "DryRun"].contains(invocationType) else {
            throw LambdaError.validation(value: invocationType, field: "invocationType",
                                         constraint: "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
        }
        guard ["None", "Tail"].contains(logType) else {
            throw LambdaError.validation(value: logType, field: "logType", constraint: "Member must satisfy enum value set: [None, Tail]")
        }
        let qualifier = request.uri.queryParameters.get("Qualifier")
        let record = try await service.function(try context.functionName(), qualifier: qualifier)
        var payload = try await request.body.collect(upTo: BodyLimits.maximum)
        guard payload.readableBytes <= Limits.syncPayloadBytes else { throw LambdaError.invokeRequestTooLarge }

        if invocationType == "DryRun" {
            return Response(status: .noContent, headers: [.amzExecutedVersion: "$LATEST"])
        }
        if invocationType == "Event" {
            throw LambdaError.invalidParameter("Lambent does not support asynchronous invocation (InvocationType Event) yet.")
        }
        switch record.configuration.state {
        case .pending?, .inactive?, .failed?:
            throw LambdaError.functionNotReady(state: record.configuration.state!.rawValue)
        default:
            break
        }
        if payload.readableBytes == 0 {
            payload = ByteBuffer(string: "{}")
        } else if let problem = PayloadCheck.jsonProblem(payload.readableBytesView) {
            throw LambdaError.invalidPayload(problem)
        }
        var clientContext: String?
        if let header = request.headers[.amzClientContext] {
            guard let bytes = Base64.decode(header) else {
                throw LambdaError.invalidParameter("Client context must be a valid Base64-encoded JSON object.")
            }
            clientContext = String(decoding: bytes, as: UTF8.self)
        }

        let result = try await invoker.invoke(InvokeRequest(
            function: record,
            codeDirectory: service.codeDirectory(for: record.codeKey).path,
            payload: payload,
            clientContext: clientContext,
            wantsLogTail: logType == "Tail",
            invokedFunctionARN: names.functionARN(record.name, qualifier: qualifier)))

        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.amzExecutedVersion] = result.executedVersion
        headers[.amznRequestID] = result.requestID
        if let functionError = result.functionError { headers[.amzFunctionError] = functionError }
        if let tail = result.logTail {
            let text = Array((tail.joined(separator: "\n") + "\n").utf8)
            headers[.amzLogResult] = Base64.encode(text.suffix(Limits.logTailBytes))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: result.payload))
    }
}

/// Checks that an invocation payload is JSON, without keeping what it parses.
enum PayloadCheck {
    /// nil when the bytes are one JSON value; otherwise a description of the problem.
    static func jsonProblem(_ bytes: some Collection<UInt8>) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return nil
        } catch {
            return "Unexpected content: the payload is not valid JSON"
        }
    }
}
