// An open-loop HTTP load generator for the benchmarks: requests start at a fixed rate whether or
// not earlier ones have been answered (wrk keeps a fixed number in flight instead, so a slow
// answer delays the requests behind it and hides itself: coordinated omission). Each request's
// latency runs from the moment it was due to be sent, so time spent waiting for a free
// connection counts. wrk2 does this; it is not packaged for Debian.
//
//   lambent-bench-load --url http://127.0.0.1:9550/path --rate 5000 --duration 10 \
//       [--connections 64] [--method POST] [--body-file f] [--header 'Name: value']...
//
// Prints one line: `OPENLOAD {"due":…,"completed":…,"errors":…,"rate":…,"latency_us":{"p50":…}}`.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

struct Options {
    var host = "127.0.0.1"
    var port = 80
    var path = "/"
    var rate = 1000.0
    var duration = 10.0
    var connections = 64
    var method = HTTPMethod.GET
    var body = ByteBuffer()
    var headers = HTTPHeaders()
    /// Print, to stderr, the slowest request of every 100 ms of due times.
    var timeline = false

    init(_ arguments: [String]) throws {
        var index = 1
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw UsageError("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--url":
                guard let url = URL(string: try value()), let host = url.host else { throw UsageError("bad --url") }
                self.host = host
                port = url.port ?? 80
                path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?" + $0 } ?? "")
            case "--timeline": timeline = true
            case "--rate": rate = Double(try value()) ?? rate
            case "--duration": duration = Double(try value()) ?? duration
            case "--connections": connections = Int(try value()) ?? connections
            case "--method": method = HTTPMethod(rawValue: try value())
            case "--body-file": body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: try value())))
            case "--header":
                let line = try value()
                guard let colon = line.firstIndex(of: ":") else { throw UsageError("bad --header \(line)") }
                headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            default: throw UsageError("unknown option \(arguments[index])")
            }
            index += 1
        }
        if !headers.contains(name: "Host") { headers.add(name: "Host", value: "\(host):\(port)") }
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// All state lives on the one event loop.
final class Load: @unchecked Sendable {
    let options: Options
    let loop: EventLoop
    var idle: [Channel] = []
    /// Due times (ns) of requests waiting for a connection, oldest first.
    var waiting: [UInt64] = []
    var waitingHead = 0
    var latencies: [UInt64] = []
    /// The slowest latency (ns) by 100 ms bucket of due time.
    var slowest: [Int: UInt64] = [:]
    var due = 0
    var errors = 0
    var start: UInt64 = 0
    var finished = false
    let done: EventLoopPromise<Void>

    init(options: Options, loop: EventLoop) {
        self.options = options
        self.loop = loop
        self.done = loop.makePromise()
        latencies.reserveCapacity(Int(options.rate * options.duration) + 16)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Sends every request that has come due since the last tick.
    func tick() {
        let elapsed = Self.now() - start
        let total = Int(options.rate * options.duration)
        let shouldBeDue = min(total, Int(Double(elapsed) / 1e9 * options.rate) + 1)
        while due < shouldBeDue {
            let dueAt = start + UInt64(Double(due) / options.rate * 1e9)
            due += 1
            waiting.append(dueAt)
        }
        dispatch()
        if due >= total {
            finishWhenIdle()
        } else {
            loop.scheduleTask(in: .microseconds(100)) { self.tick() }
        }
    }

    func dispatch() {
        while waitingHead < waiting.count, let channel = idle.popLast() {
            let dueAt = waiting[waitingHead]
            waitingHead += 1
            send(on: channel, dueAt: dueAt)
        }
        if waitingHead > 4096 {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    func send(on channel: Channel, dueAt: UInt64) {
        let handler = try! channel.pipeline.syncOperations.handler(type: ResponseHandler.self)
        handler.dueAt = dueAt
        var head = HTTPRequestHead(version: .http1_1, method: options.method, uri: options.path)
        head.headers = options.headers
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if options.body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(options.body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    func answered(on channel: Channel, dueAt: UInt64, ok: Bool) {
        if ok {
            let latency = Self.now() - dueAt
            latencies.append(latency)
            if options.timeline { slowest[Int((dueAt - start) / 100_000_000), default: 0] = max(slowest[Int((dueAt - start) / 100_000_000)] ?? 0, latency) }
        } else {
            errors += 1
        }
        idle.append(channel)
        dispatch()
        if due >= Int(options.rate * options.duration) { finishWhenIdle() }
    }

    func finishWhenIdle() {
        guard !finished, waitingHead >= waiting.count, idle.count == options.connections else { return }
        finished = true
        done.succeed(())
    }
}

final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let load: Load
    var dueAt: UInt64 = 0
    var ok = true

    init(load: Load) { self.load = load }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): ok = (200..<300).contains(Int(head.status.code))
        case .body: break
        case .end: load.answered(on: context.channel, dueAt: dueAt, ok: ok)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        FileHandle.standardError.write(Data("lambent-bench-load: \(error)\n".utf8))
        context.close(promise: nil)
    }
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
    return Double(sorted[min(rank, sorted.count - 1)]) / 1000
}

do {
    let options = try Options(CommandLine.arguments)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let load = Load(options: options, loop: loop)
    for _ in 0..<options.connections {
        let channel = try ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(load: load))
                }
            }
            .connect(host: options.host, port: options.port).wait()
        try loop.submit { load.idle.append(channel) }.wait()
    }
    let started = Load.now()
    try loop.submit {
        load.start = Load.now()
        load.tick()
    }.wait()
    try load.done.futureResult.wait()
    let wall = Double(Load.now() - started) / 1e9
    let sorted = try loop.submit { load.latencies.sorted() }.wait()
    let errors = try loop.submit { load.errors }.wait()
    let result: [String: Any] = [
        "due": Int(options.rate * options.duration), "completed": sorted.count, "errors": errors,
        "target_rate": options.rate, "rate": Double(sorted.count) / wall, "seconds": wall, "connections": options.connections,
        "latency_us": ["p50": percentile(sorted, 50), "p90": percentile(sorted, 90), "p99": percentile(sorted, 99),
                       "p999": percentile(sorted, 99.9), "max": percentile(sorted, 100)],
    ]
    if options.timeline {
        let slowest = try loop.submit { load.slowest }.wait()
        for bucket in slowest.keys.sorted() {
            FileHandle.standardError.write(Data(String(format: "%6.1f s  %8.2f ms\n", Double(bucket) / 10, Double(slowest[bucket]!) / 1e6).utf8))
        }
    }
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print("OPENLOAD " + String(decoding: json, as: UTF8.self))
    try group.syncShutdownGracefully()
} catch {
    FileHandle.standardError.write(Data("lambent-bench-load: \(error)\n".utf8))
    exit(2)
}
