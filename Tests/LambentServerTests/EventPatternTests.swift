import Testing

@testable import LambentServer

/// Lambda's event-filtering pattern language, as the SQS pollers apply it.
@Suite struct EventPatternTests {
    static func matches(_ pattern: String, _ event: String) -> Bool {
        EventPattern(pattern)!.matches(JSONValue.parse(event))
    }

    @Test("exact values, nested fields, arrays and or")
    func exact() {
        #expect(Self.matches(#"{"body": {"testItem": ["test24"]}}"#, #"{"body": {"testItem": "test24"}}"#))
        #expect(!Self.matches(#"{"body": {"testItem": ["test24"]}}"#, #"{"body": {"testItem": "test23"}}"#))
        #expect(Self.matches(#"{"body": {"n": [1, 2]}}"#, #"{"body": {"n": 2.0}}"#))
        #expect(Self.matches(#"{"body": {"tags": ["a"]}}"#, #"{"body": {"tags": ["b", "a"]}}"#), "any element of an array field")
        #expect(Self.matches(#"{"body": {"ok": [true]}}"#, #"{"body": {"ok": true}}"#))
        #expect(!Self.matches(#"{"body": {"ok": [true]}}"#, #"{"body": {"ok": 1}}"#), "booleans are not numbers")
        #expect(Self.matches(#"{"body": {"v": [null]}}"#, #"{"body": {"v": null}}"#))
        #expect(!Self.matches(#"{"body": {"v": [null]}}"#, #"{"body": {}}"#))
        #expect(Self.matches(#"{"$or": [{"body": {"a": [1]}}, {"body": {"b": [2]}}]}"#, #"{"body": {"b": 2}}"#))
        #expect(!Self.matches(#"{"$or": [{"body": {"a": [1]}}, {"body": {"b": [2]}}]}"#, #"{"body": {"b": 3}}"#))
        #expect(Self.matches(#"{"body": ["plain text"]}"#, #"{"body": "plain text"}"#))
    }

    @Test("matchers: prefix, suffix, equals-ignore-case, exists, anything-but, numeric")
    func matchers() {
        #expect(Self.matches(#"{"body": {"s": [{"prefix": "ab"}]}}"#, #"{"body": {"s": "abc"}}"#))
        #expect(Self.matches(#"{"body": {"s": [{"prefix": {"equals-ignore-case": "AB"}}]}}"#, #"{"body": {"s": "abc"}}"#))
        #expect(Self.matches(#"{"body": {"s": [{"suffix": "bc"}]}}"#, #"{"body": {"s": "abc"}}"#))
        #expect(Self.matches(#"{"body": {"s": [{"equals-ignore-case": "ABC"}]}}"#, #"{"body": {"s": "abc"}}"#))
        #expect(Self.matches(#"{"body": {"s": [{"exists": true}]}}"#, #"{"body": {"s": 0}}"#))
        #expect(Self.matches(#"{"body": {"t": [{"exists": false}]}}"#, #"{"body": {"s": 0}}"#))
        #expect(!Self.matches(#"{"body": {"s": [{"exists": false}]}}"#, #"{"body": {"s": 0}}"#))
        #expect(Self.matches(#"{"body": {"s": [{"anything-but": ["x", "y"]}]}}"#, #"{"body": {"s": "z"}}"#))
        #expect(!Self.matches(#"{"body": {"s": [{"anything-but": "x"}]}}"#, #"{"body": {"s": "x"}}"#))
        #expect(!Self.matches(#"{"body": {"s": [{"anything-but": {"prefix": "x"}}]}}"#, #"{"body": {"s": "xy"}}"#))
        #expect(Self.matches(#"{"body": {"n": [{"numeric": [">", 0, "<=", 5]}]}}"#, #"{"body": {"n": 5}}"#))
        #expect(!Self.matches(#"{"body": {"n": [{"numeric": [">", 0, "<=", 5]}]}}"#, #"{"body": {"n": 0}}"#))
        #expect(!Self.matches(#"{"body": {"n": [{"numeric": [">", 0]}]}}"#, #"{"body": {"n": "7"}}"#))
    }

    @Test("invalid patterns are refused", arguments: ["", "simple string", "[]", "{}", #"{"body": "x"}"#, #"{"body": []}"#,
                                                       #"{"body": [{"unknown": 1}]}"#, #"{"body": [[1]]}"#])
    func invalid(pattern: String) {
        #expect(EventPattern(pattern) == nil)
    }

    @Test("batchItemFailures: named ids fail; empty answers fail nothing; malformed ones fail the batch")
    func batchItemFailures() {
        let ids: Set<String> = ["a", "b"]
        #expect(SQSPollers.batchItemFailures(#"{"batchItemFailures": [{"itemIdentifier": "a"}]}"#, ids: ids) == ["a"])
        #expect(SQSPollers.batchItemFailures("", ids: ids) == [])
        #expect(SQSPollers.batchItemFailures("null", ids: ids) == [])
        #expect(SQSPollers.batchItemFailures("{}", ids: ids) == [])
        #expect(SQSPollers.batchItemFailures(#"{"batchItemFailures": []}"#, ids: ids) == [])
        #expect(SQSPollers.batchItemFailures(#"{"batchItemFailures": [{"itemIdentifier": "zz"}]}"#, ids: ids) == nil)
        #expect(SQSPollers.batchItemFailures(#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#, ids: ids) == nil)
        #expect(SQSPollers.batchItemFailures(#"{"batchItemFailures": "x"}"#, ids: ids) == nil)
        #expect(SQSPollers.batchItemFailures("not json", ids: ids) == nil)
    }
}
