import Foundation
import LambentModel
import Testing

@Suite("RandomID and JSONText")
struct RandomIDTests {
    @Test("UUIDs are version 4, RFC 4122 variant, lower-case, and distinct")
    func uuids() {
        let ids = (0..<1_000).map { _ in RandomID.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(50) {
            #expect(id.count == 36 && id == id.lowercased())
            #expect(UUID(uuidString: id) != nil)
            let characters = Array(id)
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
            #expect([8, 13, 18, 23].allSatisfy { characters[$0] == "-" })
        }
    }

    @Test("quoted strings decode back to the same text", arguments: [
        "", "plain", "quote \" and \\ backslash", "lines\nand\ttabs\r", "control \u{01}\u{1f}", "unicode é ✓ 😀", #"{"json": [1, "/"]}"#,
    ])
    func quoted(_ text: String) throws {
        let decoded = try JSONDecoder().decode(String.self, from: Data(JSONText.quoted(text).utf8))
        #expect(decoded == text)
    }

    @Test("quoting matches JSONEncoder without escaped slashes, every control character included")
    func matchesEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let text = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self) + "é✓😀/"
        #expect(JSONText.quoted(text) == String(decoding: try encoder.encode(text), as: UTF8.self))
    }
}
