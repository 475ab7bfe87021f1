import HTTPTypes
import Hummingbird
import LambentModel

/// `Invoke`: decodes Lambda's headers and the payload into an `InvocationRequest`, and the
/// `InvocationService`'s reply into Lambda's response headers and body. Nothing else.
struct InvokeRoutes {
    let invocations: InvocationService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/invocations", use: invoke)
        router.post("/2014-11-13/functions/:name/invoke-async", use: invokeAsync)
    }

    /// `InvokeAsync` (deprecated by AWS): an `Event` invocation answered `{"Status": 202}`.
    @Sendable func invokeAsync(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let payload = try await request.body.collect(upTo: BodyLimits.maximum)
        let reply = try await invocations.invoke(InvocationRequest(
            target: InvocationTarget(function: try context.functionName()), type: .event, payload: payload))
        var headers: HTTPFields = [.contentType: "application/json"]
        if case .queued(let requestID) = reply { headers[.amznRequestID] = requestID }
        return Response(status: .accepted, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"Status":202}"#)))
    }

    @Sendable func invoke(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let invocationType = request.headers[.amzInvocationType] ?? InvocationType.requestResponse.rawValue
        let logType = request.headers[.amzLogType] ?? "None"
        guard let type = InvocationType(rawValue: invocationType) else {
            throw LambdaError.validation(value: invocationType, field: "invocationType",
                                         constraint: "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
        }
        guard ["None", "Tail"].contains(logType) else {
            throw LambdaError.validation(value: logType, field: "logType", constraint: "Member must satisfy enum value set: [None, Tail]")
        }
        let target = InvocationTarget(function: try context.functionName(),
                                      qualifier: request.uri.queryParameters.get("Qualifier"))
        let payload = try await request.body.collect(upTo: BodyLimits.maximum)
        var clientContext: String?
        if let header = request.headers[.amzClientContext] {
            guard let bytes = Base64.decode(header) else {
                throw LambdaError.invalidParameter("Client context must be a valid Base64-encoded JSON object.")
            }
            clientContext = String(decoding: bytes, as: UTF8.self)
        }

        let reply = try await invocations.invoke(InvocationRequest(
            target: target, type: type, payload: payload, clientContext: clientContext, wantsLogTail: logType == "Tail"))
        switch reply {
        case .dryRun(let version):
            return Response(status: .noContent, headers: [.amzExecutedVersion: version])
        case .queued(let requestID):
            return Response(status: .accepted, headers: [.amznRequestID: requestID])
        case .completed(let result):
            let (body, completion) = try await result.collect()
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.amzExecutedVersion] = result.executedVersion
            headers[.amznRequestID] = result.requestID
            if let functionError = completion.functionError { headers[.amzFunctionError] = functionError }
            if let tail = completion.logTail {
                let text = Array((tail.joined(separator: "\n") + "\n").utf8)
                headers[.amzLogResult] = Base64.encode(text.suffix(Limits.logTailBytes))
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}
