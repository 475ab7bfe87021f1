import Crypto
import Foundation
import LambentAuth
import NIOCore

/// A browser-based upload's file while its form is read: in memory up to `memoryLimit`, then
/// in a file of its own under the spool directory. The store, like S3, wants a PUT's length
/// before its body, and a form says the file's length only where the file ends; so a large
/// file is written to disk as it arrives and sent on from there, and memory stays bounded
/// whatever its size (up to S3's 5 GiB). A file that grows past what the form's policy allows
/// is only counted from then on (its length goes into the policy's error), so a form cannot
/// fill the disk beyond its policy. Nor can uploads together fill it: the spool stops short of
/// the disk's last `reserve` bytes (the database and the object store live on it too) and the
/// upload is answered 503 `ServiceUnavailable`, which clients retry later. The spool file is
/// removed with `remove()`.
final class S3PostedFile {
    /// Files up to this size stay in memory.
    static let memoryLimit = 8 * 1024 * 1024
    /// How much is spooled between two looks at the disk's free space.
    static let spaceCheckInterval: Int64 = 64 << 20
    private var spooledSinceCheck: Int64 = 0
    private let spoolDirectory: URL
    private let keptAtMost: Int64
    private var memory = ByteBuffer()
    private var spool: (descriptor: Int32, path: String)?
    private(set) var size: Int64 = 0
    /// Whether the file outgrew `keptAtMost` and its bytes were dropped.
    private(set) var dropped = false

    /// The free and the total bytes of the disk holding a path (`statvfs`; tests pass their own).
    typealias DiskSpace = (String) -> (free: Int64, size: Int64)?
    private let diskSpace: DiskSpace

    /// - Parameter keptAtMost: the length past which the file's bytes are dropped (the
    ///   policy's `content-length-range` maximum).
    init(spoolDirectory: URL, keptAtMost: Int64 = S3Limits.maximumSinglePut, diskSpace: @escaping DiskSpace = S3PostedFile.diskSpace) {
        self.spoolDirectory = spoolDirectory
        self.keptAtMost = keptAtMost
        self.diskSpace = diskSpace
    }

    deinit { remove() }

    /// Adds the next bytes of the file.
    /// - Throws: `EntityTooLarge` past S3's 5 GiB; `ServiceUnavailable` when the spool would eat
    ///   into the disk's reserve; an I/O error when the spool cannot be written.
    func append(_ buffer: ByteBuffer) throws {
        size += Int64(buffer.readableBytes)
        guard size <= S3Limits.maximumSinglePut else { throw S3Error.entityTooLarge(size) }
        if dropped { return }
        if size > keptAtMost {
            remove()
            memory = ByteBuffer()
            dropped = true
            return
        }
        if spool == nil, memory.readableBytes + buffer.readableBytes <= Self.memoryLimit {
            var buffer = buffer
            memory.writeBuffer(&buffer)
            return
        }
        let descriptor = try spoolDescriptor()
        spooledSinceCheck += Int64(buffer.readableBytes)
        if spooledSinceCheck >= Self.spaceCheckInterval {
            try checkSpace()
            spooledSinceCheck = 0
        }
        try write(buffer, to: descriptor)
    }

    /// The disk's last bytes kept free: 5 % of it, at most 1 GiB.
    static func reserve(diskSize: Int64) -> Int64 {
        min(diskSize / 20, 1 << 30)
    }

    /// Refuses to spool on when the next `spaceCheckInterval` bytes would eat into the reserve.
    private func checkSpace() throws {
        guard let disk = diskSpace(spoolDirectory.path) else { return }
        guard disk.free - Self.spaceCheckInterval >= Self.reserve(diskSize: disk.size) else { throw S3Error.serviceUnavailable }
    }

    static func diskSpace(_ path: String) -> (free: Int64, size: Int64)? {
        var disk = statvfs()
        guard statvfs(path, &disk) == 0 else { return nil }
        return (Int64(disk.f_bavail) * Int64(disk.f_frsize), Int64(disk.f_blocks) * Int64(disk.f_frsize))
    }

    /// The spool file, made (with what memory held so far) on first use.
    private func spoolDescriptor() throws -> Int32 {
        if let spool { return spool.descriptor }
        try FileManager.default.createDirectory(at: spoolDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try checkSpace()
        let path = spoolDirectory.appendingPathComponent("post-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        spool = (descriptor, path)
        try write(memory, to: descriptor)
        memory = ByteBuffer()
        return descriptor
    }

    private func write(_ buffer: ByteBuffer, to descriptor: Int32) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                offset += written
            }
        }
    }

    /// The file as the body of the store's PUT (not for a dropped file).
    func body() -> StoreRequest.Body {
        precondition(!dropped, "a dropped file is never stored")
        guard let spool else { return .bytes(memory) }
        return .stream(SpooledBytes(path: spool.path, length: size), length: size)
    }

    /// The file's MD5 in hex (an ETag for a store that sends none).
    func md5() async throws -> String {
        var hash = Insecure.MD5()
        if let spool {
            for try await buffer in SpooledBytes(path: spool.path, length: size) { hash.update(data: buffer.readableBytesView) }
        } else {
            hash.update(data: memory.readableBytesView)
        }
        return Hex.encode(hash.finalize())
    }

    /// Removes the spool file, if there is one.
    func remove() {
        guard let spool else { return }
        close(spool.descriptor)
        unlink(spool.path)
        self.spool = nil
    }
}

/// A spooled file read back in 1 MiB buffers.
struct SpooledBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let length: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let file: OpenFile
        var left: Int64

        mutating func next() async throws -> ByteBuffer? {
            guard left > 0 else { return nil }
            let descriptor = try file.descriptor()
            let wanted = Int(Swift.min(left, 1 << 20))
            var buffer = ByteBuffer()
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { space in
                var count: Int
                repeat { count = Glibc.read(descriptor, space.baseAddress!, wanted) } while count < 0 && errno == EINTR
                guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                return count
            }
            left -= Int64(read)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: OpenFile(path: path), left: length)
    }
}

/// A file opened on first read and closed with its last reader.
private final class OpenFile {
    let path: String
    private var opened: Int32 = -1

    init(path: String) { self.path = path }

    deinit { if opened >= 0 { close(opened) } }

    func descriptor() throws -> Int32 {
        if opened < 0 {
            opened = open(path, O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        return opened
    }
}
