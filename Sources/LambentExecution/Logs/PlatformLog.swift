import LambentModel

/// The platform records of a function's invocations in its `LoggingConfig`'s format: `Text`
/// writes `START`, `END` and `REPORT` lines (and the timeout line); `JSON` writes AWS's
/// `platform.start` and `platform.report` records, INFO-level events that a `SystemLogLevel` of
/// `WARN` leaves out.
///
/// ```
/// {"time":"2026-12-02T07:00:00.000Z","type":"platform.start","record":{"requestId":"…","version":"$LATEST"}}
/// {"time":"…","type":"platform.report","record":{"requestId":"…","metrics":{"durationMs":1.23,"billedDurationMs":2,
///  "memorySizeMB":128,"maxMemoryUsedMB":40,"initDurationMs":100.12},"status":"success"}}
/// ```
struct PlatformLog: Sendable, Equatable {
    let isJSON: Bool
    /// Whether INFO-level platform records are written (always in `Text`).
    let writesInfo: Bool

    init(_ config: LoggingConfig) {
        isJSON = config.isJSON
        writesInfo = !config.isJSON || config.systemLogLevel != "WARN"
    }

    static let text = PlatformLog(LoggingConfig(logFormat: "Text", logGroup: ""))

    /// How an invocation ended, for `platform.report`'s `status`.
    enum Status: String {
        case success, error, timeout
    }

    func start(requestID: String, version: String, time: String) -> [String] {
        guard writesInfo else { return [] }
        guard isJSON else { return [LogFormat.start(requestID: requestID, version: version)] }
        return [record("platform.start", time: time, "{\"requestId\":\(JSONText.quoted(requestID)),\"version\":\(JSONText.quoted(version))}")]
    }

    /// The records that end an invocation: in `Text`, the timeout line (if it timed out), END and REPORT.
    func end(requestID: String, status: Status, timeoutSeconds: Int, durationMs: Double, memorySizeMB: Int, maxMemoryUsedMB: Int,
             initDurationMs: Double?, time: String) -> [String] {
        guard isJSON else {
            var lines: [String] = []
            if status == .timeout { lines.append(LogFormat.timedOut(timestamp: time, requestID: requestID, seconds: timeoutSeconds)) }
            lines.append(LogFormat.end(requestID: requestID))
            lines.append(LogFormat.report(requestID: requestID, durationMs: durationMs, memorySizeMB: memorySizeMB,
                                          maxMemoryUsedMB: maxMemoryUsedMB, initDurationMs: initDurationMs))
            return lines
        }
        guard writesInfo else { return [] }
        var metrics = "\"durationMs\":\(LogFormat.twoDecimals(durationMs)),\"billedDurationMs\":\(LogFormat.billedMilliseconds(durationMs)),"
            + "\"memorySizeMB\":\(memorySizeMB),\"maxMemoryUsedMB\":\(maxMemoryUsedMB)"
        if let initDurationMs { metrics += ",\"initDurationMs\":\(LogFormat.twoDecimals(initDurationMs))" }
        var body = "{\"requestId\":\(JSONText.quoted(requestID)),\"metrics\":{\(metrics)},\"status\":\"\(status.rawValue)\""
        if status == .timeout { body += ",\"errorType\":\"Sandbox.Timedout\"" }
        return [record("platform.report", time: time, body + "}")]
    }

    private func record(_ type: String, time: String, _ record: String) -> String {
        "{\"time\":\(JSONText.quoted(time)),\"type\":\"\(type)\",\"record\":\(record)}"
    }
}
