import Foundation
import Testing

@testable import LambentModel

/// The instant an ISO 8601 UTC text names, e.g. `2026-03-07T12:00:00Z`.
private func utc(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad test date \(text)") }
    return date
}

private func zone(_ name: String) -> TimeZone {
    guard let zone = TimeZone(identifier: name) else { fatalError("no zone \(name) on this machine") }
    return zone
}

/// The error `parse` throws for `text`, or nil when it parses.
private func parseError(_ text: String, for service: ScheduleExpression.Service = .scheduler) -> ScheduleExpressionError? {
    do {
        _ = try ScheduleExpression.parse(text, for: service)
        return nil
    } catch {
        return error
    }
}

/// The next `count` fire times of `expression` after `start`, each found from the previous one.
private func fires(_ expression: String, after start: String, in zoneName: String = "UTC", count: Int = 1) throws -> [Date] {
    let schedule = try ScheduleExpression.parse(expression)
    var found: [Date] = []
    var after = utc(start)
    while found.count < count, let next = schedule.nextFireTime(after: after, in: zone(zoneName)) {
        found.append(next)
        after = next
    }
    return found
}

// MARK: - Validation against AWS's recorded answers

@Suite("ScheduleExpression: AWS's recorded answers")
struct ScheduleExpressionRecordedTests {
    /// `test_scheduler.snapshot.json`, `tests_create_schedule_with_invalid_schedule_expression[…]`:
    /// every one answered 400 ValidationException "Invalid Schedule Expression <text>.".
    @Test("Scheduler refuses what AWS refused, with AWS's message", arguments: [
        "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)",
        "cron(71 8 1 * ? *)", "cron()", "rate(10 seconds)", "rate(10 years)", "rate()", "rate(10)",
        "rate(10 minutess)", "rate(foo minutes)", "rate(-10 minutes)", "rate( 10 minutes )", " rate(10 minutes)",
        "at(2021-12-31T23:59:59Z)", "at(2021-12-31)",
    ])
    func schedulerRefusals(_ text: String) throws {
        let error = try #require(parseError(text))
        #expect(error.awsMessage(for: .scheduler) == "Invalid Schedule Expression \(text).")
        #expect(error.awsErrorType == "ValidationException")
        #expect(error.httpStatus == 400)
        #expect(error.expression == text)
    }

    @Test("the Scheduler message echoes the expression with its white space")
    func echoesWhiteSpace() throws {
        let error = try #require(parseError(" rate(10 minutes)"))
        #expect(error.awsMessage(for: .scheduler) == "Invalid Schedule Expression  rate(10 minutes).")
    }

    /// `test_events_schedule.snapshot.json`, `tests_put_rule_with_invalid_schedule_cron[…]`.
    @Test("rules refuse what AWS refused, with AWS's message", arguments: [
        "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)", "cron(7 20 * * NOT *)", "cron(71 8 1 * ? *)", "cron(0 1 * * * *)",
    ])
    func eventsRefusals(_ text: String) throws {
        let error = try #require(parseError(text, for: .events))
        #expect(error.awsMessage(for: .events) == "Parameter ScheduleExpression is not valid.")
    }

    /// `test_scheduler.snapshot.json` (`test_create_schedule_with_valid_cron_expressions[…]`,
    /// `tests_create_schedule_with_valid_schedule_expression`) and LocalStack's AWS-validated
    /// `test_update_schedule`, which sends `rate(2 minute)`.
    @Test("Scheduler accepts what AWS accepted", arguments: [
        "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "cron(30-30 13-13 ? * 2,4,6 *)", "cron(1-31/30 1-1 ? * 1,7 *)",
        "cron(0 18 ? * MON-FRI *)", "cron(*/15 * * * ? *)", "cron(0-59/10 0-23/2 ? * * *)",
        "at(2022-12-31T23:59:59)", "rate(1 minute)", "rate(2 minute)",
    ])
    func schedulerAcceptances(_ text: String) {
        #expect(parseError(text) == nil)
    }

    /// `test_events_schedule.snapshot.json`, `tests_put_rule_with_schedule_*`.
    @Test("rules accept what AWS accepted", arguments: [
        "rate(1 minute)", "cron(0 20 * * ? *)", "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0/30 20-23 ? * MON-FRI *)", "cron(0/30 0-2 ? * MON-FRI *)", "cron(0 2 ? * SAT *)", "cron(0 12 * * ? *)",
        "cron(5,35 14 * * ? *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)", "cron(* * ? * SAT#3 *)",
        "cron(0/5 5 ? JAN 1-5 2022)",
    ])
    func eventsAcceptances(_ text: String) {
        #expect(parseError(text, for: .events) == nil)
    }
}

// MARK: - Parsing

@Suite("ScheduleExpression: parsing")
struct ScheduleExpressionParsingTests {
    @Test("rate units, singular and plural", arguments: [
        ("rate(1 minute)", 1, ScheduleExpression.Rate.Unit.minutes, Int64(60)),
        ("rate(5 minutes)", 5, .minutes, 300),
        ("rate(1 hour)", 1, .hours, 3_600),
        ("rate(12 hours)", 12, .hours, 43_200),
        ("rate(1 day)", 1, .days, 86_400),
        ("rate(7 days)", 7, .days, 604_800),
        ("rate(05 minutes)", 5, .minutes, 300),
    ])
    func rates(_ text: String, _ value: Int, _ unit: ScheduleExpression.Rate.Unit, _ seconds: Int64) throws {
        let expression = try ScheduleExpression.parse(text)
        guard case .rate(let rate) = expression.kind else {
            Issue.record("\(text) is not a rate")
            return
        }
        #expect(rate.value == value)
        #expect(rate.unit == unit)
        #expect(rate.seconds == seconds)
        #expect(!expression.isOneTime)
        #expect(expression.description == text)
    }

    @Test("invalid rates", arguments: [
        "rate(0 minutes)", "rate(0 minute)", "rate(1.5 hours)", "rate(+5 minutes)", "rate(5  minutes)", "rate(5 Minutes)",
        "rate(5 weeks)", "rate(5minutes)", "rate(99999999999999999999 minutes)", "RATE(5 minutes)", "rate(5 minutes",
    ])
    func invalidRates(_ text: String) throws {
        let error = try #require(parseError(text))
        #expect(error.code == .invalidRate || error.code == .unrecognized)
    }

    @Test("Scheduler takes either number; rules want singular for 1 and plural otherwise", arguments: [
        "rate(1 minutes)", "rate(5 minute)", "rate(1 hours)", "rate(5 hour)", "rate(1 days)", "rate(2 day)",
    ])
    func numberAgreement(_ text: String) throws {
        #expect(parseError(text) == nil)
        let error = try #require(parseError(text, for: .events))
        #expect(error.code == .unsupportedByService)
        #expect(error.awsMessage(for: .events) == "Parameter ScheduleExpression is not valid.")
    }

    @Test("at(…) is one-time, Scheduler only")
    func at() throws {
        let expression = try ScheduleExpression.parse("at(2026-11-20T13:00:00)")
        #expect(expression.isOneTime)
        #expect(expression.kind == .at(.init(year: 2026, month: 11, day: 20, hour: 13, minute: 0, second: 0)))
        let error = try #require(parseError("at(2026-11-20T13:00:00)", for: .events))
        #expect(error.code == .unsupportedByService)
    }

    @Test("invalid at(…)", arguments: [
        "at(2026-02-29T00:00:00)", "at(2026-13-01T00:00:00)", "at(2026-04-31T00:00:00)", "at(2026-01-01T24:00:00)",
        "at(2026-01-01T00:60:00)", "at(2026-01-01T00:00:60)", "at(2026-01-01 00:00:00)", "at(2026-01-01T00:00:00.000)",
        "at(2026-1-01T00:00:00)", "at(2026-01-01T00:00:00+01:00)", "at()",
    ])
    func invalidAt(_ text: String) throws {
        #expect(try #require(parseError(text)).code == .invalidAt)
    }

    @Test("29 February exists in leap years only")
    func leapAt() {
        #expect(parseError("at(2028-02-29T12:00:00)") == nil)
        #expect(parseError("at(2000-02-29T12:00:00)") == nil)
        #expect(parseError("at(2100-02-29T12:00:00)")?.code == .invalidAt)
    }

    @Test("garbage is unrecognized", arguments: ["", "cron", "every 5 minutes", "cron(0 1 * * ? *) ", "Cron(0 1 * * ? *)", "rate", "at"])
    func garbage(_ text: String) throws {
        #expect(try #require(parseError(text)).code == .unrecognized)
    }

    @Test("cron fields: lists, ranges, steps and names")
    func cronFields() throws {
        let parsed = try ScheduleExpression.parse("cron(0,15,30-32 */6 ? JAN-MAR,dec MON-WED,fri 2026/50)")
        guard case .cron(let cron) = parsed.kind else {
            Issue.record("not a cron")
            return
        }
        #expect(cron.minutes == [0, 15, 30, 31, 32])
        #expect(cron.hours == [0, 6, 12, 18])
        #expect(cron.dayOfMonth == .unspecified)
        #expect(cron.months == [1, 2, 3, 12])
        #expect(cron.dayOfWeek == .days([2, 3, 4, 6]))
        #expect(cron.years == [2026, 2076, 2126, 2176])
        #expect(cron.description == "cron(0,15,30-32 */6 ? JAN-MAR,dec MON-WED,fri 2026/50)")
    }

    @Test("a/n runs to the end of the field; ranges wrap except for years", arguments: [
        ("cron(1/10 * * * ? *)", "minutes", [1, 11, 21, 31, 41, 51]),
        ("cron(1-31/30 * * * ? *)", "minutes", [1, 31]),
        ("cron(0 22-2 * * ? *)", "hours", [0, 1, 2, 22, 23]),
        ("cron(0 20/3 * * ? *)", "hours", [20, 23]),
        ("cron(0 0 * NOV-FEB ? *)", "months", [1, 2, 11, 12]),
        ("cron(0 0 * 2/5 ? *)", "months", [2, 7, 12]),
        ("cron(0 0 * * ? 2197-2199)", "years", [2197, 2198, 2199]),
    ])
    func stepsAndRanges(_ text: String, _ field: String, _ expected: [Int]) throws {
        guard case .cron(let cron) = try ScheduleExpression.parse(text).kind else {
            Issue.record("not a cron")
            return
        }
        let values = switch field {
        case "minutes": cron.minutes
        case "hours": cron.hours
        case "months": cron.months
        default: cron.years
        }
        #expect(values == expected)
    }

    @Test("day fields: L, W, LW, nL, n#k", arguments: [
        ("cron(0 0 L * ? *)", CronExpression.DayOfMonth.last, CronExpression.DayOfWeek.unspecified),
        ("cron(0 0 LW * ? *)", .lastWeekday, .unspecified),
        ("cron(0 0 15W * ? *)", .nearestWeekday(15), .unspecified),
        ("cron(0 0 ? * L *)", .unspecified, .days([7])),
        ("cron(0 0 ? * 5L *)", .unspecified, .lastInMonth(5)),
        ("cron(0 0 ? * FRIL *)", .unspecified, .lastInMonth(6)),
        ("cron(0 0 ? * 3#2 *)", .unspecified, .nth(weekday: 3, occurrence: 2)),
        ("cron(0 0 ? * SAT#3 *)", .unspecified, .nth(weekday: 7, occurrence: 3)),
        ("cron(0 0 ? * * *)", .unspecified, .days([1, 2, 3, 4, 5, 6, 7])),
        ("cron(0 0 * * ? *)", .days(Array(1...31)), .unspecified),
    ])
    func dayFields(_ text: String, _ dayOfMonth: CronExpression.DayOfMonth, _ dayOfWeek: CronExpression.DayOfWeek) throws {
        guard case .cron(let cron) = try ScheduleExpression.parse(text).kind else {
            Issue.record("not a cron")
            return
        }
        #expect(cron.dayOfMonth == dayOfMonth)
        #expect(cron.dayOfWeek == dayOfWeek)
    }

    @Test("day-of-month and day-of-week: exactly one is ?", arguments: [
        "cron(0 9 * * * *)", "cron(0 9 1 * MON *)", "cron(0 9 ? * ? *)", "cron(0 9 L * 6L *)", "cron(0 9 15W * 2#1 *)",
    ])
    func dayFieldRule(_ text: String) throws {
        #expect(try #require(parseError(text)).code == .invalidDayFields)
    }

    @Test("invalid cron fields", arguments: [
        "cron(60 * * * ? *)", "cron(* 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)", "cron(0 0 * 13 ? *)",
        "cron(0 0 * 0 ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? * 0 *)", "cron(0 0 * * ? 1969)", "cron(0 0 * * ? 2200)",
        "cron(0 0 * * ? 2030-2020)", "cron(*/0 * * * ? *)", "cron(*/60 * * * ? *)", "cron(0 */24 * * ? *)", "cron(0 0 ? * */2 *)",
        "cron(0 0 ? * 3#1,6#3 *)", "cron(0 0 ? * 3#6 *)", "cron(0 0 ? * 3#0 *)", "cron(0 0 ? * 8#1 *)", "cron(0 0 L,15 * ? *)",
        "cron(0 0 32W * ? *)", "cron(0 0 1-5W * ? *)", "cron(0 0 ? * 1-3L *)", "cron(0 0 * JANUARY ? *)", "cron(0 0 ? * MONDAY *)",
        "cron(? 0 * * ? *)", "cron(0 0 * ? ? *)", "cron(0 0 * * ?)", "cron(0 0 * * ? * *)", "cron(0  0 * * ? *)", "cron( 0 0 * * ? *)",
        "cron(0 0 * * ? *) ", "cron(0,,5 0 * * ? *)", "cron(0- 0 * * ? *)", "cron(-5 0 * * ? *)", "cron(0 0 * * ? 2020/0)",
    ])
    func invalidCron(_ text: String) throws {
        let error = try #require(parseError(text))
        #expect(error.code == .invalidCron || error.code == .unrecognized, "\(error)")
        #expect(error.awsMessage(for: .scheduler) == "Invalid Schedule Expression \(text).")
    }

    @Test("messages name the field and how to fix it")
    func messages() throws {
        let outOfRange = try #require(parseError("cron(71 8 1 * ? *)"))
        #expect(outOfRange.message.contains("minutes field '71'"))
        #expect(outOfRange.message.contains("0-59"))
        let bothDays = try #require(parseError("cron(0 1 * * * *)"))
        #expect(bothDays.message.contains("one of them must be '?'"))
        #expect(bothDays.description.hasPrefix("invalidDayFields: "))
        #expect(try #require(parseError("cron(0 1 * * ?)")).message.contains("it has 5 fields, not 6"))
        #expect(try #require(parseError("cron(0  1 * * ? *)")).message.contains("exactly one space"))
    }
}

// MARK: - Next fire time, UTC

@Suite("ScheduleExpression: next fire time")
struct ScheduleExpressionNextFireTests {
    @Test("daily, every 15 minutes, weekdays")
    func simple() throws {
        #expect(try fires("cron(0 10 * * ? *)", after: "2026-03-01T10:00:00Z", count: 2)
            == [utc("2026-03-02T10:00:00Z"), utc("2026-03-03T10:00:00Z")])
        #expect(try fires("cron(*/15 * * * ? *)", after: "2026-03-01T23:40:30Z", count: 3)
            == [utc("2026-03-01T23:45:00Z"), utc("2026-03-02T00:00:00Z"), utc("2026-03-02T00:15:00Z")])
        // Friday 2026-03-06 18:00 → Monday 2026-03-09.
        #expect(try fires("cron(0 18 ? * MON-FRI *)", after: "2026-03-06T18:00:00Z")
            == [utc("2026-03-09T18:00:00Z")])
        #expect(try fires("cron(5,35 14 * * ? *)", after: "2026-03-01T14:05:00Z", count: 2)
            == [utc("2026-03-01T14:35:00Z"), utc("2026-03-02T14:05:00Z")])
    }

    @Test("strictly after: a time the schedule names is not returned for itself")
    func strictlyAfter() throws {
        let schedule = try ScheduleExpression.parse("cron(0 10 * * ? *)")
        #expect(schedule.nextFireTime(after: utc("2026-03-01T10:00:00Z")) == utc("2026-03-02T10:00:00Z"))
        #expect(schedule.nextFireTime(after: utc("2026-03-01T09:59:59Z")) == utc("2026-03-01T10:00:00Z"))
        #expect(schedule.nextFireTime(after: utc("2026-03-01T09:59:59Z").addingTimeInterval(0.999)) == utc("2026-03-01T10:00:00Z"))
    }

    @Test("wrapping hour range and weekday list")
    func wrapping() throws {
        // Friday 2026-03-06 noon: the next runs are on Saturday and Sunday only.
        #expect(try fires("cron(0 22-1 ? * SAT,SUN *)", after: "2026-03-06T12:00:00Z", count: 5) == [
            utc("2026-03-07T00:00:00Z"), utc("2026-03-07T01:00:00Z"), utc("2026-03-07T22:00:00Z"), utc("2026-03-07T23:00:00Z"),
            utc("2026-03-08T00:00:00Z"),
        ])
    }

    @Test("last day of the month, and leap years")
    func lastDay() throws {
        #expect(try fires("cron(0 0 L * ? *)", after: "2026-01-15T00:00:00Z", count: 4) == [
            utc("2026-01-31T00:00:00Z"), utc("2026-02-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"), utc("2026-04-30T00:00:00Z"),
        ])
        #expect(try fires("cron(0 0 L 2 ? *)", after: "2027-03-01T00:00:00Z") == [utc("2028-02-29T00:00:00Z")])
    }

    @Test("29 February fires in leap years only; 2100 is not one")
    func february29() throws {
        #expect(try fires("cron(0 12 29 2 ? *)", after: "2025-01-01T00:00:00Z", count: 2)
            == [utc("2028-02-29T12:00:00Z"), utc("2032-02-29T12:00:00Z")])
        #expect(try fires("cron(0 12 29 FEB ? *)", after: "2096-03-01T00:00:00Z") == [utc("2104-02-29T12:00:00Z")])
    }

    @Test("day 31 fires only in months that have it")
    func day31() throws {
        #expect(try fires("cron(0 0 31 * ? *)", after: "2026-01-31T00:00:00Z", count: 3)
            == [utc("2026-03-31T00:00:00Z"), utc("2026-05-31T00:00:00Z"), utc("2026-07-31T00:00:00Z")])
    }

    // The search visits months, not minutes, so these scans over 230 years are quick; timing
    // itself belongs in benchmarks, not assertions.
    @Test("a date that never comes never fires; rare dates are found decades ahead")
    func never() throws {
        #expect(try fires("cron(0 0 30 2 ? *)", after: "1970-01-01T00:00:00Z").isEmpty)
        #expect(try fires("cron(* * 31 4,6,9,11 ? *)", after: "1970-01-01T00:00:00Z").isEmpty)
        // A fifth Monday in February needs a leap year starting on a Monday: 2044, then 2072.
        #expect(try fires("cron(0 0 ? 2 2#5 *)", after: "2027-01-01T00:00:00Z", count: 2)
            == [utc("2044-02-29T00:00:00Z"), utc("2072-02-29T00:00:00Z")])
    }

    @Test("W: the nearest weekday, never in another month")
    func nearestWeekday() throws {
        // 2026-08-15 is a Saturday → Friday the 14th; 2026-08-01 is a Saturday → Monday the 3rd.
        #expect(try fires("cron(0 9 15W * ? *)", after: "2026-08-01T00:00:00Z") == [utc("2026-08-14T09:00:00Z")])
        #expect(try fires("cron(0 9 1W * ? *)", after: "2026-07-31T00:00:00Z") == [utc("2026-08-03T09:00:00Z")])
        // 2026-05-31 is a Sunday → Friday the 29th.
        #expect(try fires("cron(0 9 31W * ? *)", after: "2026-05-01T00:00:00Z") == [utc("2026-05-29T09:00:00Z")])
        // 2026-03-15 is a Sunday → Monday the 16th.
        #expect(try fires("cron(0 9 15W * ? *)", after: "2026-03-01T00:00:00Z") == [utc("2026-03-16T09:00:00Z")])
        // A weekday is itself.
        #expect(try fires("cron(0 9 15W * ? *)", after: "2026-04-01T00:00:00Z") == [utc("2026-04-15T09:00:00Z")])
        // 30W skips February.
        #expect(try fires("cron(0 9 30W * ? *)", after: "2026-02-01T00:00:00Z") == [utc("2026-03-30T09:00:00Z")])
    }

    @Test("LW: the last weekday of the month")
    func lastWeekday() throws {
        // 2026-05-31 is a Sunday, 2026-10-31 a Saturday, 2026-06-30 a Tuesday.
        #expect(try fires("cron(0 9 LW * ? *)", after: "2026-05-01T00:00:00Z", count: 2)
            == [utc("2026-05-29T09:00:00Z"), utc("2026-06-30T09:00:00Z")])
        #expect(try fires("cron(0 9 LW * ? *)", after: "2026-10-01T00:00:00Z") == [utc("2026-10-30T09:00:00Z")])
    }

    @Test("nL and n#k")
    func weekdayOccurrences() throws {
        // 6L: the last Friday; the recorded rule cron(15 10 ? * 6L 2002-2005).
        #expect(try fires("cron(15 10 ? * 6L 2002-2005)", after: "2002-01-01T00:00:00Z", count: 2)
            == [utc("2002-01-25T10:15:00Z"), utc("2002-02-22T10:15:00Z")])
        #expect(try fires("cron(15 10 ? * 6L 2002-2005)", after: "2005-12-30T10:15:00Z").isEmpty)
        // 3#2: the second Tuesday; March 2026 starts on a Sunday.
        #expect(try fires("cron(0 8 ? * 3#2 *)", after: "2026-03-01T00:00:00Z", count: 2)
            == [utc("2026-03-10T08:00:00Z"), utc("2026-04-14T08:00:00Z")])
        // 2#5: a fifth Monday; February 2026 has none, March 2026 has the 30th.
        #expect(try fires("cron(0 8 ? * 2#5 *)", after: "2026-02-01T00:00:00Z") == [utc("2026-03-30T08:00:00Z")])
        // SAT#3 every minute of that day.
        #expect(try fires("cron(* * ? * SAT#3 *)", after: "2026-03-21T23:58:00Z", count: 2)
            == [utc("2026-03-21T23:59:00Z"), utc("2026-04-18T00:00:00Z")])
        // L alone in day-of-week is Saturday.
        #expect(try fires("cron(0 0 ? * L *)", after: "2026-03-01T00:00:00Z") == [utc("2026-03-07T00:00:00Z")])
    }

    @Test("recorded: weekdays as numbers, 1 = Sunday")
    func weekdayNumbers() throws {
        // cron(1-31/30 1-1 ? * 1,7 *): Saturdays and Sundays at 01:01 and 01:31.
        #expect(try fires("cron(1-31/30 1-1 ? * 1,7 *)", after: "2026-03-02T00:00:00Z", count: 4) == [
            utc("2026-03-07T01:01:00Z"), utc("2026-03-07T01:31:00Z"), utc("2026-03-08T01:01:00Z"), utc("2026-03-08T01:31:00Z"),
        ])
    }

    @Test("the year field ends the schedule")
    func yearBounds() throws {
        #expect(try fires("cron(0/5 5 ? JAN 1-5 2022)", after: "2022-01-31T05:55:00Z").isEmpty)
        #expect(try fires("cron(0/5 5 ? JAN 1-5 2022)", after: "2021-06-01T00:00:00Z") == [utc("2022-01-02T05:00:00Z")])
        #expect(try fires("cron(0 0 1 1 ? 2020)", after: "2020-06-01T00:00:00Z").isEmpty)
        #expect(try fires("cron(59 23 31 12 ? *)", after: "2199-12-31T23:58:00Z") == [utc("2199-12-31T23:59:00Z")])
        #expect(try fires("cron(59 23 31 12 ? *)", after: "2199-12-31T23:59:00Z").isEmpty)
        #expect(try fires("cron(0 0 1 1 ? *)", after: "1960-01-01T00:00:00Z") == [utc("1970-01-01T00:00:00Z")])
    }

    @Test("rate: the interval after the previous invocation, or whole steps from a start date")
    func rate() throws {
        let every5 = try ScheduleExpression.parse("rate(5 minutes)")
        #expect(every5.nextFireTime(after: utc("2026-03-01T10:02:00Z")) == utc("2026-03-01T10:07:00Z"))
        let start = utc("2026-03-01T10:00:00Z")
        #expect(every5.nextFireTime(after: utc("2026-03-01T09:00:00Z"), startDate: start) == start)
        #expect(every5.nextFireTime(after: start, startDate: start) == utc("2026-03-01T10:05:00Z"))
        #expect(every5.nextFireTime(after: utc("2026-03-01T10:07:30Z"), startDate: start) == utc("2026-03-01T10:10:00Z"))
        #expect(every5.nextFireTime(after: utc("2026-03-01T10:10:00Z"), startDate: start) == utc("2026-03-01T10:15:00Z"))
    }

    @Test("rate(1 day) is 24 hours, across daylight saving time too")
    func rateDays() throws {
        let daily = try ScheduleExpression.parse("rate(1 day)")
        #expect(daily.nextFireTime(after: utc("2026-03-07T12:00:00Z"), in: zone("America/New_York")) == utc("2026-03-08T12:00:00Z"))
    }

    @Test("cron with a start date fires after it")
    func cronStartDate() throws {
        let daily = try ScheduleExpression.parse("cron(0 10 * * ? *)")
        #expect(daily.nextFireTime(after: utc("2026-03-01T00:00:00Z"), startDate: utc("2026-03-05T12:00:00Z"))
            == utc("2026-03-06T10:00:00Z"))
    }

    @Test("at: once, then never")
    func atUTC() throws {
        let once = try ScheduleExpression.parse("at(2026-11-20T13:00:30)")
        #expect(once.nextFireTime(after: utc("2026-01-01T00:00:00Z")) == utc("2026-11-20T13:00:30Z"))
        #expect(once.nextFireTime(after: utc("2026-11-20T13:00:30Z")) == nil)
        #expect(once.nextFireTime(after: utc("2026-01-01T00:00:00Z"), startDate: utc("2027-01-01T00:00:00Z"))
            == utc("2026-11-20T13:00:30Z"))
        #expect(try ScheduleExpression.parse("at(2022-12-31T23:59:59)").nextFireTime(after: utc("2025-02-02T00:00:00Z")) == nil)
    }
}

// MARK: - Time zones and daylight saving time

@Suite("ScheduleExpression: time zones")
struct ScheduleExpressionTimeZoneTests {
    @Test("time zone names")
    func names() throws {
        #expect(try ScheduleExpression.timeZone(named: nil).secondsFromGMT() == 0)
        #expect(try ScheduleExpression.timeZone(named: "UTC").secondsFromGMT() == 0)
        #expect(try ScheduleExpression.timeZone(named: "Asia/Kolkata").secondsFromGMT() == 19_800)
        #expect(try ScheduleExpression.timeZone(named: "America/New_York").identifier == "America/New_York")
        #expect(try ScheduleExpression.timeZone(named: "Etc/GMT+5").secondsFromGMT() == -18_000)
        for bad in ["Mars/Olympus", "", "America/New York", "america/new_york", "GMT+1", "UTC+1", "UTC-05:00", String(repeating: "A", count: 51)] {
            #expect(throws: ScheduleExpressionError.self) { try ScheduleExpression.timeZone(named: bad) }
            do {
                _ = try ScheduleExpression.timeZone(named: bad)
            } catch {
                #expect(error.code == .invalidTimeZone)
                #expect(error.awsMessage(for: .scheduler) == error.message)
            }
        }
    }

    @Test("cron in a zone is wall-clock time there")
    func kolkata() throws {
        // +05:30: 09:00 in Kolkata is 03:30 UTC.
        #expect(try fires("cron(0 9 * * ? *)", after: "2026-01-01T00:00:00Z", in: "Asia/Kolkata", count: 2)
            == [utc("2026-01-01T03:30:00Z"), utc("2026-01-02T03:30:00Z")])
        // Midnight in Kolkata on the 1st is 18:30 UTC the day before.
        #expect(try fires("cron(0 0 1 * ? *)", after: "2026-01-15T00:00:00Z", in: "Asia/Kolkata")
            == [utc("2026-01-31T18:30:00Z")])
        // Weekdays are Kolkata's: Monday 2026-03-09 00:15 there is Sunday 18:45 UTC.
        #expect(try fires("cron(15 0 ? * MON *)", after: "2026-03-07T00:00:00Z", in: "Asia/Kolkata")
            == [utc("2026-03-08T18:45:00Z")])
    }

    @Test("New York, spring forward 2026-03-08: 02:30 does not exist and is skipped")
    func springForward() throws {
        #expect(try fires("cron(30 2 * * ? *)", after: "2026-03-07T12:00:00Z", in: "America/New_York", count: 2)
            == [utc("2026-03-09T06:30:00Z"), utc("2026-03-10T06:30:00Z")])
        // Hourly: 01:00 EST, then 03:00 EDT; 02:00 never comes.
        #expect(try fires("cron(0 * * * ? *)", after: "2026-03-08T05:30:00Z", in: "America/New_York", count: 3)
            == [utc("2026-03-08T06:00:00Z"), utc("2026-03-08T07:00:00Z"), utc("2026-03-08T08:00:00Z")])
        // 08:30 New York is 13:30 UTC before the change and 12:30 after.
        #expect(try fires("cron(30 8 * * ? *)", after: "2026-03-07T00:00:00Z", in: "America/New_York", count: 2)
            == [utc("2026-03-07T13:30:00Z"), utc("2026-03-08T12:30:00Z")])
    }

    @Test("New York, fall back 2026-11-01: 01:30 happens twice and runs once, the first time")
    func fallBack() throws {
        #expect(try fires("cron(30 1 * * ? *)", after: "2026-10-31T12:00:00Z", in: "America/New_York", count: 2)
            == [utc("2026-11-01T05:30:00Z"), utc("2026-11-02T06:30:00Z")])
        // Every 15 minutes: 01:45 EDT, then the repeated 01:00-01:45 EST do not run again; 02:00 EST next.
        #expect(try fires("cron(*/15 * * * ? *)", after: "2026-11-01T05:40:00Z", in: "America/New_York", count: 3)
            == [utc("2026-11-01T05:45:00Z"), utc("2026-11-01T07:00:00Z"), utc("2026-11-01T07:15:00Z")])
        // Asked during the second 01:xx, the next run is still 02:00 EST.
        #expect(try fires("cron(*/15 * * * ? *)", after: "2026-11-01T06:20:00Z", in: "America/New_York")
            == [utc("2026-11-01T07:00:00Z")])
    }

    @Test("Lord Howe's 30-minute daylight saving time")
    func lordHowe() throws {
        // 2026-04-05: 02:00 +11:00 falls back to 01:30 +10:30, so 01:45 happens twice; it runs once.
        #expect(try fires("cron(45 1 * * ? *)", after: "2026-04-04T12:00:00Z", in: "Australia/Lord_Howe", count: 2)
            == [utc("2026-04-04T14:45:00Z"), utc("2026-04-05T15:15:00Z")])
        // 2026-10-04: 02:00 +10:30 springs to 02:30 +11:00, so 02:15 does not exist that day.
        #expect(try fires("cron(15 2 * * ? *)", after: "2026-10-03T12:00:00Z", in: "Australia/Lord_Howe", count: 2)
            == [utc("2026-10-04T15:15:00Z"), utc("2026-10-05T15:15:00Z")])
        // 02:45 exists on both days.
        #expect(try fires("cron(45 2 * * ? *)", after: "2026-10-03T12:00:00Z", in: "Australia/Lord_Howe")
            == [utc("2026-10-03T15:45:00Z")])
    }

    @Test("at(…) in a zone")
    func atInZone() throws {
        // The documented example: at(2022-11-20T13:00:00) in America/Los_Angeles is 21:00 UTC.
        let documented = try ScheduleExpression.parse("at(2022-11-20T13:00:00)")
        #expect(documented.nextFireTime(after: utc("2022-11-01T00:00:00Z"), in: zone("America/Los_Angeles"))
            == utc("2022-11-20T21:00:00Z"))
        let kolkata = try ScheduleExpression.parse("at(2026-03-11T10:21:00)")
        #expect(kolkata.nextFireTime(after: utc("2026-01-01T00:00:00Z"), in: zone("Asia/Kolkata")) == utc("2026-03-11T04:51:00Z"))
        // A time daylight saving time skips moves forward by the gap: 02:30 → 03:30 EDT.
        let skipped = try ScheduleExpression.parse("at(2026-03-08T02:30:00)")
        #expect(skipped.nextFireTime(after: utc("2026-01-01T00:00:00Z"), in: zone("America/New_York")) == utc("2026-03-08T07:30:00Z"))
        let lordHoweGap = try ScheduleExpression.parse("at(2026-10-04T02:15:00)")
        #expect(lordHoweGap.nextFireTime(after: utc("2026-01-01T00:00:00Z"), in: zone("Australia/Lord_Howe"))
            == utc("2026-10-03T15:45:00Z"))
        // A repeated time fires at its first occurrence.
        let repeated = try ScheduleExpression.parse("at(2026-11-01T01:30:00)")
        #expect(repeated.nextFireTime(after: utc("2026-01-01T00:00:00Z"), in: zone("America/New_York")) == utc("2026-11-01T05:30:00Z"))
        #expect(repeated.nextFireTime(after: utc("2026-11-01T05:30:00Z"), in: zone("America/New_York")) == nil)
    }
}

// MARK: - Wall clock arithmetic

@Suite("ScheduleExpression: calendar arithmetic")
struct WallClockTests {
    @Test("day numbers round-trip and agree with weekdays")
    func civil() {
        #expect(WallClock.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(WallClock.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(WallClock.weekday(year: 1970, month: 1, day: 1) == 5) // Thursday
        #expect(WallClock.weekday(year: 2026, month: 3, day: 1) == 1) // Sunday
        #expect(WallClock.weekday(year: 1969, month: 12, day: 31) == 4) // Wednesday
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let date = WallClock.civilFromDays(days)
            #expect(WallClock.daysFromCivil(year: date.year, month: date.month, day: date.day) == days)
        }
    }

    @Test("month lengths")
    func lengths() {
        #expect(WallClock.daysIn(year: 2024, month: 2) == 29)
        #expect(WallClock.daysIn(year: 2026, month: 2) == 28)
        #expect(WallClock.daysIn(year: 2000, month: 2) == 29)
        #expect(WallClock.daysIn(year: 2100, month: 2) == 28)
        #expect(WallClock.daysIn(year: 2026, month: 4) == 30)
        #expect(WallClock.daysIn(year: 2026, month: 12) == 31)
    }

    @Test("wall times resolve as unique, repeated or skipped")
    func resolution() {
        let newYork = zone("America/New_York")
        func local(_ text: String) -> Int64 { Int64(utc(text).timeIntervalSince1970) }
        #expect(WallClock.resolve(localSeconds: local("2026-07-01T12:00:00Z"), in: newYork)
            == .unique(local("2026-07-01T16:00:00Z")))
        #expect(WallClock.resolve(localSeconds: local("2026-03-08T02:30:00Z"), in: newYork)
            == .skipped(shifted: local("2026-03-08T07:30:00Z")))
        #expect(WallClock.resolve(localSeconds: local("2026-11-01T01:30:00Z"), in: newYork)
            == .repeated(local("2026-11-01T05:30:00Z"), local("2026-11-01T06:30:00Z")))
        #expect(WallClock.resolve(localSeconds: local("2026-03-08T02:30:00Z"), in: zone("UTC"))
            == .unique(local("2026-03-08T02:30:00Z")))
    }
}
