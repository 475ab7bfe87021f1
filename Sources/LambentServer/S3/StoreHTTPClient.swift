import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP/1.1 client the S3 gateway forwards requests to the object store with.
///
/// It exists for speed; AsyncHTTPClient does the same job with more hand-offs. Reads from
/// the store are up to 1 MiB (NIO's default allocator stops at 64 KiB, and every buffer costs
/// a wake-up of the task copying it to the client), answers of up to 64 KiB reach the caller
/// whole in one hand-off, and a streamed answer reads a few buffers ahead of its consumer.
/// Connections are kept alive and reused; one that fails or is abandoned mid-answer is closed.
///
/// ```swift
/// let response = try await client.execute(StoreRequest(address: address, method: .GET, target: "/b/k", headers: signed))
/// for try await buffer in response.body { … }
/// ```
final class StoreHTTPClient: Sendable {
    private let group: any EventLoopGroup
    private let idle = Mutex<[StoreAddress: [any Channel]]>([:])
    /// How long the store may leave a request unanswered (or a body stalled while Lambent
    /// waits for it) before the request fails.
    let readTimeout: TimeAmount
    let connectTimeout: TimeAmount

    /// At most this many idle connections are kept per store.
    static let idleLimit = 64
    /// Answers up to this size reach the caller whole.
    static let wholeAnswerLimit = 64 * 1024

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
         readTimeout: TimeAmount = .seconds(30), connectTimeout: TimeAmount = .seconds(5)) {
        self.group = group
        self.readTimeout = readTimeout
        self.connectTimeout = connectTimeout
    }

    /// Sends the request and returns once the store's answer head has arrived (with the whole
    /// body, when small). A request whose body can be sent again is retried once on a new
    /// connection when a kept-alive one turns out to have been closed by the store.
    func execute(_ request: StoreRequest) async throws -> StoreResponse {
        let (channel, reused) = try await checkout(request.address)
        do {
            return try await exchange(request, on: channel)
        } catch StoreClientError.closedBeforeAnswer where reused && request.body.canResend {
            let (fresh, _) = try await connect(request.address)
            return try await exchange(request, on: fresh)
        }
    }

    /// Closes every idle connection.
    func shutdown() {
        let channels = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle.values.flatMap { $0 }
        }
        for channel in channels { channel.close(promise: nil) }
    }

    // MARK: Connections

    private func checkout(_ address: StoreAddress) async throws -> (any Channel, reused: Bool) {
        while let channel = idle.withLock({ $0[address]?.popLast() }) {
            if channel.isActive { return (channel, true) }
        }
        return try await connect(address)
    }

    private func checkin(_ channel: any Channel, address: StoreAddress) {
        let kept = idle.withLock { idle -> Bool in
            guard channel.isActive, idle[address, default: []].count < Self.idleLimit else { return false }
            idle[address, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func forget(_ channel: any Channel, address: StoreAddress) {
        idle.withLock { idle in idle[address]?.removeAll { $0 === channel } }
    }

    private func connect(_ address: StoreAddress) async throws -> (any Channel, reused: Bool) {
        let timeout = readTimeout
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.autoRead, value: false)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 64 * 1024, maximum: 1 << 20))
            .channelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                    try channel.pipeline.syncOperations.addHandler(StoreExchangeHandler(readTimeout: timeout) { channel, reusable in
                        guard let self else { return channel.close(promise: nil) }
                        if reusable { self.checkin(channel, address: address) } else { self.forget(channel, address: address) }
                    })
                }
            }
        let channel: any Channel
        do {
            switch address {
            case .tcp(let host, let port):
                bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
                channel = try await bootstrap.connect(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            throw StoreClientError.unreachable(String(describing: error))
        }
        return (channel, false)
    }

    // MARK: One exchange

    private func exchange(_ request: StoreRequest, on channel: any Channel) async throws -> StoreResponse {
        let answer = channel.eventLoop.makePromise(of: StoreResponse.self)
        var headers = HTTPHeaders()
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        switch request.body {
        case .none:
            if [.PUT, .POST].contains(request.method) { headers.replaceOrAdd(name: "content-length", value: "0") }
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "content-length", value: String(bytes.readableBytes))
        case .stream(_, let length):
            if let length {
                headers.replaceOrAdd(name: "content-length", value: String(length))
            } else {
                headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            }
        }
        let isHead = request.method == .HEAD
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.target, headers: headers)
        channel.eventLoop.execute {
            guard let handler = try? channel.pipeline.syncOperations.handler(type: StoreExchangeHandler.self) else {
                return answer.fail(StoreClientError.closedBeforeAnswer)
            }
            // A streamed body's upload may take longer than the timeout: its clock starts at the end.
            handler.begin(answer, isHead: isHead, timed: !request.body.isStream)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if case .bytes(let bytes) = request.body, bytes.readableBytes > 0 {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(bytes)), promise: nil)
            }
            if case .stream = request.body {
                channel.flush()
            } else {
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
        }
        if case .stream(let body, let length) = request.body {
            do {
                try await upload(body, length: length, on: channel)
            } catch {
                channel.close(promise: nil)
                // The store may have answered (and closed) before taking the whole body.
                if let early = try? await answer.futureResult.get() { return early }
                throw error
            }
        }
        return try await answer.futureResult.get()
    }

    /// Streams a request body to the store, waiting only when the connection is not writable.
    private func upload(_ body: any AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int64?, on channel: any Channel) async throws {
        var sent: Int64 = 0
        for try await buffer in body {
            sent += Int64(buffer.readableBytes)
            if let length, sent > length { throw StoreClientError.bodyLengthMismatch }
            guard channel.isActive else { throw StoreClientError.closedBeforeAnswer }
            let part = HTTPClientRequestPart.body(.byteBuffer(buffer))
            if channel.isWritable {
                channel.writeAndFlush(part, promise: nil)
            } else {
                try await timed(channel.writeAndFlush(part), on: channel)
            }
        }
        if let length, sent != length { throw StoreClientError.bodyLengthMismatch }
        try await timed(channel.writeAndFlush(HTTPClientRequestPart.end(nil)), on: channel)
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: StoreExchangeHandler.self))?.startClock()
        }
    }

    /// Waits for a write the store has to make room for, closing the connection if it does
    /// not within the timeout.
    private func timed(_ write: EventLoopFuture<Void>, on channel: any Channel) async throws {
        let timer = channel.eventLoop.scheduleTask(in: readTimeout) { channel.close(promise: nil) }
        write.whenComplete { _ in timer.cancel() }
        do {
            try await write.get()
        } catch {
            throw channel.isActive ? error : StoreClientError.timeout
        }
    }
}

/// Where the store listens.
enum StoreAddress: Hashable, Sendable {
    case tcp(host: String, port: Int)
    case unix(path: String)
}

/// A request to the store: its target is the path and query as sent on the wire.
struct StoreRequest: Sendable {
    enum Body: Sendable {
        case none
        case bytes(ByteBuffer)
        /// Sent as it arrives; `length` nil sends it chunked.
        case stream(any AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int64?)

        var isStream: Bool {
            if case .stream = self { return true }
            return false
        }

        var canResend: Bool { !isStream }
    }

    var address: StoreAddress
    var method: HTTPMethod
    var target: String
    var headers: [(name: String, value: String)]
    var body: Body = .none
}

/// The store's answer: its head, and its body whole or as it arrives.
struct StoreResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: StoreResponseBody
}

enum StoreClientError: Error, Equatable {
    case unreachable(String)
    /// The connection closed before an answer's head arrived.
    case closedBeforeAnswer
    /// The connection closed, or failed, in the middle of an answer's body.
    case truncatedAnswer
    /// The store did not answer within the read timeout.
    case timeout
    /// A request body was longer or shorter than its declared length.
    case bodyLengthMismatch
}

/// An answer's body: whole, or read from the connection as it is consumed.
struct StoreResponseBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    typealias Stream = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, StoreExchangeHandler.Demand
    >

    enum Storage: Sendable {
        case whole(ByteBuffer)
        case stream(Stream)
    }

    let storage: Storage

    struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var whole: ByteBuffer?
        fileprivate var stream: Stream.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            if let stream {
                let buffer = try await stream.next()
                self.stream = stream
                return buffer
            }
            defer { whole = nil }
            return whole.flatMap { $0.readableBytes > 0 ? $0 : nil }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        switch storage {
        case .whole(let buffer): AsyncIterator(whole: buffer, stream: nil)
        case .stream(let stream): AsyncIterator(whole: nil, stream: stream.makeAsyncIterator())
        }
    }

    /// The whole body, refusing one longer than `limit` bytes.
    func collect(upTo limit: Int) async throws -> ByteBuffer {
        if case .whole(let buffer) = storage {
            guard buffer.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            return buffer
        }
        var collected = ByteBuffer()
        for try await var buffer in self {
            guard collected.readableBytes + buffer.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            collected.writeBuffer(&buffer)
        }
        return collected
    }
}

/// One connection's side of the exchanges: the answer's head (and small body) to the waiting
/// request, a large body into a stream read ahead of its consumer, reads only while someone
/// wants the bytes, and a timeout while waiting on the store. All its state lives on the
/// channel's event loop.
final class StoreExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private enum State {
        /// Between exchanges; a read is pending so that a close by the store is noticed.
        case idle
        case awaitingHead(EventLoopPromise<StoreResponse>, isHead: Bool)
        case collecting(EventLoopPromise<StoreResponse>, HTTPResponseHead, ByteBuffer)
        case streaming(StoreResponseBody.Stream.Source, exchange: UInt64)
        /// The answer's body ended (or was abandoned) and the connection is not reused.
        case closed
    }

    private var state = State.idle
    private var exchange: UInt64 = 0
    private var consumerWantsMore = true
    private var keepAlive = true
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private let readTimeout: TimeAmount
    /// Called on the event loop when an answer has been read whole: `true` when the connection
    /// can carry another exchange.
    private let finished: (any Channel, _ reusable: Bool) -> Void

    init(readTimeout: TimeAmount, finished: @escaping (any Channel, _ reusable: Bool) -> Void) {
        self.readTimeout = readTimeout
        self.finished = finished
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    /// A request has been written: its answer goes to `promise`.
    func begin(_ promise: EventLoopPromise<StoreResponse>, isHead: Bool, timed: Bool) {
        guard case .idle = state, let context, context.channel.isActive else {
            promise.fail(StoreClientError.closedBeforeAnswer)
            return
        }
        exchange += 1
        consumerWantsMore = true
        keepAlive = true
        state = .awaitingHead(promise, isHead: isHead)
        if timed { arm(context) }
    }

    /// The request has been sent whole: the store's time to answer starts.
    func startClock() {
        guard case .awaitingHead = state, let context else { return }
        arm(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .awaitingHead(let promise, let isHead) = state else { return fail(context, StoreClientError.truncatedAnswer) }
            keepAlive = head.isKeepAlive
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            let bodiless = isHead || head.status == .noContent || head.status == .notModified
            if bodiless || (length.map { $0 <= StoreHTTPClient.wholeAnswerLimit } ?? false) {
                state = .collecting(promise, head, ByteBuffer())
                return
            }
            let exchange = self.exchange
            let demand = Demand(loop: NIOLoopBound(self, eventLoop: context.eventLoop), exchange: exchange)
            let made = StoreResponseBody.Stream.makeSequence(
                backPressureStrategy: .init(lowWatermark: 2, highWatermark: 4), finishOnDeinit: true, delegate: demand)
            state = .streaming(made.source, exchange: exchange)
            promise.succeed(StoreResponse(status: head.status, headers: head.headers, body: StoreResponseBody(storage: .stream(made.sequence))))
        case .body(var buffer):
            switch state {
            case .collecting(let promise, let head, var collected):
                state = .idle  // (avoids a copy of `collected`)
                collected.writeBuffer(&buffer)
                state = .collecting(promise, head, collected)
            case .streaming(let source, _):
                if source.yield(buffer) == .stopProducing { consumerWantsMore = false }
            default:
                fail(context, StoreClientError.truncatedAnswer)
            }
        case .end:
            disarm()
            let ended = state
            if case .collecting = ended {} else if case .streaming = ended {} else {
                return fail(context, StoreClientError.truncatedAnswer)
            }
            // The connection goes back before the caller hears the answer, so that its next
            // request finds it.
            if keepAlive {
                state = .idle
                finished(context.channel, true)
            } else {
                state = .closed
                finished(context.channel, false)
                context.close(promise: nil)
            }
            switch ended {
            case .collecting(let promise, let head, let collected):
                promise.succeed(StoreResponse(status: head.status, headers: head.headers, body: StoreResponseBody(storage: .whole(collected))))
            case .streaming(let source, _):
                source.finish()
            default:
                break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .idle:
            context.read()
        case .awaitingHead, .collecting:
            arm(context)
            context.read()
        case .streaming:
            if consumerWantsMore {
                arm(context)
                context.read()
            } else {
                disarm()
            }
        case .closed:
            break
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .idle:
            state = .closed
            finished(context.channel, false)
        case .awaitingHead:
            fail(context, StoreClientError.closedBeforeAnswer)
        default:
            fail(context, StoreClientError.truncatedAnswer)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, error)
    }

    /// Fails the exchange in progress and closes the connection.
    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        disarm()
        let previous = state
        state = .closed
        switch previous {
        case .awaitingHead(let promise, _), .collecting(let promise, _, _):
            promise.fail(error)
        case .streaming(let source, _):
            source.finish(error is StoreClientError ? error : StoreClientError.truncatedAnswer)
        case .idle, .closed:
            break
        }
        if case .closed = previous {} else { finished(context.channel, false) }
        context.close(promise: nil)
    }

    // MARK: The consumer's demand

    /// The stream's delegate: more wanted, or the consumer gone.
    struct Demand: NIOAsyncSequenceProducerDelegate {
        let loop: NIOLoopBound<StoreExchangeHandler>
        let exchange: UInt64

        func produceMore() {
            loop.eventLoop.execute { loop.value.wantsMore(exchange) }
        }

        func didTerminate() {
            loop.eventLoop.execute { loop.value.abandoned(exchange) }
        }
    }

    private func wantsMore(_ exchange: UInt64) {
        guard case .streaming(_, let current) = state, current == exchange, let context else { return }
        if !consumerWantsMore {
            consumerWantsMore = true
            arm(context)
            context.read()
        }
    }

    /// The consumer stopped before the body ended: the rest of it is not read, so the
    /// connection cannot be reused.
    private func abandoned(_ exchange: UInt64) {
        guard case .streaming(_, let current) = state, current == exchange, let context else { return }
        disarm()
        state = .closed
        finished(context.channel, false)
        context.close(promise: nil)
    }

    // MARK: Timeout

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let exchange = self.exchange
        timer = context.eventLoop.scheduleTask(in: readTimeout) {
            let handler = loopBound.value
            guard handler.exchange == exchange, handler.isWaiting, let context = handler.context else { return }
            handler.fail(context, StoreClientError.timeout)
        }
    }

    private var isWaiting: Bool {
        switch state {
        case .awaitingHead, .collecting, .streaming: true
        case .idle, .closed: false
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
