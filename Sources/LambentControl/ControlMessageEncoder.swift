import NIOCore

/// Writes ``ControlMessage``s as length-prefixed frames (format in `ControlFrame.swift`).
public struct ControlMessageEncoder: MessageToByteEncoder {
    /// The messages this encoder writes.
    public typealias OutboundIn = ControlMessage

    /// Creates an encoder.
    public init() {}

    /// Appends `data`'s frame to `out`.
    public func encode(data: ControlMessage, out: inout ByteBuffer) throws {
        let lengthIndex = out.writerIndex
        out.writeInteger(UInt32(0))
        switch data {
        case .invoke(let invocation):
            out.writeInteger(ControlFrameKind.invoke.rawValue)
            out.writeTextField(invocation.requestID)
            out.writeNumberField(invocation.deadlineMs)
            out.writeTextField(invocation.invokedFunctionARN)
            out.writeTextField(invocation.traceID)
            out.writeTextField(invocation.clientContext)
            out.writeTextField(invocation.cognitoIdentity)
            out.writeBytesField(invocation.payload)
        case .shutdown:
            out.writeInteger(ControlFrameKind.shutdown.rawValue)
        case .ready(let initDurationMicros):
            out.writeInteger(ControlFrameKind.ready.rawValue)
            out.writeNumberField(initDurationMicros)
        case .initError(let errorType, let body):
            out.writeInteger(ControlFrameKind.initError.rawValue)
            out.writeTextField(errorType)
            out.writeBytesField(body)
        case .response(let requestID, let body, let maxMemoryKB):
            out.writeInteger(ControlFrameKind.response.rawValue)
            out.writeTextField(requestID)
            out.writeBytesField(body)
            out.writeNumberField(maxMemoryKB)
        case .invokeError(let requestID, let errorType, let body, let maxMemoryKB):
            out.writeInteger(ControlFrameKind.invokeError.rawValue)
            out.writeTextField(requestID)
            out.writeTextField(errorType)
            out.writeBytesField(body)
            out.writeNumberField(maxMemoryKB)
        case .log(let bytes):
            out.writeInteger(ControlFrameKind.log.rawValue)
            out.writeBytesField(bytes)
        case .exited(let reason):
            out.writeInteger(ControlFrameKind.exited.rawValue)
            out.writeTextField(reason)
        case .nextRequested:
            out.writeInteger(ControlFrameKind.nextRequested.rawValue)
        case .streamStarted(let requestID, let contentType):
            out.writeInteger(ControlFrameKind.streamStarted.rawValue)
            out.writeTextField(requestID)
            out.writeTextField(contentType)
        case .streamChunk(let bytes):
            out.writeInteger(ControlFrameKind.streamChunk.rawValue)
            out.writeBytesField(bytes)
        }
        let length = out.writerIndex - lengthIndex - frameLengthSize
        out.setInteger(UInt32(length), at: lengthIndex)
    }
}

extension ByteBuffer {
    fileprivate mutating func writeTextField(_ text: String?) {
        guard let text else {
            writeInteger(absentFieldSize)
            return
        }
        let sizeIndex = writerIndex
        writeInteger(UInt32(0))
        let size = writeString(text)
        setInteger(UInt32(size), at: sizeIndex)
    }

    fileprivate mutating func writeNumberField(_ number: UInt64) {
        writeInteger(UInt32(8))
        writeInteger(number)
    }

    fileprivate mutating func writeBytesField(_ bytes: ByteBuffer) {
        writeInteger(UInt32(bytes.readableBytes))
        writeImmutableBuffer(bytes)
    }
}
