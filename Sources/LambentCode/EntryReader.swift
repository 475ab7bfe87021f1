import Foundation
import ZIPFoundation

/// Streams an entry's uncompressed bytes from the zip, and checks them afterwards.
enum EntryReader {
    static let chunkSize = 64 * 1024

    /// Sends the entry's bytes to `consume` chunk by chunk and returns their CRC-32 and count.
    ///
    /// Nothing here trusts the declared uncompressed size: `consume` sees every byte the
    /// data actually produces and is where limits are enforced (by throwing).
    static func stream(
        _ entry: ZipEntry, from file: ZipFile, consume: (Data) throws(CodeError) -> Void
    ) throws(CodeError) -> (crc32: UInt32, count: UInt64) {
        var crc: CRC32 = 0
        var count: UInt64 = 0
        switch entry.method {
        case .stored:
            var position: UInt64 = 0
            while position < entry.compressedSize {
                let length = Int(min(UInt64(chunkSize), entry.compressedSize - position))
                let chunk = Data(try file.read(at: entry.dataOffset + position, count: length))
                try consume(chunk)
                crc = chunk.crc32(checksum: crc)
                count += UInt64(chunk.count)
                position += UInt64(length)
            }
        case .deflated:
            do {
                crc = try Data.decompress(
                    size: Int64(entry.compressedSize), bufferSize: chunkSize, skipCRC32: false,
                    provider: { position, size in
                        // An empty chunk would make ZIPFoundation's inflate loop spin forever.
                        guard UInt64(position) < entry.compressedSize else {
                            throw CodeError.notAZip(cause: CodeError.Reason(text: "deflate stream is truncated"))
                        }
                        let length = Int(min(UInt64(size), entry.compressedSize - UInt64(position)))
                        return Gzip.padded(Data(try file.read(at: entry.dataOffset + UInt64(position), count: length)), to: size)
                    },
                    consumer: { chunk in
                        try consume(chunk)
                        count += UInt64(chunk.count)
                    })
            } catch let error as CodeError {
                throw error
            } catch {
                throw .notAZip(cause: CodeError.Reason(text: "corrupt deflate data: \(error)"))
            }
        }
        return (crc, count)
    }

    /// Refuses data whose checksum or length differs from what the central directory says.
    static func check(_ entry: ZipEntry, crc32: UInt32, count: UInt64) throws(CodeError) {
        guard count == entry.uncompressedSize else {
            throw .notAZip(cause: CodeError.Reason(
                text: "\(entry.path) produced \(count) bytes but declares \(entry.uncompressedSize)"))
        }
        guard crc32 == entry.crc32 else {
            throw .notAZip(cause: CodeError.Reason(text: "\(entry.path) fails its CRC-32 check"))
        }
    }

    /// Reads and checks a symlink entry's target: relative, UTF-8, no NUL or backslash.
    /// Whether it stays inside the destination is `EntryTable`'s job.
    static func symlinkTarget(_ entry: ZipEntry, from file: ZipFile) throws(CodeError) -> String {
        let maxBytes = EntryPath.maxPathBytes
        guard entry.uncompressedSize <= UInt64(maxBytes), entry.compressedSize <= UInt64(2 * maxBytes) else {
            throw .unsafePath("symlink \(entry.path) has an over-long target")
        }
        var bytes: [UInt8] = []
        let (crc, count) = try stream(entry, from: file) { (chunk: Data) throws(CodeError) in
            guard bytes.count + chunk.count <= maxBytes else {
                throw .unsafePath("symlink \(entry.path) has an over-long target")
            }
            bytes.append(contentsOf: chunk)
        }
        try check(entry, crc32: crc, count: count)
        guard !bytes.isEmpty, !bytes.contains(0), !bytes.contains(UInt8(ascii: "\\")),
              bytes.first != UInt8(ascii: "/"), let target = String(validating: bytes, as: UTF8.self) else {
            throw .unsafePath("symlink \(entry.path) has an unsafe target")
        }
        for component in target.split(separator: "/") where component.utf8.count > EntryPath.maxComponentBytes {
            throw .unsafePath("symlink \(entry.path) has an over-long target component")
        }
        return target
    }
}
