import Foundation

/// An invocation's place in a trace: the X-Ray trace header Lambda reads from callers
/// (`X-Amzn-Trace-Id: Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1`), the span the
/// platform opens for the invocation, and the header the runtime gets
/// (`Lambda-Runtime-Trace-Id`, which runtime clients put in `_X_AMZN_TRACE_ID`) naming that
/// span as parent, so the function's own spans join the trace.
public struct TraceContext: Sendable, Equatable {
    /// The trace id as OpenTelemetry writes it: X-Ray's 8 hex digits of time and 24 of randomness, 32 in all.
    public var traceID: String
    /// The caller's span, when its header named one.
    public var parentSpanID: String?
    /// The span of the whole invocation in Lambent; the function's spans are its children.
    public var invocationSpanID: String
    /// Whether this invocation is recorded: the function's `TracingConfig.Mode` is `Active`
    /// (unless the caller decided `Sampled=0`), or a caller sampled it upstream (`Sampled=1`),
    /// as Lambda's `PassThrough` mode does.
    public var sampled: Bool

    /// The context of an invocation with this caller header and tracing mode.
    public static func start(header: String?, active: Bool) -> TraceContext {
        let fields = header.map(parse) ?? [:]
        var traceID: String?
        if let root = fields["Root"] {
            let parts = root.split(separator: "-")
            if parts.count == 3, parts[0] == "1", parts[1].count == 8, parts[2].count == 24,
               (parts[1] + parts[2]).allSatisfy(\.isHexDigit) {
                traceID = (parts[1] + parts[2]).lowercased()
            }
        }
        let parent = fields["Parent"].flatMap { $0.count == 16 && $0.allSatisfy(\.isHexDigit) ? $0.lowercased() : nil }
        let upstream = fields["Sampled"]
        let sampled = active ? upstream != "0" : upstream == "1"
        let seconds = UInt64(Date().timeIntervalSince1970)
        return TraceContext(
            traceID: traceID ?? (hex(seconds, digits: 8) + hex(UInt64.random(in: 0..<(1 << 32)), digits: 8)
                + hex(UInt64.random(in: 0...UInt64.max), digits: 16)),
            parentSpanID: traceID == nil ? nil : parent, invocationSpanID: newSpanID(), sampled: sampled)
    }

    /// `Root=1-…;Parent=<invocation span>;Sampled=0|1`, for the runtime.
    public var runtimeHeader: String {
        "Root=1-\(traceID.prefix(8))-\(traceID.dropFirst(8));Parent=\(invocationSpanID);Sampled=\(sampled ? 1 : 0)"
    }

    /// `Key=Value` pairs separated by `;`.
    static func parse(_ header: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// 16 random hex digits, never all zero (OpenTelemetry's invalid span id).
    public static func newSpanID() -> String {
        hex(UInt64.random(in: 1...UInt64.max), digits: 16)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// What the platform did for one sampled invocation, in wall-clock nanoseconds since the
/// epoch: the spans a tracer exports.
public struct InvocationTrace: Sendable, Equatable {
    public var context: TraceContext
    /// When an asynchronous event was queued (its wait is a span of its own).
    public var queuedAt: UInt64?
    /// When the invoker took the invocation.
    public var admitted: UInt64
    /// The cold start: an environment started and its runtime initialized.
    public var initStart: UInt64?
    public var initEnd: UInt64?
    /// The runtime's invoke phase: event handed over until the response.
    public var invokeStart: UInt64 = 0
    public var invokeEnd: UInt64 = 0
    /// The end of the platform's work (log lines written, environment returned).
    public var end: UInt64 = 0

    public init(context: TraceContext, queuedAt: UInt64?, admitted: UInt64) {
        self.context = context
        self.queuedAt = queuedAt
        self.admitted = admitted
    }

    /// Nanoseconds since the epoch, now.
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
