/// The platform lines Lambda writes around every invocation, in AWS's exact format.
public enum LogFormat {
    public static func start(requestID: String, version: String) -> String {
        "START RequestId: \(requestID) Version: \(version)"
    }

    public static func end(requestID: String) -> String {
        "END RequestId: \(requestID)"
    }

    /// `REPORT RequestId: … Duration: 1.23 ms Billed Duration: 2 ms Memory Size: 128 MB Max Memory Used: 40 MB Init Duration: 100.12 ms`
    /// (tab-separated, as AWS writes it).
    public static func report(
        requestID: String, durationMs: Double, memorySizeMB: Int, maxMemoryUsedMB: Int, initDurationMs: Double?
    ) -> String {
        var line = "REPORT RequestId: \(requestID)\tDuration: \(twoDecimals(durationMs)) ms\t"
            + "Billed Duration: \(billedMilliseconds(durationMs)) ms\tMemory Size: \(memorySizeMB) MB\t"
            + "Max Memory Used: \(maxMemoryUsedMB) MB\t"
        if let initDurationMs {
            line += "Init Duration: \(twoDecimals(initDurationMs)) ms\t"
        }
        return line
    }

    /// Lambda bills in 1 ms steps, rounding up.
    public static func billedMilliseconds(_ durationMs: Double) -> Int {
        max(1, Int(durationMs.rounded(.up)))
    }

    /// The message of a timed-out invocation: `Task timed out after 3.00 seconds`.
    public static func timeoutMessage(requestID: String, seconds: Int) -> String {
        "RequestId: \(requestID) Error: Task timed out after \(seconds).00 seconds"
    }

    static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
