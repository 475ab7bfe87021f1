import LambentExecution
import Testing

@Suite("LogFormat")
struct LogFormatTests {
    static let id = "8f5e2c1a-3b4d-4e6f-9a0b-1c2d3e4f5a6b"

    @Test("START and END lines")
    func startAndEnd() {
        #expect(LogFormat.start(requestID: Self.id, version: "$LATEST") == "START RequestId: \(Self.id) Version: $LATEST")
        #expect(LogFormat.end(requestID: Self.id) == "END RequestId: \(Self.id)")
    }

    @Test("REPORT without Init Duration on a warm invocation")
    func reportWarm() {
        let line = LogFormat.report(requestID: Self.id, durationMs: 1.234, memorySizeMB: 128, maxMemoryUsedMB: 40, initDurationMs: nil)
        #expect(line == "REPORT RequestId: \(Self.id)\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t")
        #expect(!line.contains("Init Duration"))
    }

    @Test("REPORT with Init Duration last on a cold invocation")
    func reportCold() {
        let line = LogFormat.report(requestID: Self.id, durationMs: 15.5, memorySizeMB: 512, maxMemoryUsedMB: 61, initDurationMs: 100.123)
        #expect(line == "REPORT RequestId: \(Self.id)\tDuration: 15.50 ms\tBilled Duration: 16 ms\tMemory Size: 512 MB\tMax Memory Used: 61 MB\tInit Duration: 100.12 ms\t")
    }

    @Test("durations have exactly two decimals", arguments: [
        (0.0, "0.00"), (0.05, "0.05"), (1.0, "1.00"), (1.5, "1.50"), (2.344, "2.34"), (2.346, "2.35"),
        (9.999, "10.00"), (3000.0, "3000.00"), (12345.678, "12345.68"),
    ])
    func twoDecimals(_ duration: Double, _ text: String) {
        let line = LogFormat.report(requestID: "r", durationMs: duration, memorySizeMB: 128, maxMemoryUsedMB: 1, initDurationMs: duration)
        #expect(line.contains("\tDuration: \(text) ms\t"))
        #expect(line.contains("\tInit Duration: \(text) ms\t"))
    }

    @Test("billed duration rounds up to the millisecond, at least 1 ms", arguments: [
        (0.0, 1), (0.01, 1), (0.5, 1), (1.0, 1), (1.001, 2), (1.5, 2), (99.01, 100), (100.0, 100), (2999.2, 3000),
    ])
    func billed(_ duration: Double, _ billed: Int) {
        #expect(LogFormat.billedMilliseconds(duration) == billed)
        let line = LogFormat.report(requestID: "r", durationMs: duration, memorySizeMB: 128, maxMemoryUsedMB: 1, initDurationMs: nil)
        #expect(line.contains("\tBilled Duration: \(billed) ms\t"))
    }

    @Test("timeout message names the configured timeout with two decimals", arguments: [(3, "3.00"), (900, "900.00"), (1, "1.00")])
    func timeout(_ seconds: Int, _ text: String) {
        #expect(LogFormat.timeoutMessage(requestID: Self.id, seconds: seconds)
            == "RequestId: \(Self.id) Error: Task timed out after \(text) seconds")
    }
}
