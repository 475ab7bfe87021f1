import Foundation
import LambentExecution
@testable import LambentServer
import Testing

@Suite("Console")
struct ConsoleTests {
    @Test("HTML escaping covers the five characters, in text and attributes")
    func escaping() {
        #expect(HTML.escape(#"<script>alert("x") & 'y'</script>"#)
            == "&lt;script&gt;alert(&quot;x&quot;) &amp; &apos;y&apos;&lt;/script&gt;")
        #expect(HTML.escape("plain text ü") == "plain text ü")
    }

    @Test("sessions expire, and an expired one is forgotten")
    func sessionsExpire() {
        let sessions = ConsoleSessions(lifetime: .seconds(60))
        let now = Date(timeIntervalSince1970: 1_000_000)
        let session = sessions.create(now: now)
        #expect(session.id.count == 64 && session.csrf.count == 64 && session.id != session.csrf)
        #expect(sessions.session(session.id, now: now.addingTimeInterval(59))?.csrf == session.csrf)
        #expect(sessions.session(session.id, now: now.addingTimeInterval(61)) == nil)
        #expect(sessions.session(session.id, now: now) == nil)
        let other = sessions.create(now: now)
        sessions.end(other.id)
        #expect(sessions.session(other.id, now: now) == nil)
    }

    @Test("token comparison")
    func same() {
        #expect(ConsoleSessions.same("abc", "abc"))
        #expect(!ConsoleSessions.same("abc", "abd"))
        #expect(!ConsoleSessions.same("abc", "abcd"))
        #expect(!ConsoleSessions.same("", "a"))
    }

    @Test("function paths: the name is percent-decoded, the rest kept")
    func functionPaths() {
        #expect(Console.functionPath("/functions/hello").map { [$0.0, $0.1] } == ["hello", ""])
        #expect(Console.functionPath("/functions/my%2Dfn/test").map { [$0.0, $0.1] } == ["my-fn", "/test"])
        #expect(Console.functionPath("/functions/") == nil)
        #expect(Console.functionPath("/usage") == nil)
    }

    @Test("Content-Disposition parameters")
    func disposition() {
        let header = #"form-data; name="zip"; filename="fn.zip""#
        #expect(Console.dispositionParameter("name", in: header) == "zip")
        #expect(Console.dispositionParameter("filename", in: header) == "fn.zip")
        #expect(Console.dispositionParameter("filename", in: #"form-data; name="code""#) == nil)
    }

    @Test("the handler's file for the inline editor")
    func handlerFiles() {
        #expect(ConsoleViews.handlerFile(handler: "app.handler", runtime: "python3.12") == "app.py")
        #expect(ConsoleViews.handlerFile(handler: "src/index.handler", runtime: "nodejs22.x") == "src/index.mjs")
        #expect(ConsoleViews.handlerFile(handler: "handler", runtime: "python3.12") == "app.py")
    }

    @Test("a chart says what it draws, and escapes its name")
    func chart() {
        let chart = SVGChart(metric: "Duration <p50>", unit: "ms", start: 0, end: 600, points: [(60, 2), (120, 3.5)])
        let svg = chart.svg
        #expect(svg.contains(#"data-metric="Duration &lt;p50&gt;""#))
        #expect(svg.contains(#"data-points="2""#) && svg.contains(#"data-total="5.50""#))
        #expect(svg.contains("<path d=\"M"))
        let empty = SVGChart(metric: "Errors", unit: "count", start: 0, end: 600, points: []).svg
        #expect(empty.contains("No data") && empty.contains(#"data-total="0""#))
        #expect(SVGChart.niceCeiling(3.2) == 5 && SVGChart.niceCeiling(0.07) == 0.1 && SVGChart.niceCeiling(100) == 100)
    }

    @Test("the test result panel reads REPORT's figures and marks failures")
    func testResult() {
        let report = "REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t"
        let panel = ConsoleViews.testResult(payload: #"{"a":"<b>"}"#, completion: InvocationCompletion(logTail: ["START\n", report]))
        #expect(panel.contains(#"<dd id="result-duration">1.23 ms</dd>"#))
        #expect(panel.contains(#"<dd id="result-billed">2 ms</dd>"#))
        #expect(panel.contains(#"<dd id="result-memory">128 MB</dd>"#))
        #expect(panel.contains(#"<dd id="result-max-memory">40 MB</dd>"#))
        #expect(panel.contains("Succeeded") && panel.contains("&lt;b&gt;") && !panel.contains("<b>"))
        let failed = ConsoleViews.testResult(payload: "{}", completion: InvocationCompletion(functionError: "Unhandled", logTail: []))
        #expect(failed.contains(#"class="failed">Failed"#))
    }
}

@Suite("Trace export")
struct TraceExporterTests {
    @Test("OTLP JSON: one resource per function, the invocation span and its phases under it")
    func document() throws {
        let context = TraceContext.start(header: "Root=1-67890abc-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1", active: false)
        var trace = InvocationTrace(context: context, queuedAt: 1_000, admitted: 2_000)
        trace.initStart = 2_100
        trace.initEnd = 3_000
        trace.invokeStart = 3_100
        trace.invokeEnd = 4_000
        trace.end = 4_100
        let summary = InvocationSummary(function: "fn", requestID: "req-1", coldStart: true, outcome: .functionError, durationSeconds: 0.001,
                                        trace: trace)
        let bytes = TraceExporter.document([TraceExporter.Batch(summary: summary, trace: trace)], region: "us-east-1")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let resource = try #require((object["resourceSpans"] as? [[String: Any]])?.first)
        let spans = try #require(((resource["scopeSpans"] as? [[String: Any]])?.first?["spans"]) as? [[String: Any]])
        #expect(spans.map { $0["name"] as? String } == ["fn", "Queued", "Init", "Invocation", "Overhead"])
        let root = spans[0]
        #expect(root["traceId"] as? String == "67890abc0123456789abcdef01234567")
        #expect(root["parentSpanId"] as? String == "53995c3f42cd8ad8")
        #expect(root["startTimeUnixNano"] as? String == "1000" && root["endTimeUnixNano"] as? String == "4100")
        #expect((root["status"] as? [String: Any])?["code"] as? Int == 2)
        for child in spans.dropFirst() { #expect(child["parentSpanId"] as? String == context.invocationSpanID) }
    }
}
