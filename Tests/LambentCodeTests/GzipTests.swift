import Foundation
import LambentCode
import Testing

/// Members made by Python's `gzip` and `zlib` modules (with `mtime=0`, so they are reproducible),
/// never by the code under test.
private enum GzipFixture {
    static let text = Data("Lambent decompresses gzip bodies.\n".utf8)

    /// `gzip.compress(text, mtime=0)`: no optional header fields.
    static let plain: [UInt8] = [
        0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xF3, 0x49, 0xCC, 0x4D, 0x4A, 0xCD,
        0x2B, 0x51, 0x48, 0x49, 0x4D, 0xCE, 0xCF, 0x2D, 0x28, 0x4A, 0x2D, 0x2E, 0x4E, 0x2D, 0x56, 0x48,
        0xAF, 0xCA, 0x2C, 0x50, 0x48, 0xCA, 0x4F, 0xC9, 0x4C, 0x2D, 0xD6, 0xE3, 0x02, 0x00, 0x10, 0x0A,
        0x85, 0x66, 0x22, 0x00, 0x00, 0x00,
    ]

    /// `gzip.GzipFile(filename='x.txt', mtime=0)` holding "named member\n": FNAME set, "x.txt" in the header.
    static let named: [UInt8] = [
        0x1F, 0x8B, 0x08, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0xFF, 0x78, 0x2E, 0x74, 0x78, 0x74, 0x00,
        0xCB, 0x4B, 0xCC, 0x4D, 0x4D, 0x51, 0xC8, 0x4D, 0xCD, 0x4D, 0x4A, 0x2D, 0xE2, 0x02, 0x00, 0xE7,
        0xD2, 0xF4, 0xED, 0x0D, 0x00, 0x00, 0x00,
    ]

    /// "every optional header field\n" behind a header with FEXTRA (4 bytes), FNAME ("x.txt"),
    /// FCOMMENT ("a comment") and FHCRC (a valid header CRC16), built with `zlib` by hand.
    static let allFlags: [UInt8] = [
        0x1F, 0x8B, 0x08, 0x1E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0x00, 0x4C, 0x42, 0x00, 0x00,
        0x78, 0x2E, 0x74, 0x78, 0x74, 0x00, 0x61, 0x20, 0x63, 0x6F, 0x6D, 0x6D, 0x65, 0x6E, 0x74, 0x00,
        0x75, 0xEF, 0x4B, 0x2D, 0x4B, 0x2D, 0xAA, 0x54, 0xC8, 0x2F, 0x28, 0xC9, 0xCC, 0xCF, 0x4B, 0xCC,
        0x51, 0xC8, 0x48, 0x4D, 0x4C, 0x49, 0x2D, 0x52, 0x48, 0xCB, 0x4C, 0xCD, 0x49, 0xE1, 0x02, 0x00,
        0xEB, 0xBC, 0xED, 0x13, 0x1C, 0x00, 0x00, 0x00,
    ]

    /// `gzip.compress(b'', mtime=0)`: an empty deflate stream, CRC 0, length 0.
    static let empty: [UInt8] = [
        0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ]

    /// `gzip.compress(bytes(100 * 1024), compresslevel=9, mtime=0)`: 133 bytes that inflate to 100 KiB of zeros.
    static let zeros = Data(base64Encoded: """
        H4sIAAAAAAACA+3BAQEAAACCIP+vbkhAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAfBhhhfhKAJABAA==
        """, options: .ignoreUnknownCharacters)!

    /// `gzip.compress(bytes(i % 251 for i in range(200000)), compresslevel=9, mtime=0)`: more than
    /// three of the decoder's 64 KiB output chunks.
    static let pattern = Data(base64Encoded: """
        H4sIAAAAAAACA+3PQ4IQAAAAwM22udm2bdu2bddm27Zt27ZtW6f+0HnmBxMQLHiIkKFChwkbLnyEiJEiR4kaLXqMmLFix4kbL36C
        hIkSByZJmix5ipSpUqdJmy59hoyZMmfJmi17jpy5cufJmy9/gYKFChcpWqx4iZKlSpcpW658hYqVKlepWq16jZq1atepW69+g4aN
        Gjdp2qx5i5atWrdp2659h46dOnfp2q17j569evfp26//gIGDBg8ZOixo+IiRo0aPGTtu/ISJkyZPmTpt+oyZs2bPmTtv/oKFixYv
        Wbps+YqVq1avWbtu/YaNmzZv2bpt+46du3bv2btv/4GDhw4fOXrs+ImTp06fOXvu/IWLly5fuXrt+o2bt27fuXvv/oOHjx4/efrs
        +YuXr16/efvu/YePnz5/+frt+4+fv37/+Rugrq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u
        rq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq7+v/V/RcFFp0ANAwA=
        """, options: .ignoreUnknownCharacters)!
}

@Suite struct GzipTests {
    @Test func plainMemberRoundTrips() throws {
        #expect(try Gzip.decompress(Data(GzipFixture.plain), limit: 1024) == GzipFixture.text)
    }

    @Test("an extra field whose length needs both bytes (510) is skipped whole")
    func longExtraField() throws {
        // Header with FEXTRA of 510 zero bytes, then raw deflate of the text, CRC and length (Python's zlib).
        let member = Data(base64Encoded: "H4sIBAAAAAAA//4BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAS60oKUpUSMtMzUlRyE9TMDU0UEiqLEktBgCrdRJDGAAAAA==")!
        #expect(try Gzip.decompress(member, limit: 1024) == Data("extra field of 510 bytes".utf8))
    }

    @Test("a file name in the header (FNAME) is skipped")
    func namedMember() throws {
        #expect(try Gzip.decompress(Data(GzipFixture.named), limit: 1024) == Data("named member\n".utf8))
    }

    @Test("FEXTRA, FNAME, FCOMMENT and FHCRC together are skipped")
    func everyOptionalField() throws {
        #expect(try Gzip.decompress(Data(GzipFixture.allFlags), limit: 1024) == Data("every optional header field\n".utf8))
    }

    @Test func emptyPayload() throws {
        #expect(try Gzip.decompress(Data(GzipFixture.empty), limit: 1024) == Data())
        #expect(try Gzip.decompress(Data(GzipFixture.empty), limit: 0) == Data())
    }

    @Test("output over several 64 KiB chunks, checksummed across them")
    func multiChunkOutput() throws {
        let expected = Data((0..<200_000).map { UInt8($0 % 251) })
        #expect(try Gzip.decompress(GzipFixture.pattern, limit: 1 << 20) == expected)
    }

    @Test("data without the gzip magic or deflate method is refused")
    func notGzip() {
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data("this is plainly not gzip data".utf8), limit: 1024) }
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(), limit: 1024) }
        var wrongMagic = GzipFixture.plain
        wrongMagic[1] = 0x8C
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(wrongMagic), limit: 1024) }
        var wrongMethod = GzipFixture.plain
        wrongMethod[2] = 7
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(wrongMethod), limit: 1024) }
    }

    @Test func truncatedMemberIsRefused() {
        let plain = GzipFixture.plain
        // Cut inside the deflate data: the stream ends early and the "trailer" is deflate bytes.
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(plain.dropLast(12)), limit: 1024) }
        // Only the trailer lost: the deflate data now ends 8 bytes short.
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(plain.dropLast(8)), limit: 1024) }
        // A header and a trailer with nothing between.
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(plain.prefix(18)), limit: 1024) }
        // Shorter than any member can be.
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(plain.prefix(10)), limit: 1024) }
        // A file name that runs to the end of the data.
        let endlessName = Array(GzipFixture.named.prefix(10)) + [UInt8](repeating: UInt8(ascii: "a"), count: 30)
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(endlessName), limit: 1024) }
    }

    @Test("a wrong CRC-32 or length in the trailer is refused")
    func corruptTrailer() {
        var crc = GzipFixture.plain
        crc[crc.count - 8] ^= 0x01
        let error = #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(crc), limit: 1024) }
        #expect(error?.description.contains("checksum") == true)
        var length = GzipFixture.plain
        length[length.count - 4] ^= 0x01
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(length), limit: 1024) }
    }

    @Test("output beyond the limit is refused; output exactly at it is not")
    func limit() throws {
        let error = #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(GzipFixture.zeros, limit: 10 * 1024) }
        #expect(error?.description.contains("\(10 * 1024)") == true)
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(GzipFixture.zeros, limit: 100 * 1024 - 1) }
        #expect(try Gzip.decompress(GzipFixture.zeros, limit: 100 * 1024) == Data(count: 100 * 1024))
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.decompress(Data(GzipFixture.plain), limit: GzipFixture.text.count - 1) }
    }
}
