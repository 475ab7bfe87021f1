/// Random identifiers for the hot paths (request ids, message ids, receipt tokens).
///
/// Foundation's `UUID()` opens and reads `/dev/urandom` on every call on Linux; these come
/// from `SystemRandomNumberGenerator` (the `getrandom` system call) instead.
public enum RandomID {
    /// A random (version 4) UUID in lower case: `6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d`.
    public static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var high: UInt64 = generator.next()
        var low: UInt64 = generator.next()
        high = (high & ~0xF000) | 0x4000  // version 4 (bits 12–15 of the third group)
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // RFC 4122 variant
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { out.append(UInt8(ascii: "-")) }
            let word = nibble < 16 ? high : low
            out.append(hex[Int((word >> UInt64(60 - 4 * (nibble % 16))) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `count` random upper-case hex digits (S3's request ids).
    public static func hex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count)
        var word: UInt64 = 0
        for index in 0..<count {
            if index % 16 == 0 { word = generator.next() }
            out.append(digits[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
