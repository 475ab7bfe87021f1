import HTTPTypes
import Hummingbird
import LambentModel

/// `Invoke`: decodes Lambda's headers and the payload into an `InvocationRequest`, and the
/// `InvocationService`'s reply into Lambda's response headers and body. Nothing else.
struct InvokeRoutes {
    let invocations: InvocationService

    /// `X-Amzn-Trace-Id`: the caller's X-Ray trace header.
    static let traceID = HTTPField.Name("x-amzn-trace-id")!

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/invocations", use: invoke)
        router.post("/2014-11-13/functions/:name/invoke-async", use: invokeAsync)
        router.post("/2021-11-15/functions/:name/response-streaming-invocations", use: invokeWithResponseStream)
    }

    /// `InvokeAsync` (deprecated by AWS): an `Event` invocation answered `{"Status": 202}`.
    @Sendable func invokeAsync(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let payload = try await request.body.collect(upTo: BodyLimits.maximum)
        let reply = try await invocations.invoke(InvocationRequest(
            target: InvocationTarget(function: try context.functionName()), type: .event, payload: payload,
            traceHeader: request.headers[Self.traceID]))
        var headers: HTTPFields = [.contentType: "application/json"]
        if case .queued(let requestID) = reply { headers[.amznRequestID] = requestID }
        return Response(status: .accepted, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"Status":202}"#)))
    }

    /// The `InvocationRequest` an `Invoke` or `InvokeWithResponseStream` request asks for.
    private func invocationRequest(_ request: Request, context: LambentRequestContext, types: [InvocationType]) async throws
        -> InvocationRequest {
        let invocationType = request.headers[.amzInvocationType] ?? InvocationType.requestResponse.rawValue
        let logType = request.headers[.amzLogType] ?? "None"
        guard let type = InvocationType(rawValue: invocationType), types.contains(type) else {
            throw LambdaError.validation(value: invocationType, field: "invocationType",
                                         constraint: "Member must satisfy enum value set: [\(types.map(\.rawValue).joined(separator: ", "))]")
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
        return InvocationRequest(target: target, type: type, payload: payload, clientContext: clientContext, wantsLogTail: logType == "Tail",
                                 traceHeader: request.headers[Self.traceID])
    }

    /// `InvokeWithResponseStream`: `application/vnd.amazon.eventstream` with a `PayloadChunk`
    /// event per piece of the response as the function writes it, and a final
    /// `InvokeComplete` (`ErrorCode`, `ErrorDetails`, `LogResult`). A function that fails
    /// sends its error document as `ErrorDetails`, not as payload.
    @Sendable func invokeWithResponseStream(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let invocation = try await invocationRequest(request, context: context, types: [.requestResponse, .dryRun])
        let reply = try await invocations.invoke(invocation)
        guard case .completed(let result) = reply else {
            if case .dryRun(let version) = reply { return Response(status: .noContent, headers: [.amzExecutedVersion: version]) }
            throw LambdaError.service("unexpected reply to a streaming invocation")
        }
        var headers: HTTPFields = [.contentType: "application/vnd.amazon.eventstream"]
        headers[.amzExecutedVersion] = result.executedVersion
        headers[.amznRequestID] = result.requestID
        let body = result.body
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for await event in body {
                switch event {
                case .chunk(let chunk):
                    guard chunk.readableBytes > 0 else { continue }
                    try await writer.write(EventStream.event(type: "PayloadChunk", contentType: "application/octet-stream", payload: chunk))
                case .completed(let completion):
                    var fields: [String] = []
                    if let error = completion.functionError {
                        let details = completion.errorBody ?? ByteBuffer()
                        fields.append("\"ErrorCode\":\(JSONText.quoted(error))")
                        fields.append("\"ErrorDetails\":\(JSONText.quoted(String(buffer: details)))")
                    }
                    if let tail = completion.logTail { fields.append("\"LogResult\":\"\(Self.logResult(tail))\"") }
                    try await writer.write(EventStream.event(type: "InvokeComplete", contentType: "application/json",
                                                             payload: ByteBuffer(string: "{" + fields.joined(separator: ",") + "}")))
                }
            }
            try await writer.finish(nil)
        })
    }

    @Sendable func invoke(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let invocation = try await invocationRequest(request, context: context, types: [.event, .requestResponse, .dryRun])
        let reply = try await invocations.invoke(invocation)
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
            if let tail = completion.logTail { headers[.amzLogResult] = Self.logResult(tail) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }

    /// `LogResult`: the last 4 KB of the invocation's log lines, base64-encoded.
    static func logResult(_ tail: [String]) -> String {
        Base64.encode(Array((tail.joined(separator: "\n") + "\n").utf8).suffix(Limits.logTailBytes))
    }
}
