import NIOCore

/// AWS's event stream encoding (`application/vnd.amazon.eventstream`), as
/// `InvokeWithResponseStream` answers: each message is a prelude (total length, headers
/// length, CRC-32 of those 8 bytes), string headers (`:message-type`, `:event-type`,
/// `:content-type`), the payload, and a CRC-32 of everything before it. botocore's
/// `EventStream` parser reads these frames one by one as they arrive.
enum EventStream {
    /// One `event` message.
    static func event(type: String, contentType: String, payload: ByteBuffer) -> ByteBuffer {
        var headers = ByteBuffer()
        for (name, value) in [(":event-type", type), (":content-type", contentType), (":message-type", "event")] {
            headers.writeInteger(UInt8(name.utf8.count))
            headers.writeString(name)
            headers.writeInteger(UInt8(7))  // string
            headers.writeInteger(UInt16(value.utf8.count))
            headers.writeString(value)
        }
        let total = 12 + headers.readableBytes + payload.readableBytes + 4
        var message = ByteBuffer()
        message.reserveCapacity(total)
        message.writeInteger(UInt32(total))
        message.writeInteger(UInt32(headers.readableBytes))
        message.writeInteger(CRC32.checksum(message))
        message.writeImmutableBuffer(headers)
        message.writeImmutableBuffer(payload)
        message.writeInteger(CRC32.checksum(message))
        return message
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as event stream frames carry it.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let contiguous = bytes.withContiguousStorageIfAvailable { checksum(UnsafeRawBufferPointer($0)) }
        return contiguous ?? Array(bytes).withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0) }
    }

    /// Over raw memory, so that even an unoptimized (debug) build checksums a streamed
    /// response's megabytes quickly.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
