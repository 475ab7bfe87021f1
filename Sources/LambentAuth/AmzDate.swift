import Foundation

/// A SigV4 timestamp: whole seconds since the Unix epoch, UTC.
///
/// Parsing and formatting are done by hand (no `DateFormatter`, no regex) because the
/// verifier runs on every request.
struct AmzDate: Sendable, Hashable, Comparable {
    /// Seconds since 1970-01-01T00:00:00Z.
    var secondsSinceEpoch: Int64

    init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// Truncates `date` to whole seconds.
    init(_ date: Date) {
        self.secondsSinceEpoch = Int64(date.timeIntervalSince1970.rounded(.down))
    }

    static func < (lhs: AmzDate, rhs: AmzDate) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    func adding(seconds: Int64) -> AmzDate {
        AmzDate(secondsSinceEpoch: secondsSinceEpoch + seconds)
    }

    // MARK: ISO-8601 basic: 20150830T123600Z

    /// Parses `YYYYMMDDTHHMMSSZ`; nil when the text is not exactly that shape or out of range.
    init?(iso8601Basic text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        guard let year = Self.digits(bytes, 0, 4), let month = Self.digits(bytes, 4, 2),
            let day = Self.digits(bytes, 6, 2), let hour = Self.digits(bytes, 9, 2),
            let minute = Self.digits(bytes, 11, 2), let second = Self.digits(bytes, 13, 2)
        else { return nil }
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    var iso8601Basic: String {
        let (year, month, day) = Self.civil(fromDays: secondsSinceEpoch.floorDivided(by: 86_400))
        let secondOfDay = secondsSinceEpoch.floorModulo(86_400)
        var out = [UInt8]()
        out.reserveCapacity(16)
        Self.append(year, width: 4, to: &out)
        Self.append(month, width: 2, to: &out)
        Self.append(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        Self.append(secondOfDay / 3600, width: 2, to: &out)
        Self.append(secondOfDay / 60 % 60, width: 2, to: &out)
        Self.append(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: HTTP date (RFC 9110 IMF-fixdate): Sun, 30 Aug 2015 12:36:00 GMT

    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses an IMF-fixdate `Date` header, the fallback SigV4 allows when `X-Amz-Date` is absent.
    init?(httpDate text: String) {
        let bytes = Array(text.utf8)
        // "Sun, 30 Aug 2015 12:36:00 GMT" is 29 bytes; the weekday is not checked.
        guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), bytes[4] == UInt8(ascii: " "),
            bytes[7] == UInt8(ascii: " "), bytes[11] == UInt8(ascii: " "), bytes[16] == UInt8(ascii: " "),
            bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"),
            String(decoding: bytes[25...], as: UTF8.self) == " GMT"
        else { return nil }
        let monthName = String(decoding: bytes[8..<11], as: UTF8.self)
        guard let monthIndex = Self.monthNames.firstIndex(of: monthName),
            let day = Self.digits(bytes, 5, 2), let year = Self.digits(bytes, 12, 4),
            let hour = Self.digits(bytes, 17, 2), let minute = Self.digits(bytes, 20, 2),
            let second = Self.digits(bytes, 23, 2)
        else { return nil }
        self.init(year: year, month: Int64(monthIndex + 1), day: day, hour: hour, minute: minute, second: second)
    }

    // MARK: Calendar arithmetic

    private init?(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Self.days(fromCivilYear: year, month: month, day: day)
        self.secondsSinceEpoch = days * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, exact).
    private static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func append(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var rest = value
        for index in stride(from: width - 1, through: 0, by: -1) {
            digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        out.append(contentsOf: digits)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        self - floorDivided(by: divisor) * divisor
    }
}
