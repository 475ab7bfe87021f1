@testable import LambentExecution
import Testing

@Suite("Trace context")
struct TraceContextTests {
    static let root = "1-67890abc-0123456789abcdef01234567"

    @Test("a caller's root and parent are continued; the runtime's parent is the invocation span")
    func continuesTheCallersTrace() {
        let context = TraceContext.start(header: "Root=\(Self.root);Parent=53995c3f42cd8ad8;Sampled=1", active: false)
        #expect(context.traceID == "67890abc0123456789abcdef01234567")
        #expect(context.parentSpanID == "53995c3f42cd8ad8")
        #expect(context.sampled)
        #expect(context.runtimeHeader == "Root=\(Self.root);Parent=\(context.invocationSpanID);Sampled=1")
        #expect(context.invocationSpanID != "53995c3f42cd8ad8")
    }

    @Test("sampling: Active traces unless the caller said Sampled=0; PassThrough only when it said Sampled=1",
          arguments: [(nil, true, true), ("Sampled=0", true, false), ("Sampled=1", true, true),
                      (nil, false, false), ("Sampled=0", false, false), ("Sampled=1", false, true)] as [(String?, Bool, Bool)])
    func sampling(sampled: String?, active: Bool, expected: Bool) {
        let header = sampled.map { "Root=\(Self.root);\($0)" }
        #expect(TraceContext.start(header: header, active: active).sampled == expected)
    }

    @Test("a malformed root starts a new trace and drops the parent it came with")
    func malformedRoot() {
        for header in ["Root=2-67890abc-0123456789abcdef01234567;Parent=53995c3f42cd8ad8", "Root=1-xyz;Parent=53995c3f42cd8ad8",
                       "Root=1-67890abc-0123456789abcdef0123456g;Parent=53995c3f42cd8ad8", "garbage", ""] {
            let context = TraceContext.start(header: header, active: true)
            #expect(context.traceID.count == 32 && context.traceID.allSatisfy(\.isHexDigit))
            #expect(context.traceID != "67890abc0123456789abcdef01234567")
            #expect(context.parentSpanID == nil)
        }
    }

    @Test("a new trace's id begins with the time, as X-Ray's do; span ids are 16 hex digits, never zero")
    func newIDs() {
        let context = TraceContext.start(header: nil, active: false)
        let seconds = UInt64(context.traceID.prefix(8), radix: 16)!
        #expect(abs(Double(seconds) - Double(InvocationTrace.now() / 1_000_000_000)) < 5)
        for _ in 0..<100 {
            let id = TraceContext.newSpanID()
            #expect(id.count == 16 && id.allSatisfy(\.isHexDigit) && id != String(repeating: "0", count: 16))
        }
        #expect(context.runtimeHeader.hasSuffix(";Sampled=0"))
    }
}
