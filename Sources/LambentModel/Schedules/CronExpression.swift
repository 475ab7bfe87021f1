import Foundation

/// AWS's six-field cron, `cron(minutes hours day-of-month month day-of-week year)`, which is
/// Quartz's dialect without seconds, not Unix cron.
///
/// | Field | Values | Wildcards |
/// |---|---|---|
/// | Minutes | 0-59 | `, - * /` |
/// | Hours | 0-23 | `, - * /` |
/// | Day-of-month | 1-31 | `, - * ? / L W` |
/// | Month | 1-12 or JAN-DEC | `, - * /` |
/// | Day-of-week | 1-7 (1 = Sunday) or SUN-SAT | `, - * ? L #` |
/// | Year | 1970-2199 | `, - * /` |
///
/// Exactly one of day-of-month and day-of-week is `?`. In day-of-month, `L` is the month's
/// last day, `nW` the weekday nearest day n (never crossing into another month), `LW` the last
/// weekday. In day-of-week, `L` alone is the week's last day (Saturday), `nL` the month's last
/// day n (`6L`: last Friday), and `n#k` its k-th day n (`3#2`: second Tuesday); `#` and `nL`
/// stand alone ("3#1,6#3" is not valid).
/// Source: EventBridge User Guide "Cron expressions reference" and the Scheduler User Guide
/// "Schedule types", which give the same table.
///
/// Where AWS documents nothing, Quartz's rule is followed, since AWS's syntax is Quartz's:
/// `a/n` runs from `a` to the field's end; `*/n` from its start; a range may wrap (`22-2`
/// hours, `FRI-MON`) except in the year field; a step is at most the field's largest value
/// (or the year field's span); names are accepted in any case. `/` in day-of-week, which the
/// table does not list, is refused. All six fields are required (the API Reference: "six
/// fields separated by white spaces"), separated by exactly one space.
///
/// ```swift
/// let lastFriday = try ScheduleExpression.parse("cron(15 10 ? * 6L 2022-2023)")
/// lastFriday.nextFireTime(after: someDate)   // 10:15 UTC on the next last Friday of a month
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// What day-of-month says.
    enum DayOfMonth: Sendable, Hashable {
        /// `?`: day-of-week decides.
        case unspecified
        /// Listed days, 1-31, sorted; a day the month lacks never matches.
        case days([Int])
        /// `L`.
        case last
        /// `LW`.
        case lastWeekday
        /// `nW`.
        case nearestWeekday(Int)
    }

    /// What day-of-week says (1 = Sunday … 7 = Saturday).
    enum DayOfWeek: Sendable, Hashable {
        /// `?`: day-of-month decides.
        case unspecified
        /// Listed weekdays, sorted (`L` alone is `[7]`).
        case days([Int])
        /// `nL`: the month's last weekday n.
        case lastInMonth(Int)
        /// `n#k`: the month's k-th weekday n.
        case nth(weekday: Int, occurrence: Int)
    }

    /// The six fields as written, e.g. `0 18 ? * MON-FRI *`.
    public let fields: String
    let minutes: [Int]
    let hours: [Int]
    let dayOfMonth: DayOfMonth
    let months: [Int]
    let dayOfWeek: DayOfWeek
    let years: [Int]

    /// `cron(<fields>)`.
    public var description: String { "cron(\(fields))" }

    // MARK: - Next fire time

    /// The first minute strictly after `date` that the expression names, read as wall-clock
    /// time in `zone`, or nil when none is left before the end of 2199. A wall time the zone
    /// skips does not fire; one it repeats fires at its first occurrence only (see
    /// `ScheduleExpression.nextFireTime(after:in:)`).
    ///
    /// The search walks the listed years and months, computes the matching days of each month
    /// directly, and only then tries hours and minutes, so an expression that matches rarely
    /// (or never, like 30 February) costs at most a few thousand month visits.
    public func nextFireTime(after date: Date, in zone: TimeZone) -> Date? {
        let afterInstant = Int64(date.timeIntervalSince1970.rounded(.down))
        // Wall times before `after`'s own wall time cannot fire after it: with skipped times
        // dropped and repeated ones taken at their first occurrence, later wall times map to
        // later instants. So the search starts at `after`'s wall-clock minute.
        let local = WallClock.localSeconds(of: afterInstant, in: zone)
        let startDay = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let start = WallClock.civilFromDays(startDay)
        let secondOfDay = Int(local - startDay * 86_400)
        let startHour = secondOfDay / 3_600, startMinute = secondOfDay % 3_600 / 60

        for year in years where year >= start.year {
            for month in months where year > start.year || month >= start.month {
                let onStartMonth = year == start.year && month == start.month
                for day in matchingDays(year: year, month: month) where !onStartMonth || day >= start.day {
                    let onStartDay = onStartMonth && day == start.day
                    let dayStart = WallClock.daysFromCivil(year: year, month: month, day: day) * 86_400
                    for hour in hours where !onStartDay || hour >= startHour {
                        let onStartHour = onStartDay && hour == startHour
                        for minute in minutes where !onStartHour || minute >= startMinute {
                            let wall = dayStart + Int64(hour * 3_600 + minute * 60)
                            let instant: Int64
                            switch WallClock.resolve(localSeconds: wall, in: zone) {
                            case .unique(let only): instant = only
                            case .repeated(let first, _): instant = first
                            case .skipped: continue
                            }
                            if TimeInterval(instant) > date.timeIntervalSince1970 {
                                return Date(timeIntervalSince1970: TimeInterval(instant))
                            }
                        }
                    }
                }
            }
        }
        return nil
    }

    /// The days of `month` in `year` the day fields select, ascending.
    func matchingDays(year: Int, month: Int) -> [Int] {
        let length = WallClock.daysIn(year: year, month: month)
        func weekday(_ day: Int) -> Int { WallClock.weekday(year: year, month: month, day: day) }

        switch dayOfMonth {
        case .days(let days): return days.filter { $0 <= length }
        case .last: return [length]
        case .lastWeekday:
            switch weekday(length) {
            case 7: return [length - 1]
            case 1: return [length - 2]
            default: return [length]
            }
        case .nearestWeekday(let day):
            // Quartz's rule: the nearest Monday-Friday, but never in another month (1W on a
            // Saturday is Monday the 3rd; 31W on a Sunday is Friday the 29th).
            guard day <= length else { return [] }
            switch weekday(day) {
            case 7: return [day == 1 ? 3 : day - 1]
            case 1: return [day == length ? day - 2 : day + 1]
            default: return [day]
            }
        case .unspecified:
            break
        }

        switch dayOfWeek {
        case .days(let weekdays):
            let first = weekday(1)
            return (1...length).filter { weekdays.contains((first - 1 + $0 - 1) % 7 + 1) }
        case .lastInMonth(let target):
            return [length - (weekday(length) - target + 7) % 7]
        case .nth(let target, let occurrence):
            let day = 1 + (target - weekday(1) + 7) % 7 + 7 * (occurrence - 1)
            return day <= length ? [day] : []
        case .unspecified:
            // `parse` refuses `?` in both fields.
            return Array(1...length)
        }
    }

    // MARK: - Parsing

    /// Parses the text between `cron(` and `)`; `text` is the whole expression, for errors.
    static func parse(_ inner: Substring, text: String) throws(ScheduleExpressionError) -> CronExpression {
        func refuse(_ why: String, code: ScheduleExpressionError.Code = .invalidCron) -> ScheduleExpressionError {
            ScheduleExpressionError(
                code: code, expression: text,
                message: "Cron expression '\(text)' is invalid: \(why). AWS cron has six fields, minutes hours day-of-month month day-of-week year, e.g. cron(0 18 ? * MON-FRI *).")
        }
        let parts = inner.split(separator: " ", omittingEmptySubsequences: false)
        guard !parts.contains(where: \.isEmpty) else {
            throw refuse("its fields must be separated by exactly one space, with none before the first or after the last")
        }
        guard parts.count == 6 else { throw refuse("it has \(parts.count) field\(parts.count == 1 ? "" : "s"), not 6") }
        var field = Field.minutes
        let cron: CronExpression
        do throws(FieldFailure) {
            let minutes = try field.values(parts[0])
            field = .hours
            let hours = try field.values(parts[1])
            field = .dayOfMonth
            let dayOfMonth = try Self.dayOfMonth(parts[2])
            field = .month
            let months = try field.values(parts[3])
            field = .dayOfWeek
            let dayOfWeek = try Self.dayOfWeek(parts[4])
            field = .year
            let years = try field.values(parts[5])
            cron = CronExpression(fields: String(inner), minutes: minutes, hours: hours, dayOfMonth: dayOfMonth,
                                  months: months, dayOfWeek: dayOfWeek, years: years)
        } catch {
            throw refuse("the \(field.name) field '\(parts[field.index])' \(error.reason)")
        }
        switch (cron.dayOfMonth, cron.dayOfWeek) {
        case (.unspecified, .unspecified):
            throw refuse("day-of-month and day-of-week are both '?'; give one of them a value or *", code: .invalidDayFields)
        case (.unspecified, _), (_, .unspecified):
            return cron
        default:
            throw refuse("day-of-month and day-of-week are both set; one of them must be '?', e.g. cron(0 8 1 * ? *) or cron(0 8 ? * MON *)", code: .invalidDayFields)
        }
    }

    private static func dayOfMonth(_ text: Substring) throws(FieldFailure) -> DayOfMonth {
        switch text {
        case "?": return .unspecified
        case "L": return .last
        case "LW": return .lastWeekday
        default: break
        }
        if text.hasSuffix("W") {
            let day = text.dropLast()
            guard !day.isEmpty, day.allSatisfy(\.isASCIIDigit), let value = Int(day), (1...31).contains(value) else {
                throw FieldFailure("is not nW with n a day 1-31 (W stands alone: nW or LW)")
            }
            return .nearestWeekday(value)
        }
        if text.contains("L") || text.contains("W") {
            throw FieldFailure("uses L or W with other values; they stand alone: L, LW or nW")
        }
        return .days(try Field.dayOfMonth.values(text))
    }

    private static func dayOfWeek(_ text: Substring) throws(FieldFailure) -> DayOfWeek {
        if text == "?" { return .unspecified }
        if text == "L" { return .days([7]) }
        if let hash = text.firstIndex(of: "#") {
            guard !text.contains(",") else {
                throw FieldFailure("lists more than one expression with '#'; only one is allowed (\"3#1,6#3\" is not valid)")
            }
            let weekday = try Field.dayOfWeek.value(text[..<hash])
            let occurrence = text[text.index(after: hash)...]
            guard occurrence.count == 1, let k = Int(occurrence), (1...5).contains(k) else {
                throw FieldFailure("has '#\(occurrence)'; the occurrence after # is 1-5")
            }
            return .nth(weekday: weekday, occurrence: k)
        }
        if text.count > 1, text.hasSuffix("L") {
            let weekday = text.dropLast()
            guard !weekday.contains(where: { ",-/*".contains($0) }) else {
                throw FieldFailure("combines nL with other values; nL stands alone, e.g. 6L for the last Friday")
            }
            return .lastInMonth(try Field.dayOfWeek.value(weekday))
        }
        return .days(try Field.dayOfWeek.values(text))
    }
}

/// Why one field was refused; `CronExpression.parse` names the field.
private struct FieldFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A numeric cron field: its range, names and which wildcards it takes.
private struct Field {
    var name: String
    /// Position among the six fields.
    var index: Int
    var range: ClosedRange<Int>
    /// Names for the values from `range.lowerBound` on (JAN…, SUN…).
    var names: [String] = []
    /// Whether a range may run past the end back to the start (`22-2`); not for years.
    var wraps = true
    var allowsStep = true

    static let minutes = Field(name: "minutes", index: 0, range: 0...59)
    static let hours = Field(name: "hours", index: 1, range: 0...23)
    static let dayOfMonth = Field(name: "day-of-month", index: 2, range: 1...31)
    static let month = Field(name: "month", index: 3, range: 1...12,
                             names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
    static let dayOfWeek = Field(name: "day-of-week", index: 4, range: 1...7,
                                 names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], allowsStep: false)
    static let year = Field(name: "year", index: 5, range: 1970...2199, wraps: false)

    /// The largest step: Quartz's per-field maximum, or the span of the year field.
    var maximumStep: Int { wraps ? range.upperBound : range.count }

    /// The values a comma-separated list of `*`, `v`, `a-b`, `*/n`, `a/n` and `a-b/n` names, sorted.
    func values(_ text: Substring) throws(FieldFailure) -> [Int] {
        var selected = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            var base = item
            var step = 1
            if let slash = item.firstIndex(of: "/") {
                guard allowsStep else { throw FieldFailure("uses '/', which this field does not take") }
                base = item[..<slash]
                let stepText = item[item.index(after: slash)...]
                guard !stepText.isEmpty, stepText.allSatisfy(\.isASCIIDigit), let n = Int(stepText),
                      (1...maximumStep).contains(n) else {
                    throw FieldFailure("has the step '/\(stepText)'; a step is 1-\(maximumStep)")
                }
                step = n
            }
            let first: Int, last: Int
            if base == "*" {
                (first, last) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                first = try value(base[..<dash])
                last = try value(base[base.index(after: dash)...])
                guard wraps || first <= last else {
                    throw FieldFailure("is a range that ends before it starts")
                }
            } else {
                first = try value(base)
                // `a/n` runs to the end of the field, as in Quartz.
                last = base.count == item.count ? first : range.upperBound
            }
            let count = range.count
            let span = wraps ? (last - first + count) % count : last - first
            for offset in stride(from: 0, through: span, by: step) {
                selected.insert(range.lowerBound + (first - range.lowerBound + offset) % count)
            }
        }
        return selected.sorted()
    }

    /// One value: a number in `range` or, where the field has names, a name in any case.
    func value(_ text: Substring) throws(FieldFailure) -> Int {
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard text.count <= 4, let number = Int(text), range.contains(number) else {
                throw FieldFailure("has the value \(text), outside \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let index = names.firstIndex(of: text.uppercased()) {
            return range.lowerBound + index
        }
        let allowed = names.isEmpty
            ? "\(range.lowerBound)-\(range.upperBound)"
            : "\(range.lowerBound)-\(range.upperBound) or \(names.first!)-\(names.last!)"
        throw FieldFailure("has '\(text)', which is not a value (\(allowed))\(text == "?" ? "; '?' is only for day-of-month or day-of-week" : "")")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
