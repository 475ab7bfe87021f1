import LambentModel

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
        PlatformError.timedOut(requestID: requestID, seconds: seconds).errorMessage
    }

    static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension LogFormat {
    /// The line a timed-out invocation adds before END: `2024-…Z <id> Task timed out after 3.00 seconds`.
    public static func timedOut(timestamp: String, requestID: String, seconds: Int) -> String {
        "\(timestamp) \(requestID) Task timed out after \(seconds).00 seconds"
    }

    /// `INIT_REPORT` for an init that failed with `errorType`.
    public static func initFailed(errorType: String) -> String {
        "INIT_REPORT Init Duration: n/a\tPhase: init\tStatus: error\tError Type: \(errorType)"
    }

    /// `INIT_REPORT` for an init that outlived the init limit.
    public static func initTimedOut(seconds: Int) -> String {
        "INIT_REPORT Init Duration: \(seconds * 1000).00 ms\tPhase: init\tStatus: timeout"
    }
}
