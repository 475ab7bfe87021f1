import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Positional, bounds-checked reads from an open zip file.
///
/// Every read that would run past the end of the file is a `.notAZip` error, so the
/// parser above never trusts an offset it has not checked.
final class ZipFile {
    let descriptor: Int32
    /// File size in bytes.
    let size: UInt64

    init(url: URL) throws(CodeError) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .io("Could not open the uploaded zip at \(url.path)", errno: errno)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let number = errno
            close(descriptor)
            throw .io("Could not stat the uploaded zip at \(url.path)", errno: number)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw .notAZip(cause: CodeError.Reason(text: "not a regular file"))
        }
        self.descriptor = descriptor
        self.size = UInt64(status.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Reads exactly `count` bytes at `offset`.
    func read(at offset: UInt64, count: Int) throws(CodeError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .notAZip(cause: CodeError.Reason(text: "read past end of file"))
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                // SAFETY: `done < count == buffer.count`, so the pointer and length stay in bounds.
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io("Could not read the uploaded zip", errno: errno)
            }
            guard result > 0 else {
                throw .notAZip(cause: CodeError.Reason(text: "unexpected end of file"))
            }
            done += result
        }
        return bytes
    }
}

extension Array where Element == UInt8 {
    /// Little-endian UInt16 at `index`; callers check bounds first.
    func le16(_ index: Int) -> UInt16 {
        UInt16(self[index]) | UInt16(self[index + 1]) << 8
    }

    /// Little-endian UInt32 at `index`; callers check bounds first.
    func le32(_ index: Int) -> UInt32 {
        UInt32(le16(index)) | UInt32(le16(index + 2)) << 16
    }

    /// Little-endian UInt64 at `index`; callers check bounds first.
    func le64(_ index: Int) -> UInt64 {
        UInt64(le32(index)) | UInt64(le32(index + 4)) << 32
    }
}
