import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambentExecution
import LambentServer
import Testing

@Suite("Metrics")
struct MetricsTests {
    /// The exposition as series → value, e.g. `lambent_cold_starts_total{function="a"}` → "1".
    static func series(_ metrics: PrometheusMetrics, activity: [FunctionActivity] = []) -> [String: String] {
        var result: [String: String] = [:]
        for line in String(buffer: metrics.exposition(activity: activity)).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            result[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return result
    }

    static func activity(_ function: String, initializing: Int = 0, idle: Int = 0, busy: Int = 0,
                         concurrent: Int = 0) -> FunctionActivity {
        var activity = FunctionActivity(function: function)
        activity.initializing = initializing
        activity.idle = idle
        activity.busy = busy
        activity.concurrentExecutions = concurrent
        return activity
    }

    @Test("a known sequence of events gives exact counters, histograms and labels")
    func knownSequence() {
        let metrics = PrometheusMetrics()
        let observer = metrics.observer
        observer.initialized(function: "a", durationSeconds: 0.3, succeeded: true)
        observer.invoked(InvocationSummary(function: "a", coldStart: true, outcome: .success, durationSeconds: 0.25))
        observer.invoked(InvocationSummary(function: "a", coldStart: false, outcome: .success, durationSeconds: 0.5))
        observer.invoked(InvocationSummary(function: "a", coldStart: false, outcome: .functionError, durationSeconds: 0.004))
        observer.invoked(InvocationSummary(function: "a", coldStart: false, outcome: .timeout, durationSeconds: 1))
        observer.initialized(function: "b", durationSeconds: 0, succeeded: false)
        observer.invoked(InvocationSummary(function: "b", coldStart: true, outcome: .runtimeError, durationSeconds: 0))
        observer.throttled(function: "a", reason: "ReservedFunctionConcurrentInvocationLimitExceeded")
        observer.throttled(function: "a", reason: "ReservedFunctionConcurrentInvocationLimitExceeded")

        let s = Self.series(metrics)
        #expect(s[#"lambent_invocations_total{function="a",outcome="success"}"#] == "2")
        #expect(s[#"lambent_invocations_total{function="a",outcome="function_error"}"#] == "1")
        #expect(s[#"lambent_invocations_total{function="a",outcome="timeout"}"#] == "1")
        #expect(s[#"lambent_invocations_total{function="a",outcome="runtime_error"}"#] == nil)
        #expect(s[#"lambent_invocations_total{function="b",outcome="runtime_error"}"#] == "1")
        #expect(s[#"lambent_errors_total{function="a"}"#] == "2")
        #expect(s[#"lambent_errors_total{function="b"}"#] == "1")
        #expect(s[#"lambent_cold_starts_total{function="a"}"#] == "1")
        #expect(s[#"lambent_cold_starts_total{function="b"}"#] == "1")
        #expect(s[#"lambent_throttles_total{function="a",reason="ReservedFunctionConcurrentInvocationLimitExceeded"}"#] == "2")
        #expect(s[#"lambent_throttles_total{function="b",reason="ReservedFunctionConcurrentInvocationLimitExceeded"}"#] == nil)

        // Durations 0.25, 0.5, 0.004 and 1 s: cumulative buckets, exact count and sum.
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="0.001"}"#] == "0")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="0.005"}"#] == "1")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="0.25"}"#] == "2")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="0.5"}"#] == "3")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="1.0"}"#] == "4")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="900.0"}"#] == "4")
        #expect(s[#"lambent_invocation_duration_seconds_bucket{function="a",le="+Inf"}"#] == "4")
        #expect(s[#"lambent_invocation_duration_seconds_count{function="a"}"#] == "4")
        #expect(s[#"lambent_invocation_duration_seconds_sum{function="a"}"#] == "1.754")
        #expect(s[#"lambent_invocation_duration_seconds_count{function="b"}"#] == "1")

        // Init: only the successful one is timed; the failed one is counted.
        #expect(s[#"lambent_init_duration_seconds_count{function="a"}"#] == "1")
        #expect(s[#"lambent_init_duration_seconds_sum{function="a"}"#] == "0.3")
        #expect(s[#"lambent_init_duration_seconds_bucket{function="a",le="0.25"}"#] == "0")
        #expect(s[#"lambent_init_duration_seconds_bucket{function="a",le="0.5"}"#] == "1")
        #expect(s[#"lambent_init_duration_seconds_count{function="b"}"#] == nil)
        #expect(s[#"lambent_init_errors_total{function="b"}"#] == "1")
    }

    @Test("the exposition declares each family's type once")
    func types() {
        let metrics = PrometheusMetrics()
        metrics.observer.invoked(InvocationSummary(function: "a", coldStart: true, outcome: .success, durationSeconds: 0.1))
        metrics.observer.invoked(InvocationSummary(function: "b", coldStart: true, outcome: .success, durationSeconds: 0.1))
        let text = String(buffer: metrics.exposition(activity: [Self.activity("a", idle: 1)]))
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0 == "# TYPE lambent_invocations_total counter" }.count == 1)
        #expect(lines.filter { $0 == "# TYPE lambent_invocation_duration_seconds histogram" }.count == 1)
        #expect(lines.filter { $0 == "# TYPE lambent_environments gauge" }.count == 1)
    }

    @Test("activity gauges follow the invoker and fall back to 0")
    func gauges() {
        let metrics = PrometheusMetrics()
        var s = Self.series(metrics, activity: [
            Self.activity("a", idle: 1, busy: 2, concurrent: 2),
            Self.activity("b", initializing: 1, concurrent: 1),
        ])
        #expect(s[#"lambent_concurrent_executions{function="a"}"#] == "2.0")
        #expect(s[#"lambent_environments{function="a",state="idle"}"#] == "1.0")
        #expect(s[#"lambent_environments{function="a",state="busy"}"#] == "2.0")
        #expect(s[#"lambent_environments{function="a",state="initializing"}"#] == "0.0")
        #expect(s[#"lambent_concurrent_executions{function="b"}"#] == "1.0")
        #expect(s[#"lambent_environments{function="b",state="initializing"}"#] == "1.0")

        // b has gone quiet, a has one idle environment left.
        s = Self.series(metrics, activity: [Self.activity("a", idle: 1)])
        #expect(s[#"lambent_concurrent_executions{function="a"}"#] == "0.0")
        #expect(s[#"lambent_environments{function="a",state="busy"}"#] == "0.0")
        #expect(s[#"lambent_environments{function="a",state="idle"}"#] == "1.0")
        #expect(s[#"lambent_concurrent_executions{function="b"}"#] == "0.0")
        #expect(s[#"lambent_environments{function="b",state="initializing"}"#] == "0.0")

        // Scaled to zero.
        s = Self.series(metrics)
        #expect(s[#"lambent_environments{function="a",state="idle"}"#] == "0.0")
        #expect(s.filter { $0.key.hasPrefix("lambent_environments") || $0.key.hasPrefix("lambent_concurrent") }
            .allSatisfy { $0.value == "0.0" })
    }

    @Test("servers in one process keep separate counters")
    func separateRegistries() {
        let first = PrometheusMetrics()
        let second = PrometheusMetrics()
        first.observer.invoked(InvocationSummary(function: "a", coldStart: true, outcome: .success, durationSeconds: 0.1))
        #expect(Self.series(first)[#"lambent_cold_starts_total{function="a"}"#] == "1")
        #expect(Self.series(second).isEmpty)
    }

    @Test("GET /metrics is served unsigned as Prometheus text")
    func route() async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        }
    }
}
