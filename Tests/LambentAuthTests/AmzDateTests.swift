import Foundation
import Testing

@testable import LambentAuth

@Suite("AmzDate")
struct AmzDateTests {
    @Test(arguments: [
        ("19700101T000000Z", Int64(0)),
        ("20150830T123600Z", Int64(1_440_938_160)),
        ("20240229T235959Z", Int64(1_709_251_199)),
        ("20260101T000000Z", Int64(1_767_225_600)),
        ("21000301T000000Z", Int64(4_107_542_400)),
    ])
    func parsesAndFormatsISOBasic(text: String, seconds: Int64) throws {
        let date = try #require(AmzDate(iso8601Basic: text))
        #expect(date.secondsSinceEpoch == seconds)
        #expect(date.iso8601Basic == text)
    }

    @Test(arguments: [
        "", "20150830T123600", "2015-08-30T12:36:00Z", "20150830t123600Z", "20150230T000000Z", "20150830T240000Z",
        "20150830T126000Z", "2015083OT123600Z", "20230229T000000Z",
    ])
    func rejectsMalformed(text: String) {
        #expect(AmzDate(iso8601Basic: text) == nil)
    }

    @Test func agreesWithFoundation() {
        for seconds in stride(from: Int64(0), to: 4_000_000_000, by: 7_777_777) {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(AmzDate(secondsSinceEpoch: seconds).iso8601Basic == expected)
        }
    }

    @Test func parsesHTTPDate() {
        #expect(AmzDate(httpDate: "Sun, 30 Aug 2015 12:36:00 GMT")?.iso8601Basic == "20150830T123600Z")
        #expect(AmzDate(httpDate: "Sun, 30 Aug 2015 12:36:00 UTC") == nil)
        #expect(AmzDate(httpDate: "Sun, 30 Foo 2015 12:36:00 GMT") == nil)
    }

    @Test func truncatesFractionalSeconds() {
        #expect(AmzDate(Date(timeIntervalSince1970: 1.999)).secondsSinceEpoch == 1)
    }
}
