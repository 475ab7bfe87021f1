import LambentControl
import NIOCore
import NIOHTTP1

/// One Runtime API connection: decodes requests, hands them to the ``AgentSupervisor``,
/// encodes its answers. A translator only; the rules live in ``InvocationStateMachine``.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The request being read.
    private enum Request {
        case idle
        /// A request answered when it ends (next, 404, 405, a rejected POST).
        case waitingForEnd(RuntimeAPIRoute, rejection: RuntimeAPIError?)
        /// An accepted POST whose body is being collected.
        case collecting(RuntimeAPIRoute, errorType: String, body: ByteBuffer, size: Int)
        /// A response in the streaming mode: each body part goes to the server as it arrives.
        case streaming(requestID: String, size: Int)
        /// A streamed response that went over its limit: the rest of the body is dropped.
        case streamTooLarge
        /// A `/next` waiting for an invocation.
        case parked
    }

    private let supervisor: AgentSupervisor
    private var request = Request.idle
    private var keepAlive = true
    private var context: ChannelHandlerContext?

    init(supervisor: AgentSupervisor) {
        self.supervisor = supervisor
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            let route = RuntimeAPIRoute(method: head.method, uri: head.uri)
            let errorType = head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? ""
            request = .waitingForEnd(route, rejection: nil)
            guard let action = supervisor.postStarted(route) else { return }
            // curl (awslambdaric's client) asks before sending a body over 1 KB and would
            // otherwise wait a second; Go's net/http answers the same way.
            if head.headers[canonicalForm: "Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
            switch action {
            case .accept:
                if case .response(let id) = route, let mode = head.headers.first(name: "Lambda-Runtime-Function-Response-Mode") {
                    startStream(requestID: id, mode: mode, contentType: head.headers.first(name: "Content-Type"), route: route)
                    return
                }
                request = .collecting(route, errorType: errorType, body: context.channel.allocator.buffer(capacity: 0), size: 0)
            case .reject(let error):
                request = .waitingForEnd(route, rejection: error)
            default:
                preconditionFailure("unexpected action \(action) for \(route)")
            }
        case .body(let part) where isStreaming:
            streamed(part, context: context)
        case .body(var part):
            guard case .collecting(let route, let errorType, var body, var size) = request else { return }
            request = .idle  // drop the reference so `body` stays uniquely owned
            size += part.readableBytes
            if size <= RuntimeAPILimits.maxPayloadSize {
                body.writeBuffer(&part)
            } else if body.capacity > 0 {
                body = context.channel.allocator.buffer(capacity: 0)  // over the limit: stop keeping bytes
            }
            request = .collecting(route, errorType: errorType, body: body, size: size)
        case .end(let trailers):
            if isStreaming {
                streamEnded(trailers: trailers, context: context)
            } else {
                requestEnded(context: context)
            }
        }
    }

    // MARK: Streamed responses

    private var isStreaming: Bool {
        switch request {
        case .streaming, .streamTooLarge: true
        default: false
        }
    }

    /// A response with `Lambda-Runtime-Function-Response-Mode`: `streaming` starts a stream;
    /// any other mode fails the invocation and is refused, as RIE does.
    private func startStream(requestID: String, mode: String, contentType: String?, route: RuntimeAPIRoute) {
        guard mode == "streaming" else {
            supervisor.reportInvalidResponseMode(requestID: requestID)
            request = .waitingForEnd(route, rejection: .invalidFunctionResponseMode)
            return
        }
        supervisor.reportStreamStarted(requestID: requestID, contentType: contentType ?? "application/octet-stream")
        request = .streaming(requestID: requestID, size: 0)
    }

    private func streamed(_ part: ByteBuffer, context: ChannelHandlerContext) {
        guard case .streaming(let id, var size) = request else { return }  // over the limit: dropped
        size += part.readableBytes
        guard size <= RuntimeAPILimits.maxStreamedPayloadSize else {
            supervisor.reportStreamTooLarge(requestID: id)
            request = .streamTooLarge
            return
        }
        request = .streaming(requestID: id, size: size)
        supervisor.forwardStreamChunk(part, from: context.channel)
    }

    /// The stream's end: its trailers say whether the function failed midway
    /// (`Lambda-Runtime-Function-Error-Type`, and `Lambda-Runtime-Function-Error-Body` in base64).
    private func streamEnded(trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        defer { request = .idle }
        guard case .streaming(let id, _) = request else {
            let error = RuntimeAPIError.requestEntityTooLarge
            writeJSON(status: error.status, body: error.body, context: context)
            return
        }
        if let errorType = trailers?.first(name: "Lambda-Runtime-Function-Error-Type"), !errorType.isEmpty {
            let encoded = trailers?.first(name: "Lambda-Runtime-Function-Error-Body") ?? ""
            let body = Base64Text.decode(encoded).map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: encoded)
            supervisor.reportInvokeError(requestID: id, errorType: errorType, body: body)
        } else {
            supervisor.reportResponse(requestID: id, body: ByteBuffer())
        }
        writeJSON(status: 202, body: "{\"status\":\"OK\"}\n", context: context)
    }

    private func requestEnded(context: ChannelHandlerContext) {
        switch request {
        case .idle, .parked, .streaming, .streamTooLarge:
            return
        case .waitingForEnd(let route, let rejection):
            request = .idle
            if let rejection {
                writeJSON(status: rejection.status, body: rejection.body, context: context)
                return
            }
            switch route {
            case .next:
                next(context: context)
            case .methodNotAllowed:
                write(status: 405, headers: [], body: nil, context: context)
            default:
                write(
                    status: 404,
                    headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                    body: context.channel.allocator.buffer(string: "404 page not found\n"),
                    context: context
                )
            }
        case .collecting(let route, let errorType, let body, let size):
            request = .idle
            switch route {
            case .response(let id) where size > RuntimeAPILimits.maxPayloadSize:
                supervisor.reportResponseTooLarge(requestID: id)
                let error = RuntimeAPIError.requestEntityTooLarge
                writeJSON(status: error.status, body: error.body, context: context)
                return
            case .response(let id):
                supervisor.reportResponse(requestID: id, body: body)
            case .error(let id):
                supervisor.reportInvokeError(requestID: id, errorType: errorType, body: body)
            case .initError:
                supervisor.reportInitError(errorType: errorType, body: body)
            default:
                preconditionFailure("collected a body for \(route)")
            }
            writeJSON(status: 202, body: "{\"status\":\"OK\"}\n", context: context)
        }
    }

    private func next(context: ChannelHandlerContext) {
        switch supervisor.nextRequested(by: self) {
        case .deliver(let invocation):
            deliver(invocation)
        case .parked:
            request = .parked
        case .rejected(let error):
            writeJSON(status: error.status, body: error.body, context: context)
        }
    }

    /// Answers this connection's parked (or just received) `/next` with `invocation`.
    func deliver(_ invocation: Invocation) {
        guard let context else { return }
        request = .idle
        var headers: [(String, String)] = [
            ("Lambda-Runtime-Aws-Request-Id", invocation.requestID),
            ("Lambda-Runtime-Deadline-Ms", String(invocation.deadlineMs)),
            ("Lambda-Runtime-Invoked-Function-Arn", invocation.invokedFunctionARN),
        ]
        // RIE sets each of these only when it is not empty.
        if !invocation.traceID.isEmpty {
            headers.append(("Lambda-Runtime-Trace-Id", invocation.traceID))
        }
        if let clientContext = invocation.clientContext, !clientContext.isEmpty {
            headers.append(("Lambda-Runtime-Client-Context", clientContext))
        }
        if let cognitoIdentity = invocation.cognitoIdentity, !cognitoIdentity.isEmpty {
            headers.append(("Lambda-Runtime-Cognito-Identity", cognitoIdentity))
        }
        headers.append(("Content-Type", "application/json"))
        write(status: 200, headers: headers, body: invocation.payload, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch request {
        case .parked:
            supervisor.parkedNextCancelled(by: self)
        case .collecting(.response(let id), _, _, _), .collecting(.error(let id), _, _, _), .streaming(let id, _):
            supervisor.reportTruncated(requestID: id)
        default:
            break
        }
        request = .idle
        context.fireChannelInactive()
    }

    private func writeJSON(status: Int, body: String, context: ChannelHandlerContext) {
        write(
            status: status,
            headers: [("Content-Type", "application/json")],
            body: context.channel.allocator.buffer(string: body),
            context: context
        )
    }

    private func write(status: Int, headers: [(String, String)], body: ByteBuffer?, context: ChannelHandlerContext) {
        var head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: status),
            headers: HTTPHeaders(headers)
        )
        head.headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
