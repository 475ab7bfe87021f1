import Foundation
import ZIPFoundation

/// RFC 1952 gzip, for request bodies sent with `Content-Encoding: gzip` (botocore compresses
/// CloudWatch's PutMetricData over 10 KiB). The deflate data inside is ZIPFoundation's to inflate.
public enum Gzip {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The uncompressed bytes; fails on a malformed member, a checksum or length mismatch, or
    /// output beyond `limit` bytes (checked as it is produced, so a small bomb cannot grow large).
    public static func decompress(_ data: Data, limit: Int) throws(Failure) -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8 else {
            throw Failure(description: "not gzip data")
        }
        let flags = bytes[3]
        var start = 10
        if flags & 0x04 != 0 {
            guard start + 2 <= bytes.count else { throw Failure(description: "truncated gzip header") }
            start += 2 + (Int(bytes[start]) | Int(bytes[start + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {
            while start < bytes.count, bytes[start] != 0 { start += 1 }
            start += 1
        }
        if flags & 0x02 != 0 { start += 2 }
        let end = bytes.count - 8
        guard start < end else { throw Failure(description: "truncated gzip data") }
        var output = Data()
        let crc: UInt32
        do {
            crc = try Data.decompress(
                size: Int64(end - start), bufferSize: 64 * 1024, skipCRC32: false,
                provider: { position, size in
                    let from = start + Int(position)
                    guard from < end else { throw Failure(description: "truncated deflate data") }
                    return padded(Data(bytes[from..<min(end, from + size)]), to: size)
                },
                consumer: { chunk in
                    guard output.count + chunk.count <= limit else { throw Failure(description: "uncompressed body over \(limit) bytes") }
                    output.append(chunk)
                })
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "corrupt deflate data")
        }
        func word(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        guard word(end) == crc, word(end + 4) == UInt32(truncatingIfNeeded: output.count) else {
            throw Failure(description: "gzip checksum or length mismatch")
        }
        return output
    }

    /// A provider's chunk for ZIPFoundation's inflate, zero-filled to the size it asked for:
    /// it tells zlib the whole buffer is input, so a short last chunk of a truncated or
    /// corrupt stream would otherwise be read past its end. Inflating the zeros of a broken
    /// stream yields bytes the checksum then refuses.
    static func padded(_ chunk: Data, to size: Int) -> Data {
        guard chunk.count < size else { return chunk }
        var padded = chunk
        padded.append(Data(count: size - chunk.count))
        return padded
    }
}
