import Testing

@testable import LambentServer

@Suite("CloudWatch Logs filter patterns")
struct FilterPatternTests {
    static let json = #"{"level":"ERROR","latency":250,"ok":false,"user":{"id":7,"tags":["a","b"]},"gone":null}"#

    @Test("terms, quoted phrases, ? alternatives and - exclusions", arguments: [
        ("", "anything", true),
        ("ERROR", "x ERROR y", true),
        ("ERROR", "error", false),
        ("ERROR timeout", "ERROR: timeout", true),
        ("ERROR timeout", "ERROR only", false),
        ("\"bad input\"", "request failed: bad input", true),
        ("\"bad input\"", "bad, input", false),
        ("?WARN ?ERROR", "WARN x", true),
        ("?WARN ?ERROR", "INFO x", false),
        ("ERROR -health", "ERROR healthcheck", false),
        ("ERROR -health", "ERROR db", true),
        ("aab", "aaab", true),
        ("café", "un café noir", true),
        ("ab", "a", false),
        ("end", "the end", true),
    ])
    func terms(pattern: String, message: String, expected: Bool) throws {
        #expect(try FilterPattern(pattern).matches(message) == expected)
    }

    @Test("JSON patterns", arguments: [
        (#"{ $.level = "ERROR" }"#, true),
        (#"{ $.level = "ERR*" }"#, true),
        (#"{ $.level != "ERROR" }"#, false),
        (#"{ $.latency > 100 }"#, true),
        (#"{ $.latency <= 100 }"#, false),
        (#"{ $.latency = 250 && $.level = "ERROR" }"#, true),
        (#"{ $.latency < 10 || ($.user.id = 7 && $.user.tags[1] = "b") }"#, true),
        (#"{ $.ok = false }"#, true),
        (#"{ $.ok = true }"#, false),
        (#"{ $.gone IS NULL }"#, true),
        (#"{ $.missing NOT EXISTS }"#, true),
        (#"{ $.level NOT EXISTS }"#, false),
        (#"{ $.missing = "x" }"#, false),
    ])
    func jsonPatterns(pattern: String, expected: Bool) throws {
        #expect(try FilterPattern(pattern).matches(Self.json) == expected)
    }

    @Test("a JSON pattern never matches text that is not a JSON object")
    func notJSON() throws {
        #expect(try !FilterPattern(#"{ $.level = "ERROR" }"#).matches("ERROR level"))
        #expect(try !FilterPattern(#"{ $.level = "ERROR" }"#).matches("[1,2]"))
    }

    @Test("malformed patterns are refused", arguments: [
        #"{ $.level = "#, #"{ level = "x" }"#, #"{ $.a > "x" }"#, #"{ $.a = 1 && }"#, #"{ ($.a = 1 }"#, "\"unterminated",
        "[ip, user]", "{ $.a = 1",
    ])
    func malformed(pattern: String) {
        #expect(throws: FilterPattern.Invalid.self) { try FilterPattern(pattern) }
    }
}
