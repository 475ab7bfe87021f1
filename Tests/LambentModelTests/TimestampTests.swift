import Foundation
import LambentModel
import Testing

@Suite("LambdaTimestamp")
struct TimestampTests {
    /// 2026-11-23T10:00:00Z.
    static let reference: TimeInterval = 1_795_428_000

    // Offsets sit half a millisecond inside the expected millisecond, clear of floating-point error.
    @Test("formats as yyyy-MM-ddTHH:mm:ss.SSS+0000", arguments: [
        (reference, "2026-11-23T10:00:00.000+0000"),
        (reference + 0.1235, "2026-11-23T10:00:00.123+0000"),
        (reference + 0.0075, "2026-11-23T10:00:00.007+0000"),
        (reference + 59.0505, "2026-11-23T10:00:59.050+0000"),
        (reference - 36_000 - 0.0005, "2026-11-22T23:59:59.999+0000"),
        (0, "1970-01-01T00:00:00.000+0000"),
        (951_782_400, "2000-02-29T00:00:00.000+0000"),
    ])
    func format(_ seconds: TimeInterval, _ expected: String) {
        #expect(LambdaTimestamp.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("truncates to milliseconds instead of rounding up")
    func truncates() {
        #expect(LambdaTimestamp.format(Date(timeIntervalSince1970: Self.reference + 0.9996)) == "2026-11-23T10:00:00.999+0000")
    }

    @Test("always has the same length")
    func fixedWidth() {
        let text = LambdaTimestamp.format(Date())
        #expect(text.count == "2026-11-23T10:00:00.000+0000".count)
        #expect(text.hasSuffix("+0000"))
    }

    @Test("Function URL times (microseconds, Z) and request times (API Gateway's form)")
    func otherFormats() {
        #expect(LambdaTimestamp.iso8601(Date(timeIntervalSince1970: Self.reference + 0.1234565)) == "2026-11-23T10:00:00.123456Z")
        #expect(LambdaTimestamp.requestTime(Date(timeIntervalSince1970: 1_583_348_638.39)) == "04/Mar/2020:19:03:58 +0000")
    }
}
