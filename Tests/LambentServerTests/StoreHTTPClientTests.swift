import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import LambentServer

/// The S3 gateway's client against a small scripted HTTP server.
@Suite struct StoreHTTPClientTests {
    /// Answers by path: `/small` (5 bytes), `/large` (3 MiB in 64 KiB parts), `/stall` (never),
    /// `/close` (with `Connection: close`), `/count` (the request body's length).
    final class ScriptedStore: ChannelInboundHandler, @unchecked Sendable {
        // Unchecked: one instance per connection, used on its event loop only.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        static let large = ByteBuffer(bytes: (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })

        var path = ""
        var method = HTTPMethod.GET
        var received = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                path = head.uri
                method = head.method
                received = 0
            case .body(let buffer):
                received += buffer.readableBytes
            case .end:
                answer(context)
            }
        }

        private func answer(_ context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            var body = ByteBuffer()
            switch path {
            case "/stall":
                return
            case "/large":
                headers.add(name: "content-length", value: String(Self.large.readableBytes))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                if method != .HEAD {
                    var remaining = Self.large
                    while remaining.readableBytes > 0, let part = remaining.readSlice(length: min(65_536, remaining.readableBytes)) {
                        context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
                    }
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            case "/close":
                headers.add(name: "connection", value: "close")
                body = ByteBuffer(string: "bye")
            case "/count":
                body = ByteBuffer(string: String(received))
            default:
                body = ByteBuffer(string: "hello")
            }
            headers.add(name: "content-length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if path == "/close" { context.close(promise: nil) }
        }
    }

    /// Runs `body` with a client and the address of a scripted store; returns how many
    /// connections the store accepted.
    @discardableResult
    static func withStore(readTimeout: TimeAmount = .seconds(5), _ body: (StoreHTTPClient, StoreAddress) async throws -> Void) async throws -> Int {
        let accepted = Mutex(0)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedStore())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = StoreHTTPClient(readTimeout: readTimeout)
        do {
            try await body(client, .tcp(host: "127.0.0.1", port: server.localAddress!.port!))
        } catch {
            client.shutdown()
            try await server.close()
            throw error
        }
        client.shutdown()
        try await server.close()
        return accepted.withLock { $0 }
    }

    static func get(_ path: String, _ address: StoreAddress, method: HTTPMethod = .GET, body: StoreRequest.Body = .none) -> StoreRequest {
        StoreRequest(address: address, method: method, target: path, headers: [("host", "store")], body: body)
    }

    @Test("small answers come whole, and the connection is kept for the next request")
    func smallAnswersReuseTheConnection() async throws {
        let connections = try await Self.withStore { client, address in
            for _ in 0..<3 {
                let response = try await client.execute(Self.get("/small", address))
                #expect(response.status == .ok)
                if case .whole = response.body.storage {} else { Issue.record("a 5-byte answer is read whole") }
                #expect(String(buffer: try await response.body.collect(upTo: 100)) == "hello")
            }
        }
        #expect(connections == 1)
    }

    @Test("large answers stream, intact; HEAD answers have no body")
    func largeAnswersStream() async throws {
        try await Self.withStore { client, address in
            let response = try await client.execute(Self.get("/large", address))
            if case .stream = response.body.storage {} else { Issue.record("a 3 MiB answer streams") }
            #expect(try await response.body.collect(upTo: 4 << 20) == ScriptedStore.large)
            let head = try await client.execute(Self.get("/large", address, method: .HEAD))
            #expect(head.headers.first(name: "content-length") == String(ScriptedStore.large.readableBytes))
            #expect(try await head.body.collect(upTo: 10).readableBytes == 0)
            #expect(String(buffer: try await client.execute(Self.get("/small", address)).body.collect(upTo: 100)) == "hello")
        }
    }

    @Test("an answer abandoned part way closes its connection; the next request gets a new one")
    func abandonedAnswer() async throws {
        let connections = try await Self.withStore { client, address in
            do {
                let response = try await client.execute(Self.get("/large", address))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
            }
            #expect(String(buffer: try await client.execute(Self.get("/small", address)).body.collect(upTo: 100)) == "hello")
        }
        #expect(connections == 2)
    }

    @Test("a store that closes after answering is not reused")
    func connectionClose() async throws {
        let connections = try await Self.withStore { client, address in
            let closing = try await client.execute(Self.get("/close", address)).body.collect(upTo: 100)
            #expect(String(buffer: closing) == "bye")
            let next = try await client.execute(Self.get("/small", address)).body.collect(upTo: 100)
            #expect(String(buffer: next) == "hello")
        }
        #expect(connections == 2)
    }

    @Test("a store that never answers fails the request after the read timeout")
    func stalledStoreTimesOut() async throws {
        try await Self.withStore(readTimeout: .milliseconds(300)) { client, address in
            await #expect(throws: StoreClientError.timeout) { try await client.execute(Self.get("/stall", address)) }
        }
    }

    @Test("uploads stream with their length; a body of another length fails")
    func uploads() async throws {
        try await Self.withStore { client, address in
            let parts = (0..<20).map { _ in ByteBuffer(repeating: 7, count: 100_000) }
            let stream = AsyncStream<ByteBuffer> { continuation in
                for part in parts { continuation.yield(part) }
                continuation.finish()
            }
            let response = try await client.execute(Self.get("/count", address, method: .PUT, body: .stream(Uploaded(stream), length: 2_000_000)))
            #expect(String(buffer: try await response.body.collect(upTo: 100)) == "2000000")
            let short = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(ByteBuffer(repeating: 7, count: 10))
                continuation.finish()
            }
            await #expect(throws: StoreClientError.bodyLengthMismatch) {
                try await client.execute(Self.get("/count", address, method: .PUT, body: .stream(Uploaded(short), length: 11)))
            }
            let whole = try await client.execute(Self.get("/count", address, method: .PUT, body: .bytes(ByteBuffer(repeating: 1, count: 1234))))
            #expect(String(buffer: try await whole.body.collect(upTo: 100)) == "1234")
        }
    }

    @Test("an unreachable store is reported as such")
    func unreachable() async throws {
        let client = StoreHTTPClient(connectTimeout: .seconds(1))
        defer { client.shutdown() }
        await #expect {
            try await client.execute(Self.get("/small", .unix(path: "/nonexistent/lambent-store.sock")))
        } throws: { error in
            if case StoreClientError.unreachable = error { return true }
            return false
        }
    }

    /// An `AsyncStream` as the throwing sequence uploads take.
    struct Uploaded: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        typealias Failure = any Error
        let stream: AsyncStream<ByteBuffer>
        init(_ stream: AsyncStream<ByteBuffer>) { self.stream = stream }

        struct AsyncIterator: AsyncIteratorProtocol {
            typealias Failure = any Error
            var base: AsyncStream<ByteBuffer>.AsyncIterator
            mutating func next() async throws -> ByteBuffer? { await base.next() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
    }
}
