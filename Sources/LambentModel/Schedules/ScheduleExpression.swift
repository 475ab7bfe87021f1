import Foundation

/// When a schedule fires, as EventBridge Scheduler (`CreateSchedule`'s `ScheduleExpression`)
/// and EventBridge rules (`PutRule`'s `ScheduleExpression`) write it:
///
/// - `rate(value unit)`: every `value` minutes, hours or days (a day is 24 hours, whatever
///   daylight saving time does to the clock);
/// - `cron(minutes hours day-of-month month day-of-week year)`: AWS's six-field cron (see
///   `CronExpression`), read as wall-clock time in the schedule's time zone;
/// - `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time (Scheduler only).
///
/// Sources: EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler";
/// EventBridge User Guide, "Cron expressions reference" and "Rate expressions reference";
/// the Scheduler API Reference, `CreateSchedule` › `ScheduleExpression`.
///
/// ```swift
/// let schedule = try ScheduleExpression.parse("cron(30 8 ? * MON-FRI *)")
/// let zone = try ScheduleExpression.timeZone(named: "America/New_York")
/// let next = schedule.nextFireTime(after: .now, in: zone)   // the next weekday 08:30 in New York
/// ```
public struct ScheduleExpression: Sendable, Hashable, CustomStringConvertible {
    /// The service whose rules an expression is checked against.
    public enum Service: Sendable, Hashable {
        /// EventBridge Scheduler: `rate`, `cron` and `at`, in any IANA time zone.
        case scheduler
        /// EventBridge rules (`PutRule`): `rate` and `cron` only, always in UTC, and a rate's
        /// unit must agree in number with its value (`rate(1 hour)`, `rate(5 hours)`).
        case events
    }

    /// A parsed expression.
    public enum Kind: Sendable, Hashable {
        /// `rate(value unit)`.
        case rate(Rate)
        /// `cron(…)`.
        case cron(CronExpression)
        /// `at(…)`: one wall-clock instant in the schedule's time zone.
        case at(LocalDateTime)
    }

    /// The expression exactly as it was given, e.g. `rate(5 minutes)`.
    public let text: String
    /// What the expression says.
    public let kind: Kind

    /// The text as given.
    public var description: String { text }

    /// Whether the schedule fires once (`at(…)`) rather than recurring.
    public var isOneTime: Bool {
        if case .at = kind { return true }
        return false
    }

    /// The time zone schedules use when `ScheduleExpressionTimezone` is not given: UTC.
    public static let defaultTimeZone = TimeZone(secondsFromGMT: 0)!

    // MARK: - Parsing

    /// Parses and validates `text` the way `service` does.
    ///
    /// The whole text must be the expression: AWS refuses `" rate(10 minutes)"` and
    /// `"rate( 10 minutes )"` (recorded answers), so no white space is trimmed anywhere.
    ///
    /// ```swift
    /// try ScheduleExpression.parse("rate(5 minutes)").kind   // .rate(Rate(value: 5, unit: .minutes))
    /// try ScheduleExpression.parse("rate(5 hour)", for: .events)   // throws .unsupportedByService
    /// ```
    public static func parse(_ text: String, for service: Service = .scheduler) throws(ScheduleExpressionError) -> ScheduleExpression {
        func body(of prefix: String) -> Substring? {
            guard text.hasPrefix(prefix), text.hasSuffix(")"), text.count > prefix.count else { return nil }
            return text.dropFirst(prefix.count).dropLast()
        }
        if let inner = body(of: "rate(") {
            return ScheduleExpression(text: text, kind: .rate(try Rate.parse(inner, text: text, for: service)))
        }
        if let inner = body(of: "cron(") {
            return ScheduleExpression(text: text, kind: .cron(try CronExpression.parse(inner, text: text)))
        }
        if let inner = body(of: "at(") {
            guard service == .scheduler else {
                throw ScheduleExpressionError(
                    code: .unsupportedByService, expression: text,
                    message: "EventBridge rules take only rate(…) and cron(…) schedules; at(…) is EventBridge Scheduler's. Use a cron(…) expression with the year field set, or a Scheduler schedule.")
            }
            return ScheduleExpression(text: text, kind: .at(try LocalDateTime.parse(inner, text: text)))
        }
        throw ScheduleExpressionError(
            code: .unrecognized, expression: text,
            message: "Schedule expression '\(text)' is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss); write one of those, lower-case, with no white space around it.")
    }

    /// The time zone `ScheduleExpressionTimezone` names: an IANA name such as
    /// `America/New_York`, or UTC when `name` is nil (Scheduler's default).
    ///
    /// AWS's own wording for an unknown zone is not recorded; the error carries Lambent's.
    ///
    /// ```swift
    /// try ScheduleExpression.timeZone(named: "Asia/Kolkata").secondsFromGMT()   // 19800
    /// try ScheduleExpression.timeZone(named: "Mars/Olympus")                    // throws .invalidTimeZone
    /// ```
    public static func timeZone(named name: String?) throws(ScheduleExpressionError) -> TimeZone {
        guard let name else { return defaultTimeZone }
        // 1-50 characters: the length constraint of `ScheduleExpressionTimezone` in the
        // Scheduler API Reference. Foundation also reads offsets such as "GMT+1" or "UTC+1",
        // which are no IANA names, as zones it calls "GMT+0100": those are refused. (It calls
        // "UTC" "GMT", which is fine; ICU's few extra aliases, such as "PST", still pass.)
        func isOffsetZone(_ zone: TimeZone) -> Bool {
            zone.identifier != name && (zone.identifier.hasPrefix("GMT+") || zone.identifier.hasPrefix("GMT-"))
        }
        guard (1...50).contains(name.count), let zone = TimeZone(identifier: name), !isOffsetZone(zone) else {
            throw ScheduleExpressionError(
                code: .invalidTimeZone, expression: name,
                message: "ScheduleExpressionTimezone '\(name)' is not a time zone of the IANA Time Zone Database; use a name such as 'UTC', 'America/New_York' or 'Asia/Kolkata'.")
        }
        return zone
    }

    // MARK: - Next fire time

    /// The first time strictly after `date` at which the schedule fires, or nil when it never
    /// fires again (an `at` in the past, a cron whose years are over).
    ///
    /// - `cron`: the first matching minute (second 0) of wall-clock time in `timeZone`. A wall
    ///   time that daylight saving time skips does not fire; one it repeats fires once, at its
    ///   first occurrence (Scheduler User Guide, "Daylight savings time on EventBridge
    ///   Scheduler": "if a cron expression falls on a non-existent date and time, your schedule
    ///   invocation is skipped … your schedule runs only once and does not repeat its invocation").
    /// - `at`: the instant, if it is after `date`. A wall time that daylight saving time skips
    ///   moves forward by the gap (02:30 on a spring-forward night fires at 03:30), and a
    ///   repeated one fires at its first occurrence. AWS documents neither for `at`; this is
    ///   java.time's `ZonedDateTime.of` rule, chosen so that a one-time schedule is never lost.
    /// - `rate`: `date` plus the interval, reading `date` as the previous invocation (AWS:
    ///   "evaluates the rate expression 24 hours after the schedule's last invocation"). To
    ///   count from a start date instead, use `nextFireTime(after:in:startDate:)`.
    ///
    /// ```swift
    /// let daily = try ScheduleExpression.parse("cron(30 2 * * ? *)")
    /// let zone = TimeZone(identifier: "America/New_York")!
    /// daily.nextFireTime(after: saturdayNoon, in: zone)   // Monday 02:30 EDT: Sunday's 02:30 does not exist
    /// ```
    public func nextFireTime(after date: Date, in timeZone: TimeZone = ScheduleExpression.defaultTimeZone) -> Date? {
        switch kind {
        case .rate(let rate):
            return date.addingTimeInterval(TimeInterval(rate.seconds))
        case .cron(let cron):
            return cron.nextFireTime(after: date, in: timeZone)
        case .at(let local):
            let instant = WallClock.instant(forLocalSeconds: local.localSeconds, in: timeZone)
            let fire = Date(timeIntervalSince1970: TimeInterval(instant))
            return fire > date ? fire : nil
        }
    }

    /// The first time strictly after `date` at which the schedule fires, for a schedule whose
    /// `StartDate` is `startDate` (nil: no start date).
    ///
    /// - `rate`: `startDate + k × interval` for the smallest such time after `date`, or
    ///   `startDate` itself while it is still ahead. Without a start date, as
    ///   `nextFireTime(after:in:)` (Scheduler starts a rate "immediately" when it has none, so
    ///   the caller passes the creation time as `startDate` to anchor it).
    /// - `cron`: the first fire after both `date` and `startDate` ("the date, in UTC, after which
    ///   the schedule can begin invoking its target").
    /// - `at`: `startDate` is ignored, as AWS documents for one-time schedules.
    public func nextFireTime(after date: Date, in timeZone: TimeZone = ScheduleExpression.defaultTimeZone, startDate: Date?) -> Date? {
        guard let startDate else { return nextFireTime(after: date, in: timeZone) }
        switch kind {
        case .rate(let rate):
            if startDate > date { return startDate }
            // Whole multiples of the interval from the anchor. The division may round either
            // way, so the result is nudged by one step if it landed on or before `date`, or a
            // step too far.
            let interval = TimeInterval(rate.seconds)
            let steps = (date.timeIntervalSince(startDate) / interval).rounded(.down) + 1
            var next = startDate.addingTimeInterval(steps * interval)
            if next <= date {
                next = next.addingTimeInterval(interval)
            } else if next.addingTimeInterval(-interval) > date {
                next = next.addingTimeInterval(-interval)
            }
            return next
        case .cron:
            return nextFireTime(after: max(date, startDate), in: timeZone)
        case .at:
            return nextFireTime(after: date, in: timeZone)
        }
    }
}

// MARK: - rate(value unit)

extension ScheduleExpression {
    /// `rate(value unit)`: every `value` units.
    public struct Rate: Sendable, Hashable {
        /// The unit of a rate.
        public enum Unit: Sendable, Hashable {
            case minutes, hours, days

            /// Seconds in one unit; a day is 24 hours on the clock (Scheduler User Guide).
            public var seconds: Int64 {
                switch self {
                case .minutes: 60
                case .hours: 3_600
                case .days: 86_400
                }
            }
        }

        /// How many units, at least 1.
        public let value: Int
        /// The unit.
        public let unit: Unit

        /// A rate of `value` units; `parse` guarantees `value` is positive.
        init(value: Int, unit: Unit) {
            self.value = value
            self.unit = unit
        }

        /// The interval in seconds.
        public var seconds: Int64 { Int64(value) * unit.seconds }

        /// Parses `value unit`: one space, a positive decimal integer, and one of `minute`,
        /// `minutes`, `hour`, `hours`, `day`, `days` (lower-case: AWS refuses `rate(10 minutess)`).
        ///
        /// EventBridge rules require the unit to agree in number with the value ("If the value is
        /// equal to 1, then the unit must be singular. If the value is greater than 1, the unit
        /// must be plural", Rate expressions reference). Scheduler's API Reference lists the same
        /// six units without that rule, and its service takes `rate(2 minute)` (LocalStack's
        /// AWS-validated `test_update_schedule` sends it), so Scheduler accepts either number.
        static func parse(_ inner: Substring, text: String, for service: Service) throws(ScheduleExpressionError) -> Rate {
            func refuse(_ why: String) -> ScheduleExpressionError {
                ScheduleExpressionError(code: .invalidRate, expression: text,
                                        message: "Rate expression '\(text)' is invalid: \(why). Write rate(value unit), e.g. rate(5 minutes) or rate(1 hour).")
            }
            let parts = inner.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw refuse("it needs a value and a unit separated by one space") }
            let digits = parts[0], unitText = parts[1]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw refuse("the value '\(digits)' is not a positive whole number")
            }
            // Any value whose interval fits in 64-bit seconds is accepted: AWS documents no maximum.
            guard let value = Int(digits), value > 0, value <= Int(Int64.max / Unit.days.seconds) else {
                throw refuse("the value '\(digits)' is not a positive whole number of a sensible size")
            }
            let unit: Unit, plural: Bool
            switch unitText {
            case "minute": (unit, plural) = (.minutes, false)
            case "minutes": (unit, plural) = (.minutes, true)
            case "hour": (unit, plural) = (.hours, false)
            case "hours": (unit, plural) = (.hours, true)
            case "day": (unit, plural) = (.days, false)
            case "days": (unit, plural) = (.days, true)
            default: throw refuse("the unit '\(unitText)' is not one of minute, minutes, hour, hours, day, days")
            }
            if service == .events, plural != (value > 1) {
                throw ScheduleExpressionError(
                    code: .unsupportedByService, expression: text,
                    message: "EventBridge rules need a singular unit for a value of 1 and a plural one otherwise: write rate(1 \(unit.singular)) or rate(\(value) \(unit.singular)s).")
            }
            return Rate(value: value, unit: unit)
        }
    }
}

extension ScheduleExpression.Rate.Unit {
    fileprivate var singular: String {
        switch self {
        case .minutes: "minute"
        case .hours: "hour"
        case .days: "day"
        }
    }
}

// MARK: - at(yyyy-mm-ddThh:mm:ss)

extension ScheduleExpression {
    /// A wall-clock date and time with no zone, as `at(…)` gives it.
    public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
        public let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

        /// Seconds since 1970-01-01T00:00:00 of the same wall clock (as if the zone were UTC).
        var localSeconds: Int64 {
            WallClock.daysFromCivil(year: year, month: month, day: day) * 86_400
                + Int64(hour * 3_600 + minute * 60 + second)
        }

        /// `yyyy-mm-ddThh:mm:ss`.
        public var description: String {
            func pad(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        }

        /// Parses exactly `yyyy-mm-ddThh:mm:ss`: no zone suffix and no fraction (AWS refuses
        /// `at(2021-12-31T23:59:59Z)` and `at(2021-12-31)`), and a real calendar date. A time
        /// in the past is valid (AWS accepted `at(2022-12-31T23:59:59)` in 2025); it never fires.
        static func parse(_ inner: Substring, text: String) throws(ScheduleExpressionError) -> LocalDateTime {
            func refuse(_ why: String) -> ScheduleExpressionError {
                ScheduleExpressionError(code: .invalidAt, expression: text,
                                        message: "One-time expression '\(text)' is invalid: \(why). Write at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-11-20T13:00:00), and give the zone as ScheduleExpressionTimezone.")
            }
            let chars = Array(inner.utf8)
            // "yyyy-mm-ddThh:mm:ss" is 19 characters with separators at fixed places.
            let separators: [Int: UInt8] = [4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "T"), 13: UInt8(ascii: ":"), 16: UInt8(ascii: ":")]
            guard chars.count == 19 else { throw refuse("it is not in the form yyyy-mm-ddThh:mm:ss") }
            for (index, char) in chars.enumerated() {
                if let separator = separators[index] {
                    guard char == separator else { throw refuse("it is not in the form yyyy-mm-ddThh:mm:ss") }
                } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(char) {
                    throw refuse("it is not in the form yyyy-mm-ddThh:mm:ss")
                }
            }
            func number(_ range: Range<Int>) -> Int {
                range.reduce(0) { $0 * 10 + Int(chars[$1] - UInt8(ascii: "0")) }
            }
            let year = number(0..<4), month = number(5..<7), day = number(8..<10)
            let hour = number(11..<13), minute = number(14..<16), second = number(17..<19)
            guard (1...12).contains(month), (1...WallClock.daysIn(year: year, month: month)).contains(day) else {
                throw refuse("\(inner.prefix(10)) is not a date")
            }
            guard hour <= 23, minute <= 59, second <= 59 else { throw refuse("\(inner.suffix(8)) is not a time of day") }
            return LocalDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }
    }
}

// MARK: - Wall clock arithmetic

/// Proleptic Gregorian calendar arithmetic on day numbers, and wall-clock to instant
/// conversion in a zone. Kept out of `Calendar` so the search for the next fire time does
/// plain integer work and its DST rules are explicit.
enum WallClock {
    /// Days from 1970-01-01 to the given date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day number (Howard Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// AWS's day-of-week number: 1 = Sunday … 7 = Saturday.
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        // 1970-01-01 was a Thursday (5).
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int(((days + 4) % 7 + 7) % 7) + 1
    }

    /// How a wall-clock time maps onto instants in a zone.
    enum Resolution: Equatable {
        /// Exactly one instant (seconds since the epoch).
        case unique(Int64)
        /// Daylight saving time repeats the wall time: two instants, earlier first.
        case repeated(Int64, Int64)
        /// Daylight saving time skips the wall time; `shifted` is the instant it would be with
        /// the offset in force before the gap, i.e. the wall time moved forward by the gap.
        case skipped(shifted: Int64)
    }

    /// Resolves `local` (seconds since 1970-01-01T00:00 of wall-clock time) in `zone`.
    static func resolve(localSeconds local: Int64, in zone: TimeZone) -> Resolution {
        func offset(at instant: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
        }
        // The offsets in force a day either side cover any single transition near `local`
        // (offsets are within ±14 h); a candidate instant is real when its own offset agrees.
        let before = offset(at: local - 86_400), after = offset(at: local + 86_400)
        var instants: [Int64] = []
        for candidate in before == after ? [before] : [before, after] {
            let instant = local - candidate
            if offset(at: instant) == candidate, !instants.contains(instant) { instants.append(instant) }
        }
        instants.sort()
        switch instants.count {
        case 0: return .skipped(shifted: local - before)
        case 1: return .unique(instants[0])
        default: return .repeated(instants[0], instants[1])
        }
    }

    /// The instant a one-time wall-clock time fires at (see `nextFireTime(after:in:)` on `at`).
    static func instant(forLocalSeconds local: Int64, in zone: TimeZone) -> Int64 {
        switch resolve(localSeconds: local, in: zone) {
        case .unique(let instant), .repeated(let instant, _), .skipped(let instant): instant
        }
    }

    /// The wall-clock reading of `instant` in `zone`, in seconds since 1970-01-01T00:00 local.
    static func localSeconds(of instant: Int64, in zone: TimeZone) -> Int64 {
        instant + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }
}
