import Foundation
import Testing

@testable import LambentServer

/// Hex literals marked "cbor2" were produced by Python's cbor2 6.3.0, the rest are from RFC 8949 Appendix A
/// or written by hand; every encoding asserted here also decodes in cbor2 to the value named beside it.
@Suite struct CBORTests {
    @Test func nestedStructureRoundTripsAndMatchesCanonicalCBOR2() throws {
        let value: [String: Any] = [
            "FunctionName": "fn", "Timeout": 3, "Tags": ["team": "x"],
            "Layers": ["a", 1, -2, true, NSNull(), Data([0, 1]), 4_294_967_296] as [Any],
        ]
        // cbor2.dumps(value, canonical=True)
        let canonical = "a46454616773a1647465616d6178664c61796572738761610121f5f64200011b0000000100000000"
            + "6754696d656f7574036c46756e6374696f6e4e616d6562666e"
        #expect(CBOR.encode(value) == hex(canonical))
        #expect(try same(CBOR.decode(CBOR.encode(value)), value))

        let withFloats: [String: Any] = ["a": [1.5, -0.25, "é", [:] as [String: Any], [] as [Any]] as [Any], "b": false]
        #expect(try same(CBOR.decode(CBOR.encode(withFloats)), withFloats))
    }

    @Test func decodesCanonicalCBOR2WithHalfFloats() throws {
        // cbor2.dumps({"FunctionName": "fn", "Timeout": 3, "Tags": {"team": "x"},
        //              "Layers": ["a", 1, -2, 1.5, True, None, b"\x00\x01"]}, canonical=True)
        let bytes = hex("a46454616773a1647465616d6178664c61796572738761610121f93e00f5f64200016754696d656f7574036c46756e6374696f6e4e616d6562666e")
        let expected: [String: Any] = [
            "FunctionName": "fn", "Timeout": 3, "Tags": ["team": "x"],
            "Layers": ["a", 1, -2, 1.5, true, NSNull(), Data([0, 1])] as [Any],
        ]
        #expect(try same(CBOR.decode(bytes), expected))
    }

    @Test(arguments: [
        (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
        (65536, "1a00010000"), (4_294_967_295, "1affffffff"), (4_294_967_296, "1b0000000100000000"),
        (Int.max, "1b7fffffffffffffff"), (-1, "20"), (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
        (Int.min, "3b7fffffffffffffff"),
    ])
    func integerBoundaries(_ value: Int, _ encoded: String) throws {
        #expect(CBOR.encode(value) == hex(encoded))
        #expect(try CBOR.decode(hex(encoded)) as? Int == value)
    }

    @Test func fixedWidthIntegersUseTheSmallestHead() {
        #expect(CBOR.encode(Int64.min) == hex("3b7fffffffffffffff"))
        #expect(CBOR.encode(UInt64.max) == hex("1bffffffffffffffff"))
        #expect(CBOR.encode(UInt8(200)) == hex("18c8"))
        #expect(CBOR.encode(Int8(-128)) == hex("387f"))
        #expect(CBOR.encode(UInt32(70_000)) == hex("1a00011170"))
        #expect(CBOR.encode(Int16(-1000)) == hex("3903e7"))
    }

    @Test(arguments: [
        ("f93c00", 1.0), ("f97c00", .infinity), ("f9fc00", -.infinity), ("f90001", 0x1p-24), ("f90400", 0x1p-14),
        ("f97bff", 65504.0), ("f93555", 0.333251953125), ("f9c000", -2.0), ("f90000", 0.0),
    ])
    func halfFloats(_ encoded: String, _ value: Double) throws {
        #expect(try CBOR.decode(hex(encoded)) as? Double == value)
    }

    @Test func halfFloatSignedZeroAndNaN() throws {
        let negativeZero = try #require(CBOR.decode(hex("f98000")) as? Double)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(try #require(CBOR.decode(hex("f97e00")) as? Double).isNaN)
    }

    @Test(arguments: [("fa47c35000", 100_000.0), ("fa3fc00000", 1.5), ("fa7f7fffff", Double(Float.greatestFiniteMagnitude))])
    func float32(_ encoded: String, _ value: Double) throws {
        #expect(try CBOR.decode(hex(encoded)) as? Double == value)
    }

    @Test func floatsEncodeAsFloat64() throws {
        #expect(CBOR.encode(1.5) == hex("fb3ff8000000000000"))
        #expect(CBOR.encode(Float(1.5)) == hex("fb3ff8000000000000"))
        #expect(CBOR.encode(-4.1) == hex("fbc010666666666666"))
        #expect(try CBOR.decode(hex("fbc010666666666666")) as? Double == -4.1)
    }

    @Test func scalarsAndBytes() throws {
        #expect(CBOR.encode(true) == [0xf5])
        #expect(CBOR.encode(false) == [0xf4])
        #expect(CBOR.encode(NSNull()) == [0xf6])
        #expect(CBOR.encode(Optional<Int>.none as Any) == [0xf6])
        #expect(CBOR.encode("IETF") == hex("6449455446"))
        #expect(CBOR.encode(Data([1, 2, 3, 4])) == hex("4401020304"))
        #expect(CBOR.encode([UInt8]([1, 2, 3, 4])) == hex("4401020304"))
        #expect(CBOR.encode([] as [Any]) == [0x80])
        #expect(try CBOR.decode([0xf5]) as? Bool == true)
        #expect(try CBOR.decode([0xf4]) as? Bool == false)
        #expect(try CBOR.decode([0xf6]) is NSNull)
        #expect(try CBOR.decode([0xf7]) is NSNull)
        #expect(try CBOR.decode(hex("4401020304")) as? Data == Data([1, 2, 3, 4]))
        #expect(try CBOR.decode(hex("62c3bc")) as? String == "ü")
    }

    @Test func jsonSerializationValuesKeepTheirKinds() throws {
        let json = #"{"t": true, "f": false, "i": 1, "n": -5, "d": 1.5, "a": []}"#
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let decoded = try #require(CBOR.decode(CBOR.encode(value)) as? [String: Any])
        #expect(decoded["t"] as? Bool == true)
        #expect(decoded["f"] as? Bool == false)
        #expect(decoded["i"] as? Int == 1)
        #expect(decoded["n"] as? Int == -5)
        #expect(decoded["d"] as? Double == 1.5)
        #expect((decoded["a"] as? [Any])?.isEmpty == true)
        #expect(CBOR.encode(try JSONSerialization.jsonObject(with: Data("[true, 7, 2.5]".utf8)))
            == hex("83f507fb4004000000000000"))
        #expect(CBOR.encode(try JSONSerialization.jsonObject(with: Data("[18446744073709551615]".utf8)))
            == hex("811bffffffffffffffff"))
    }

    @Test func indefiniteLengths() throws {
        #expect(try CBOR.decode(hex("5f42010243030405ff")) as? Data == Data([1, 2, 3, 4, 5]))
        #expect(try CBOR.decode(hex("7f657374726561646d696e67ff")) as? String == "streaming")
        #expect(try CBOR.decode(hex("7f60ff")) as? String == "")
        #expect(try CBOR.decode(hex("5fff")) as? Data == Data())
        #expect(try same(CBOR.decode(hex("9f018202039f0405ffff")), [1, [2, 3], [4, 5]]))
        #expect(try same(CBOR.decode(hex("9fff")), [] as [Any]))
        #expect(try same(CBOR.decode(hex("bf61610161629f0203ffff")), ["a": 1, "b": [2, 3]]))
        #expect(try same(CBOR.decode(hex("bf6346756ef563416d7421ff")), ["Fun": true, "Amt": -2]))
        // cbor2.dumps({"a": [1, {"b": "c"}]}, indefinite_containers=True)
        #expect(try same(CBOR.decode(hex("bf61619f01bf61626163ffffff")), ["a": [1, ["b": "c"]]]))
    }

    @Test func tagOneIsEpochSeconds() throws {
        #expect(try CBOR.decode(hex("c11a514b67b0")) as? Double == 1_363_896_240)
        #expect(try CBOR.decode(hex("c1fb41d452d9ec200000")) as? Double == 1_363_896_240.5)
        // cbor2.dumps(datetime(2024, 1, 2, 3, 4, 5[, 500000], tzinfo=timezone.utc), datetime_as_timestamp=True)
        #expect(try CBOR.decode(hex("c11a65937d25")) as? Double == 1_704_164_645)
        #expect(try CBOR.decode(hex("c1fb41d964df49600000")) as? Double == 1_704_164_645.5)
        #expect(CBOR.encode(CBOR.Timestamp(seconds: 1_704_164_645.5)) == hex("c1fb41d964df49600000"))
        #expect(CBOR.encode(Date(timeIntervalSince1970: 1_363_896_240.5)) == hex("c1fb41d452d9ec200000"))
    }

    @Test func otherTagsGiveTheirContent() throws {
        #expect(try CBOR.decode(hex("d82076687474703a2f2f7777772e6578616d706c652e636f6d")) as? String == "http://www.example.com")
        #expect(try CBOR.decode(hex("c249010000000000000000")) as? Data == Data([1, 0, 0, 0, 0, 0, 0, 0, 0]))
    }

    @Test func nestingUpToTheLimit() throws {
        let deepest = [UInt8](repeating: 0x81, count: CBOR.maximumDepth) + [0x00]
        #expect(throws: Never.self) { try CBOR.decode(deepest) }
    }

    @Test(arguments: [
        ("", "empty input"),
        ("19 01", "truncated argument"),
        ("63 61 62", "truncated text"),
        ("83 01 02", "truncated array"),
        ("a2 61 61 01", "truncated map"),
        ("9f 01 02", "indefinite array without break"),
        ("00 00", "trailing byte"),
        ("a1 61 61 01 ff", "break after a definite map"),
        ("a1 01 02", "integer map key"),
        ("a1 41 61 02", "byte-string map key"),
        ("bf 01 02 ff", "integer key in indefinite map"),
        ("a2 61 61 01 61 61 02", "repeated map key"),
        ("62 c3 28", "invalid UTF-8"),
        ("7f 61 c3 61 bc ff", "UTF-8 sequence split across chunks"),
        ("5b 00 00 01 00 00 00 00 00 00", "byte string of 2^40 on 10 bytes"),
        ("9b 00 00 01 00 00 00 00 00 00", "array of 2^40 on 10 bytes"),
        ("bb 00 00 01 00 00 00 00 00 00", "map of 2^40 on 10 bytes"),
        ("1b 80 00 00 00 00 00 00 00", "unsigned past Int64.max"),
        ("3b 80 00 00 00 00 00 00 00", "negative past Int64.min"),
        ("5f 61 61 ff", "text chunk in a byte string"),
        ("5f 5f ff ff", "indefinite chunk in a byte string"),
        ("ff", "lone break"),
        ("1c", "reserved additional information"),
        ("1f", "indefinite integer"),
        ("df 00", "indefinite tag"),
        ("f0", "unassigned simple value"),
        ("f8 20", "one-byte simple value"),
        ("c1 61 61", "tag 1 over text"),
        (String(repeating: "81", count: 100) + "00", "arrays nested 100 deep"),
        (String(repeating: "81", count: CBOR.maximumDepth + 1) + "00", "arrays nested one past the limit"),
        (String(repeating: "a1 61 61", count: 100) + "00", "maps nested 100 deep"),
        (String(repeating: "c6", count: 100) + "00", "tags nested 100 deep"),
    ])
    func rejects(_ encoded: String, _ reason: String) {
        #expect(throws: CBOR.DecodingError.self, "\(reason)") { try CBOR.decode(hex(encoded)) }
    }

    @Test func errorsSayWhatWentWrong() {
        #expect(throws: CBOR.DecodingError(message: "CBOR input ends early")) { try CBOR.decode([]) }
        #expect(throws: CBOR.DecodingError(message: "2 trailing bytes after the CBOR item")) { try CBOR.decode([0, 0, 0]) }
        #expect(throws: CBOR.DecodingError(message: "CBOR map key is not a text string")) { try CBOR.decode(hex("a10102")) }
    }
}

private func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Deep equality over the shapes `CBOR.decode` returns.
private func same(_ lhs: Any, _ rhs: Any) -> Bool {
    switch (lhs, rhs) {
    case let (l as Bool, r as Bool): l == r
    case let (l as Int, r as Int): l == r
    case let (l as Double, r as Double): l == r
    case let (l as String, r as String): l == r
    case let (l as Data, r as Data): l == r
    case (is NSNull, is NSNull): true
    case let (l as [String: Any], r as [String: Any]):
        l.count == r.count && l.allSatisfy { key, value in r[key].map { same(value, $0) } ?? false }
    case let (l as [Any], r as [Any]): l.count == r.count && zip(l, r).allSatisfy(same)
    default: false
    }
}
