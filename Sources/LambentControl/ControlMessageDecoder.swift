import NIOCore

/// Reads ``ControlMessage``s from length-prefixed frames (format in `ControlFrame.swift`).
///
/// Payload and log bytes are slices of the inbound buffer, not copies.
public struct ControlMessageDecoder: NIOSingleStepByteToMessageDecoder {
    /// The messages this decoder produces.
    public typealias InboundOut = ControlMessage

    /// The longest frame accepted (kind and fields, not the length prefix).
    public let maximumFrameLength: Int

    /// Creates a decoder that rejects frames longer than `maximumFrameLength` bytes.
    public init(maximumFrameLength: Int = 16 << 20) {
        self.maximumFrameLength = maximumFrameLength
    }

    /// Decodes one frame, or returns `nil` when `buffer` does not hold a whole one yet.
    public mutating func decode(buffer: inout ByteBuffer) throws -> ControlMessage? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            return nil
        }
        guard length <= maximumFrameLength else {
            throw ControlProtocolError(
                code: .frameTooLong,
                message: "frame of \(length) bytes is over the maximum of \(maximumFrameLength) bytes"
            )
        }
        guard buffer.readableBytes >= frameLengthSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: frameLengthSize)
        var frame = buffer.readSlice(length: Int(length))!
        return try Self.decodeFrame(&frame)
    }

    /// Decodes what is left when the stream ends; a partial frame is an error.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ControlMessage? {
        if let message = try decode(buffer: &buffer) { return message }
        if buffer.readableBytes > 0 {
            throw ControlProtocolError(
                code: .truncatedField,
                message: "the stream ended inside a frame (\(buffer.readableBytes) bytes left)"
            )
        }
        return nil
    }

    static func decodeFrame(_ frame: inout ByteBuffer) throws -> ControlMessage {
        guard let kindByte = frame.readInteger(as: UInt8.self) else {
            throw ControlProtocolError(code: .truncatedField, message: "empty frame: no kind byte")
        }
        guard let kind = ControlFrameKind(rawValue: kindByte) else {
            throw ControlProtocolError(code: .unknownKind, message: "unknown frame kind \(kindByte)")
        }
        let message: ControlMessage
        switch kind {
        case .invoke:
            message = .invoke(
                Invocation(
                    requestID: try frame.readTextField(),
                    deadlineMs: try frame.readNumberField(),
                    invokedFunctionARN: try frame.readTextField(),
                    traceID: try frame.readTextField(),
                    clientContext: try frame.readOptionalTextField(),
                    cognitoIdentity: try frame.readOptionalTextField(),
                    payload: try frame.readBytesField()
                )
            )
        case .shutdown:
            message = .shutdown
        case .ready:
            message = .ready(initDurationMicros: try frame.readNumberField())
        case .initError:
            message = .initError(errorType: try frame.readTextField(), body: try frame.readBytesField())
        case .response:
            message = .response(
                requestID: try frame.readTextField(),
                body: try frame.readBytesField(),
                maxMemoryKB: try frame.readNumberField()
            )
        case .invokeError:
            message = .invokeError(
                requestID: try frame.readTextField(),
                errorType: try frame.readTextField(),
                body: try frame.readBytesField(),
                maxMemoryKB: try frame.readNumberField()
            )
        case .log:
            message = .log(try frame.readBytesField())
        case .exited:
            message = .exited(reason: try frame.readTextField())
        case .nextRequested:
            message = .nextRequested
        case .streamStarted:
            message = .streamStarted(requestID: try frame.readTextField(), contentType: try frame.readTextField())
        case .streamChunk:
            message = .streamChunk(try frame.readBytesField())
        }
        guard frame.readableBytes == 0 else {
            throw ControlProtocolError(
                code: .trailingBytes,
                message: "\(frame.readableBytes) bytes after the last field of a \(kind) frame"
            )
        }
        return message
    }
}

extension ByteBuffer {
    /// Reads one field; `nil` when it is marked absent.
    fileprivate mutating func readOptionalBytesField() throws -> ByteBuffer? {
        guard let size = readInteger(as: UInt32.self) else {
            throw ControlProtocolError(code: .truncatedField, message: "a field's size runs past the frame")
        }
        if size == absentFieldSize { return nil }
        guard let bytes = readSlice(length: Int(size)) else {
            throw ControlProtocolError(
                code: .truncatedField,
                message: "a field of \(size) bytes runs past the frame (\(readableBytes) left)"
            )
        }
        return bytes
    }

    fileprivate mutating func readBytesField() throws -> ByteBuffer {
        guard let bytes = try readOptionalBytesField() else {
            throw ControlProtocolError(code: .truncatedField, message: "a required field is marked absent")
        }
        return bytes
    }

    fileprivate mutating func readOptionalTextField() throws -> String? {
        guard var bytes = try readOptionalBytesField() else { return nil }
        guard let text = (try? bytes.readUTF8ValidatedString(length: bytes.readableBytes)) ?? nil else {
            throw ControlProtocolError(code: .invalidText, message: "a text field is not valid UTF-8")
        }
        return text
    }

    fileprivate mutating func readTextField() throws -> String {
        guard let text = try readOptionalTextField() else {
            throw ControlProtocolError(code: .truncatedField, message: "a required text field is marked absent")
        }
        return text
    }

    fileprivate mutating func readNumberField() throws -> UInt64 {
        var bytes = try readBytesField()
        guard bytes.readableBytes == 8, let number = bytes.readInteger(as: UInt64.self) else {
            throw ControlProtocolError(
                code: .invalidNumber,
                message: "a number field is \(bytes.readableBytes) bytes, not 8"
            )
        }
        return number
    }
}
