import Foundation

/// The UTC timestamps Lambda's API and events carry, all from one calendar split.
public enum LambdaTimestamp {
    /// Lambda's `LastModified` format: `2026-11-23T10:00:00.000+0000`.
    public static func format(_ date: Date) -> String {
        let time = UTCTime(date, fractionDigits: 3)
        return "\(time.date)T\(time.clock).\(time.fraction)+0000"
    }

    /// The format of Function URL times: `2026-11-23T10:00:00.123456Z`.
    public static func iso8601(_ date: Date) -> String {
        let time = UTCTime(date, fractionDigits: 6)
        return "\(time.date)T\(time.clock).\(time.fraction)Z"
    }

    /// API Gateway's request time, which function URL events carry: `12/Mar/2020:19:03:58 +0000`.
    public static func requestTime(_ date: Date) -> String {
        let time = UTCTime(date, fractionDigits: 0)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(UTCTime.pad(Int64(time.parts.tm_mday), 2))/\(months[Int(time.parts.tm_mon)])/\(time.parts.tm_year + 1900):\(time.clock) +0000"
    }
}

/// A date split into UTC calendar fields, with its zero-padded pieces.
private struct UTCTime {
    var parts = tm()
    /// `2026-11-23`.
    var date: String
    /// `10:00:00`.
    var clock: String
    /// The fraction of the second, truncated to `fractionDigits` digits.
    var fraction: String

    init(_ value: Date, fractionDigits: Int) {
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let ticks = Int64((value.timeIntervalSince1970 * Double(scale)).rounded(.down))
        var time = time_t(ticks / scale)
        gmtime_r(&time, &parts)
        date = "\(Self.pad(Int64(parts.tm_year) + 1900, 4))-\(Self.pad(Int64(parts.tm_mon) + 1, 2))-\(Self.pad(Int64(parts.tm_mday), 2))"
        clock = "\(Self.pad(Int64(parts.tm_hour), 2)):\(Self.pad(Int64(parts.tm_min), 2)):\(Self.pad(Int64(parts.tm_sec), 2))"
        fraction = Self.pad(ticks % scale, fractionDigits)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
