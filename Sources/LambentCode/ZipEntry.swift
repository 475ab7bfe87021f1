#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One central-directory record, with offsets already checked against the file.
struct ZipEntry: Sendable {
    enum Kind: Sendable, Equatable {
        case file, directory, symlink
    }

    /// Compression methods Lambent can read.
    enum Method: UInt16, Sendable {
        case stored = 0
        case deflated = 8
    }

    var path: EntryPath
    var kind: Kind
    var method: Method
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    /// Offset of the entry's data, past its local header.
    var dataOffset: UInt64
    /// Unix permission bits from the external attributes, when the zip was made on Unix.
    var unixMode: UInt32?

    /// Lambda keeps the executable bit (`bootstrap` needs it); everything else is 0644.
    var fileMode: mode_t {
        guard let unixMode, unixMode & 0o111 != 0 else { return 0o644 }
        return 0o755
    }
}
