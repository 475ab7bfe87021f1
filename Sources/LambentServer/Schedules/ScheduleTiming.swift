import Foundation
import LambentModel

/// When a schedule or scheduled rule fires next, in epoch milliseconds.
enum ScheduleTiming {
    /// The first firing strictly after `after`: a `rate()` counts whole periods from `anchor`
    /// (its start date, else when it was created), a `cron()` runs on wall-clock time in
    /// `timezone` from `start` on; nothing fires after `end`.
    static func next(expression: String, timezone: String?, start: Int64?, end: Int64?, anchor: Int64?, after: Int64,
                     service: ScheduleExpression.Service = .scheduler) -> Int64? {
        guard let parsed = try? ScheduleExpression.parse(expression, for: service) else { return nil }
        let zone = (try? ScheduleExpression.timeZone(named: timezone)) ?? ScheduleExpression.defaultTimeZone
        let from: Int64?
        if case .rate = parsed.kind { from = anchor ?? start } else { from = start }
        guard let next = parsed.nextFireTime(after: date(after), in: zone, startDate: from.map(date)) else { return nil }
        let millis = Int64((next.timeIntervalSince1970 * 1000).rounded())
        if let end, millis > end { return nil }
        return millis
    }

    static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(millis) / 1000)
    }
}
