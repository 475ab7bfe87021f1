import NIOCore
import Testing

@testable import LambentServer

@Suite struct EventStreamTests {
    @Test("CRC-32 of the standard check string")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test("a frame: lengths, prelude CRC, string headers, payload, message CRC")
    func frame() {
        let bytes = Array(EventStream.event(type: "PayloadChunk", contentType: "application/octet-stream",
                                            payload: ByteBuffer(string: "hi")).readableBytesView)
        func word(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        #expect(Int(word(0)) == bytes.count)
        #expect(word(8) == CRC32.checksum(bytes[0..<8]))
        #expect(word(bytes.count - 4) == CRC32.checksum(bytes.dropLast(4)))
        var found: [String: String] = [:]
        var at = 12
        while at < 12 + Int(word(4)) {
            let nameLength = Int(bytes[at])
            let name = String(decoding: bytes[(at + 1)..<(at + 1 + nameLength)], as: UTF8.self)
            at += 1 + nameLength
            #expect(bytes[at] == 7)
            let valueLength = Int(bytes[at + 1]) << 8 | Int(bytes[at + 2])
            found[name] = String(decoding: bytes[(at + 3)..<(at + 3 + valueLength)], as: UTF8.self)
            at += 3 + valueLength
        }
        #expect(found == [":event-type": "PayloadChunk", ":content-type": "application/octet-stream", ":message-type": "event"])
        #expect(String(decoding: bytes[at..<(bytes.count - 4)], as: UTF8.self) == "hi")
    }
}
