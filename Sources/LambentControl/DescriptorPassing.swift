#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends and receives one message, with descriptors (`SCM_RIGHTS`), on a connected Unix
/// `SOCK_SEQPACKET` socket: how the server hands a parked launcher its ``LaunchOrder``.
/// Sequenced packets keep each message whole, so neither side needs framing.
public enum DescriptorPassing {
    /// The most descriptors one message may carry (the kernel's `SCM_MAX_FD`).
    public static let maxDescriptors = 253

    /// Sends `bytes` (not empty) and `descriptors` in one message. The descriptors stay open
    /// here; the receiver gets its own copies. A peer that is gone is an error (`EPIPE`), not
    /// a `SIGPIPE`.
    public static func send(_ bytes: [UInt8], descriptors: [CInt] = [], on socket: CInt) throws(DescriptorPassingError) {
        precondition(!bytes.isEmpty, "an empty message would read as end-of-file")
        precondition(descriptors.count <= maxDescriptors, "at most \(maxDescriptors) descriptors per message")
        let controlSize = descriptors.isEmpty ? 0 : controlSpace(descriptors.count)
        // SAFETY: the control buffer is allocated with cmsghdr's alignment and sized with
        // CMSG_SPACE; the header and the descriptors are written inside it, and every pointer
        // handed to sendmsg lives until it returns.
        let control = UnsafeMutableRawBufferPointer.allocate(byteCount: max(controlSize, 1), alignment: MemoryLayout<cmsghdr>.alignment)
        defer { control.deallocate() }
        if !descriptors.isEmpty {
            control.initializeMemory(as: UInt8.self, repeating: 0)
            let header = control.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            header.pointee.cmsg_len = controlLength(descriptors.count)
            header.pointee.cmsg_level = SOL_SOCKET
            header.pointee.cmsg_type = Int32(SCM_RIGHTS)
            let data = control.baseAddress! + controlLength(0)
            descriptors.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        var bytes = bytes
        let sent = bytes.withUnsafeMutableBytes { payload -> Int in
            var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
            return withUnsafeMutablePointer(to: &vector) { vector in
                var message = msghdr()
                message.msg_iov = vector
                message.msg_iovlen = 1
                message.msg_control = controlSize == 0 ? nil : control.baseAddress
                message.msg_controllen = controlSize
                var sent: Int
                repeat { sent = sendmsg(socket, &message, Int32(MSG_NOSIGNAL)) } while sent < 0 && errno == EINTR
                return sent
            }
        }
        guard sent == bytes.count else {
            throw DescriptorPassingError(operation: "sendmsg", errno: sent < 0 ? errno : EMSGSIZE)
        }
    }

    /// Waits for the next message and returns it with the descriptors it carried (each
    /// close-on-exec, owned by the caller); nil at end-of-file (the peer closed its end).
    public static func receive(on socket: CInt) throws(DescriptorPassingError) -> (bytes: [UInt8], descriptors: [CInt])? {
        // Peek with MSG_TRUNC for the message's real size, so any size is received whole.
        var size: Int
        repeat { size = recv(socket, nil, 0, Int32(MSG_PEEK | MSG_TRUNC)) } while size < 0 && errno == EINTR
        guard size >= 0 else { throw DescriptorPassingError(operation: "recv", errno: errno) }
        if size == 0 { return nil }
        let controlSize = controlSpace(maxDescriptors)
        // SAFETY: as in `send`; the kernel writes at most msg_controllen bytes of headers, and
        // each header read below is checked to lie within the length it reported.
        let control = UnsafeMutableRawBufferPointer.allocate(byteCount: controlSize, alignment: MemoryLayout<cmsghdr>.alignment)
        defer { control.deallocate() }
        var bytes = [UInt8](repeating: 0, count: size)
        var message = msghdr()
        let received = bytes.withUnsafeMutableBytes { payload -> Int in
            var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
            return withUnsafeMutablePointer(to: &vector) { vector in
                message.msg_iov = vector
                message.msg_iovlen = 1
                message.msg_control = control.baseAddress
                message.msg_controllen = controlSize
                var received: Int
                repeat { received = recvmsg(socket, &message, Int32(MSG_CMSG_CLOEXEC)) } while received < 0 && errno == EINTR
                return received
            }
        }
        guard received >= 0 else { throw DescriptorPassingError(operation: "recvmsg", errno: errno) }

        var descriptors: [CInt] = []
        var offset = 0
        while offset + controlLength(0) <= message.msg_controllen {
            let header = (control.baseAddress! + offset).assumingMemoryBound(to: cmsghdr.self).pointee
            guard header.cmsg_len >= controlLength(0), offset + header.cmsg_len <= message.msg_controllen else { break }
            if header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS) {
                let count = (header.cmsg_len - controlLength(0)) / MemoryLayout<CInt>.size
                let data = control.baseAddress! + offset + controlLength(0)
                for index in 0..<count {
                    descriptors.append(data.loadUnaligned(fromByteOffset: index * MemoryLayout<CInt>.size, as: CInt.self))
                }
            }
            offset += align(header.cmsg_len)
        }
        if message.msg_flags & Int32(MSG_CTRUNC | MSG_TRUNC) != 0 || received != size {
            for descriptor in descriptors { close(descriptor) }
            throw DescriptorPassingError(operation: "recvmsg", errno: EMSGSIZE)
        }
        return (bytes, descriptors)
    }

    /// CMSG_ALIGN.
    static func align(_ length: Int) -> Int {
        (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
    }

    /// CMSG_LEN for `count` descriptors.
    static func controlLength(_ count: Int) -> Int {
        align(MemoryLayout<cmsghdr>.size) + count * MemoryLayout<CInt>.size
    }

    /// CMSG_SPACE for `count` descriptors.
    static func controlSpace(_ count: Int) -> Int {
        align(MemoryLayout<cmsghdr>.size) + align(count * MemoryLayout<CInt>.size)
    }
}

/// A failed `sendmsg` or `recvmsg` in ``DescriptorPassing``.
public struct DescriptorPassingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The system call that failed.
    public var operation: String
    /// Its `errno` (`EMSGSIZE` for a message or its descriptors cut short).
    public var errno: CInt

    /// Creates an error.
    public init(operation: String, errno: CInt) {
        self.operation = operation
        self.errno = errno
    }

    /// `operation: strerror(errno)`.
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
