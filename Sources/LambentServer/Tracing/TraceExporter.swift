import AsyncHTTPClient
import Foundation
import LambentExecution
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Exports the platform's spans of sampled invocations to an OpenTelemetry collector, with
/// OTLP over HTTP in its JSON encoding (`POST <endpoint>/v1/traces`). Spans are kept in memory
/// and sent once a second (or at 512), so an invocation never waits on the collector; when the
/// collector is down they are dropped, counted, and the drop is logged once per minute.
///
/// Each invocation gives, under the caller's span when its `X-Amzn-Trace-Id` named one:
/// `<function>` (SERVER: the whole invocation in Lambent, the parent the function's own spans
/// join), and under it `Queued` (an asynchronous event's wait), `Init` (a cold start),
/// `Invocation` (the runtime's invoke phase) and `Overhead` (the platform's work after the response).
public final class TraceExporter: InvocationObserver, Service {
    private let url: String
    private let region: String
    private let logger: Logger
    private let pending = Mutex<[Batch]>([])
    private let dropped = Atomic<Int>(0)
    static let batchLimit = 512

    struct Batch {
        var summary: InvocationSummary
        var trace: InvocationTrace
    }

    /// `endpoint`: the collector's OTLP/HTTP base URL (`http://127.0.0.1:4318`), or the full
    /// traces URL when it already ends in `/v1/traces`.
    public init(endpoint: String, region: String, logger: Logger) {
        let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        url = trimmed.hasSuffix("/v1/traces") ? trimmed : trimmed + "/v1/traces"
        self.region = region
        self.logger = logger
    }

    public func invoked(_ invocation: InvocationSummary) {
        guard let trace = invocation.trace else { return }
        let count = pending.withLock { pending in
            pending.append(Batch(summary: invocation, trace: trace))
            return pending.count
        }
        if count > Self.batchLimit * 8 {
            // The collector cannot keep up: keep memory bounded.
            let removed = pending.withLock { pending in
                let excess = pending.count - Self.batchLimit * 8
                pending.removeFirst(max(0, excess))
                return max(0, excess)
            }
            dropped.add(removed, ordering: .relaxed)
        }
    }

    public func initialized(function: String, durationSeconds: Double, succeeded: Bool) {}
    public func throttled(function: String, reason: String) {}
    public func spilledOver(function: String) {}

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(2), read: .seconds(5))))
        var lastDropReport = ContinuousClock.now - .seconds(60)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            await send(client: client)
            let lost = dropped.exchange(0, ordering: .relaxed)
            if lost > 0, ContinuousClock.now - lastDropReport >= .seconds(60) {
                lastDropReport = .now
                logger.warning("dropped the spans of \(lost) invocations: the collector at \(url) did not take them")
            }
        }
        await send(client: client)
        try? await client.shutdown()
    }

    private func send(client: HTTPClient) async {
        while true {
            let batch = pending.withLock { pending -> [Batch] in
                let taken = Array(pending.prefix(Self.batchLimit))
                pending.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let body = Self.document(batch, region: region)
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 1 << 20)
                if response.status.code >= 300 { dropped.add(batch.count, ordering: .relaxed) }
            } catch {
                dropped.add(batch.count, ordering: .relaxed)
                return
            }
        }
    }

    // MARK: OTLP JSON

    /// `ExportTraceServiceRequest` in OTLP's JSON encoding: one resource per function (its
    /// `service.name`), hex ids, times as decimal strings of Unix nanoseconds.
    static func document(_ batch: [Batch], region: String) -> [UInt8] {
        var resourceSpans: [[String: Any]] = []
        for (function, entries) in Dictionary(grouping: batch, by: \.summary.function).sorted(by: { $0.key < $1.key }) {
            let resource: [[String: Any]] = [
                attribute("service.name", function), attribute("cloud.provider", "aws"), attribute("cloud.platform", "aws_lambda"),
                attribute("cloud.region", region), attribute("faas.name", function),
                attribute("telemetry.sdk.name", "lambent"), attribute("telemetry.sdk.language", "swift"),
            ]
            resourceSpans.append(["resource": ["attributes": resource],
                                  "scopeSpans": [["scope": ["name": "lambent"], "spans": entries.flatMap(spans)]]])
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["resourceSpans": resourceSpans], options: [.sortedKeys])) ?? Data()
        return [UInt8](data)
    }

    static func spans(_ entry: Batch) -> [[String: Any]] {
        let trace = entry.trace, summary = entry.summary, context = trace.context
        let status: [String: Any] = summary.outcome == .success ? ["code": 1] : ["code": 2, "message": summary.outcome.rawValue]
        var root: [String: Any] = [
            "traceId": context.traceID, "spanId": context.invocationSpanID, "name": summary.function, "kind": 2,
            "startTimeUnixNano": String(trace.queuedAt ?? trace.admitted), "endTimeUnixNano": String(trace.end),
            "attributes": [
                attribute("faas.invocation_id", summary.requestID), attribute("faas.coldstart", summary.coldStart),
                attribute("faas.version", summary.executedVersion), attribute("faas.max_memory", summary.memorySizeMB * 1_048_576),
                attribute("aws.lambda.outcome", summary.outcome.rawValue),
            ] + (summary.qualifier.map { [attribute("aws.lambda.qualifier", $0)] } ?? []),
            "status": status,
        ]
        if let parent = context.parentSpanID { root["parentSpanId"] = parent }
        var spans = [root]
        func child(_ name: String, _ start: UInt64, _ end: UInt64) {
            guard end >= start, start > 0 else { return }
            spans.append(["traceId": context.traceID, "spanId": TraceContext.newSpanID(), "parentSpanId": context.invocationSpanID,
                          "name": name, "kind": 1, "startTimeUnixNano": String(start), "endTimeUnixNano": String(end)])
        }
        if let queued = trace.queuedAt { child("Queued", queued, trace.admitted) }
        if let start = trace.initStart, let end = trace.initEnd { child("Init", start, end) }
        child("Invocation", trace.invokeStart, trace.invokeEnd)
        child("Overhead", trace.invokeEnd, trace.end)
        return spans
    }

    static func attribute(_ key: String, _ value: Any) -> [String: Any] {
        switch value {
        case let flag as Bool: ["key": key, "value": ["boolValue": flag]]
        case let number as Int: ["key": key, "value": ["intValue": String(number)]]
        default: ["key": key, "value": ["stringValue": "\(value)"]]
        }
    }
}
