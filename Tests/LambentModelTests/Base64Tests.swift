import LambentModel
import Testing

@Suite("Base64")
struct Base64Tests {
    @Test("encodes standard base64 with padding", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy"),
    ])
    func encode(_ text: String, _ expected: String) {
        #expect(Base64.encode(Array(text.utf8)) == expected)
    }

    @Test("round-trips every byte value")
    func roundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }

    @Test("decodes to nil when the text is not base64", arguments: ["%%%", "Zg=", "Zm9v!", "-_8="])
    func invalid(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
