import Foundation
import HTTPTypes
import Hummingbird
import LambentAuth
import LambentExecution
import LambentModel
import LambentStore
import NIOCore

/// Function URL traffic: requests whose `Host` is `<id>.lambda-url.<region>.<domain>`, or
/// whose path starts with `/lambda-url/<id>/`. They are answered here, ahead of the Lambda
/// API's middleware, so they never reach the control plane and are SigV4-verified only when
/// the URL is `AWS_IAM`. Every answer is AWS's: 403 `{"Message":null}` for an unknown id, 403
/// Forbidden when auth fails, CORS preflights from the URL's `Cors`, 502 `Internal Server
/// Error` for a function error, 429 when throttled, 413 over 6 MB.
struct FunctionUrlMiddleware: RouterMiddleware {
    typealias Context = LambentRequestContext
    let functions: FunctionService
    let invocations: InvocationService
    let verifier: SigV4Verifier
    let names: ResourceNames

    static let pathPrefix = "/lambda-url/"
    static let forbidden = #"{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}"#
    static let maximumBody = 6 * 1024 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let route = Self.route(authority: request.head.authority, path: request.uri.path) else {
            return try await next(request, context)
        }
        do {
            return try await serve(request, route: route, context: context)
        } catch {
            context.logger.error("function URL request failed", metadata: ["lambent.error": "\(error)"])
            return Self.plain(500, "Internal Server Error")
        }
    }

    /// Where a URL request goes: the URL id, the path the function sees, and the host it was called by.
    struct Route: Equatable {
        var urlID: String
        var path: String
        var domainName: String?
    }

    /// The route of a request, or nil when it is not URL traffic.
    static func route(authority: String?, path: String) -> Route? {
        // URL hosts are at least 44 bytes (`<32>.lambda-url.`): API requests skip the parsing.
        if let authority, authority.utf8.count >= 44 {
            let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? authority
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            if labels.count >= 3, labels[1] == "lambda-url", isURLID(labels[0]) {
                return Route(urlID: String(labels[0]), path: path.isEmpty ? "/" : path, domainName: host)
            }
        }
        guard path.hasPrefix(pathPrefix) else { return nil }
        let rest = path.dropFirst(pathPrefix.count)
        let id = rest.prefix { $0 != "/" }
        let remainder = rest.dropFirst(id.count)
        return Route(urlID: String(id), path: remainder.isEmpty ? "/" : String(remainder), domainName: nil)
    }

    static func isURLID(_ text: Substring) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private func serve(_ request: Request, route: Route, context: Context) async throws -> Response {
        guard Self.isURLID(Substring(route.urlID)), let (id, config) = try await functions.functionUrl(id: route.urlID) else {
            return Self.denied(#"{"Message":null}"#)
        }
        let origin = request.headers[.origin]
        let cors = config.cors
        if request.method == .options, let cors, let origin, request.headers[.accessControlRequestMethod] != nil {
            return Self.preflight(cors, origin: origin)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBody)
        } catch {
            return Self.plain(413, #"{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}"#,
                              type: "application/json")
        }
        let signable = SignableRequest(request)
        var headers = signable.headers
        let domain = route.domainName ?? "\(route.urlID).lambda-url.\(names.region).localhost"
        var caller: UrlCaller?
        if config.authType == "AWS_IAM" {
            guard let verified = try? verifier.verifyScoped(signable, body: body.readableBytesView), verified.service == "lambda" else {
                return Self.denied(Self.forbidden)
            }
            caller = UrlCaller(accessKey: verified.accessKeyID, accountID: names.accountID,
                               userARN: "arn:aws:iam::\(names.accountID):root", userID: names.accountID)
        } else {
            let url = PolicyRequest(caller: .anonymous, action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE")
            let invoke = PolicyRequest(caller: .anonymous, action: "lambda:InvokeFunction", invokedViaFunctionUrl: true)
            guard try await functions.permits(url, functionName: id.functionName, qualifier: id.qualifier),
                  try await functions.permits(invoke, functionName: id.functionName, qualifier: id.qualifier) else {
                return Self.denied(Self.forbidden)
            }
        }
        // The function sees the URL's host, as on AWS, whichever form reached the server.
        headers.removeAll { $0.name.lowercased() == "host" }
        headers.insert((name: "host", value: domain), at: 0)
        let sourceIP = context.remoteIP ?? "127.0.0.1"
        headers += [("x-forwarded-for", sourceIP), ("x-forwarded-proto", "http"),
                    ("x-forwarded-port", request.head.authority?.split(separator: ":").last.map(String.init) ?? "80")]
        let requestID = RandomID.uuid()
        let event = UrlPayload.event(
            UrlRequest(method: request.method.rawValue, rawPath: route.path, rawQuery: request.uri.query ?? "", headers: headers,
                       body: body, sourceIP: sourceIP, urlID: route.urlID, domainName: domain, caller: caller),
            accountID: caller == nil ? "anonymous" : names.accountID, requestID: requestID, now: Date())
        let reply: InvocationReply
        do {
            reply = try await invocations.invoke(InvocationRequest(
                target: InvocationTarget(function: id.functionName, qualifier: id.qualifier), payload: ByteBuffer(string: event),
                requestID: requestID))
        } catch {
            return Self.failure(error)
        }
        guard case .completed(let result) = reply else { return Self.plain(502, "Internal Server Error") }
        if config.invokeMode == "RESPONSE_STREAM", case .streamed(let stream) = result.body {
            return await Self.streamed(result, contentType: stream.contentType, cors: cors, origin: origin)
        }
        let (output, completion) = try await result.collect()
        if completion.functionError != nil { return Self.plain(502, "Internal Server Error") }
        // A RESPONSE_STREAM URL passes a buffered response through unmapped, as AWS does for a
        // handler that does not stream.
        let answer = config.invokeMode == "RESPONSE_STREAM"
            ? UrlPayload.Answer(status: 200, headers: [("content-type", "application/octet-stream")], body: Array(output.readableBytesView))
            : UrlPayload.answer(output)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        fields[.amznRequestID] = result.requestID
        if let cors, let origin { Self.addCORS(cors, origin: origin, to: &fields) }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    // MARK: Streaming

    /// A streamed response to a RESPONSE_STREAM URL, sent to the client as the function
    /// writes it. With the `application/vnd.awslambda.http-integration-response` content type,
    /// the status and headers come from the JSON prelude before 8 NUL bytes; otherwise the
    /// answer is 200 with the stream's content type. A function that fails before its
    /// prelude is complete gets 502; one that fails later ends the body early.
    static func streamed(_ result: InvocationResult, contentType: String, cors: Cors?, origin: String?) async -> Response {
        let events = StreamReader(result.body.makeAsyncIterator())
        var status = 200
        var headers: [(name: String, value: String)] = [("content-type", contentType)]
        var first = ByteBuffer()
        if contentType == UrlPayload.integrationResponseType {
            var prelude = ByteBuffer()
            while true {
                guard case .chunk(var chunk) = await events.next() else { return plain(502, "Internal Server Error") }
                prelude.writeBuffer(&chunk)
                if let end = UrlPayload.preludeEnd(in: prelude) {
                    first = prelude.getSlice(at: prelude.readerIndex + end + 8, length: prelude.readableBytes - end - 8)!
                    guard let head = UrlPayload.prelude(prelude.getSlice(at: prelude.readerIndex, length: end)!) else {
                        return plain(502, "Internal Server Error")
                    }
                    (status, headers) = head
                    break
                }
                guard prelude.readableBytes <= maximumPrelude else { return plain(502, "Internal Server Error") }
            }
        }
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        fields[.amznRequestID] = result.requestID
        if let cors, let origin { addCORS(cors, origin: origin, to: &fields) }
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: ResponseBody { [first] writer in
            if first.readableBytes > 0 { try await writer.write(first) }
            // Writing waits while the client is slow; a client that went away ends the loop,
            // and with it the stream (the function's further output is dropped).
            while let event = await events.next() {
                if case .chunk(let chunk) = event, chunk.readableBytes > 0 { try await writer.write(chunk) }
            }
            try await writer.finish(nil)
        })
    }

    /// The longest prelude read before the 8 NUL bytes that end it.
    static let maximumPrelude = 1 << 20

    /// A response's events, read first here (the prelude) and then by the body writer.
    /// SAFETY: used by one task at a time: the handler reads the prelude before the
    /// response exists, and only then does the body writer read on.
    final class StreamReader: @unchecked Sendable {
        private var iterator: InvocationBody.AsyncIterator

        init(_ iterator: InvocationBody.AsyncIterator) {
            self.iterator = iterator
        }

        func next() async -> InvocationEvent? {
            await iterator.next()
        }
    }

    // MARK: Answers

    static func plain(_ status: Int, _ text: String, type: String = "text/plain") -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: type],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func denied(_ body: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.amznErrorType] = "AccessDeniedException"
        return Response(status: .forbidden, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// An invocation that could not run: throttled (429), too large (413), or anything else (502).
    static func failure(_ error: any Error) -> Response {
        guard let error = error as? LambdaError else { return plain(502, "Internal Server Error") }
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.amznErrorType] = error.type
        let status: Int
        switch error.type {
        case "TooManyRequestsException": status = 429
        case "RequestEntityTooLargeException": status = 413
        case "ResourceNotReadyException", "ResourceConflictException": status = 503
        default: status = 502
        }
        let body = "{\"Message\":\(JSONText.quoted(error.message))}"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: CORS

    static func allows(_ cors: Cors, origin: String) -> Bool {
        (cors.allowOrigins ?? []).contains { $0 == "*" || $0.caseInsensitiveCompare(origin) == .orderedSame }
    }

    /// A preflight, answered from the configuration without invoking the function.
    static func preflight(_ cors: Cors, origin: String) -> Response {
        var fields = HTTPFields()
        if allows(cors, origin: origin) {
            addCORS(cors, origin: origin, to: &fields)
            if let methods = cors.allowMethods, !methods.isEmpty { fields[.accessControlAllowMethods] = methods.joined(separator: ",") }
            if let headers = cors.allowHeaders, !headers.isEmpty { fields[.accessControlAllowHeaders] = headers.joined(separator: ",") }
            if let maxAge = cors.maxAge { fields[.accessControlMaxAge] = String(maxAge) }
        }
        fields[.vary] = "Origin"
        return Response(status: .ok, headers: fields)
    }

    /// The headers every response to an allowed origin carries (they win over the function's own).
    static func addCORS(_ cors: Cors, origin: String, to fields: inout HTTPFields) {
        guard allows(cors, origin: origin) else { return }
        fields[.accessControlAllowOrigin] = origin
        if cors.allowCredentials == true { fields[.accessControlAllowCredentials] = "true" }
        if let expose = cors.exposeHeaders, !expose.isEmpty { fields[.accessControlExposeHeaders] = expose.joined(separator: ",") }
        if fields[.vary] == nil { fields[.vary] = "Origin" }
    }
}
