import Foundation
import ZIPFoundation

/// One entry of a hand-built zip; every field can lie.
struct FixtureEntry {
    var name: [UInt8]
    var data: [UInt8] = []
    var deflate = false
    /// Full st_mode (e.g. 0o100755, 0o120777 for a symlink); nil makes a DOS-made entry.
    var unixMode: UInt32?
    var method: UInt16?
    var flags: UInt16 = 0
    var declaredSize: UInt32?
    var crc: UInt32?
    var payload: [UInt8]?
    var localName: [UInt8]?

    init(_ name: String, _ text: String = "", mode: UInt32? = nil, deflate: Bool = false) {
        self.name = Array(name.utf8)
        self.data = Array(text.utf8)
        self.unixMode = mode
        self.deflate = deflate
    }

    init(rawName: [UInt8], _ text: String = "") {
        self.name = rawName
        self.data = Array(text.utf8)
    }

    static func symlink(_ name: String, to target: String) -> FixtureEntry {
        FixtureEntry(name, target, mode: 0o120777)
    }

    static func directory(_ name: String) -> FixtureEntry {
        FixtureEntry(name, mode: 0o040755)
    }
}

/// Writes zips byte by byte, so tests can build exactly the hostile archive they need.
enum ZipFixture {
    static func make(_ entries: [FixtureEntry]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = UInt32(out.count)
            let payload = entry.payload ?? (entry.deflate ? deflate(entry.data) : entry.data)
            let crc = entry.crc ?? Data(entry.data).crc32(checksum: 0)
            let size = entry.declaredSize ?? UInt32(entry.data.count)
            let method = entry.method ?? (entry.deflate || entry.payload != nil ? 8 : 0)
            let localName = entry.localName ?? entry.name
            out.le32(0x0403_4B50)
            out.le16(20)
            out.le16(entry.flags)
            out.le16(method)
            out.le16(0)
            out.le16(0x21)
            out.le32(crc)
            out.le32(UInt32(payload.count))
            out.le32(size)
            out.le16(UInt16(localName.count))
            out.le16(0)
            out.append(contentsOf: localName)
            out.append(contentsOf: payload)

            central.le32(0x0201_4B50)
            central.le16(entry.unixMode == nil ? 20 : (3 << 8) | 20)
            central.le16(20)
            central.le16(entry.flags)
            central.le16(method)
            central.le16(0)
            central.le16(0x21)
            central.le32(crc)
            central.le32(UInt32(payload.count))
            central.le32(size)
            central.le16(UInt16(entry.name.count))
            central.le16(0)
            central.le16(0)
            central.le16(0)
            central.le16(0)
            central.le32((entry.unixMode ?? 0) << 16)
            central.le32(offset)
            central.append(contentsOf: entry.name)
        }
        let directoryOffset = UInt32(out.count)
        out.append(contentsOf: central)
        out.le32(0x0605_4B50)
        out.le16(0)
        out.le16(0)
        out.le16(UInt16(entries.count))
        out.le16(UInt16(entries.count))
        out.le32(UInt32(central.count))
        out.le32(directoryOffset)
        out.le16(0)
        return out
    }

    /// Raw deflate of `bytes`, via ZIPFoundation.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let data = Data(bytes)
        _ = try? Data.compress(
            size: Int64(data.count), bufferSize: 64 * 1024,
            provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) },
            consumer: { out.append(contentsOf: $0) })
        return out
    }

    /// 1 GiB of zeros, deflated to about 1 MiB: the classic zip bomb payload.
    static let gigabyteOfZerosDeflated: [UInt8] = {
        var out: [UInt8] = []
        let chunk = Data(count: 1 << 20)
        _ = try? Data.compress(
            size: Int64(1) << 30, bufferSize: 1 << 20,
            provider: { (_: Int64, size: Int) in size == chunk.count ? chunk : Data(count: size) },
            consumer: { out.append(contentsOf: $0) })
        return out
    }()
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func le32(_ value: UInt32) {
        le16(UInt16(value & 0xFFFF))
        le16(UInt16(value >> 16))
    }
}
