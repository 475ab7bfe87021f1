import LambentExecution
import Testing

@Suite("DurationText")
struct DurationTextTests {
    @Test("parses the units people write", arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("10m", .seconds(600)),
        ("2h", .seconds(7200)), ("1h30m", .seconds(5400)), ("1m30s", .seconds(90)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test("refuses what is not a positive duration", arguments: ["", "10", "m", "5x", "-5s", "0s", "1.5h", "10 m"])
    func refuses(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
