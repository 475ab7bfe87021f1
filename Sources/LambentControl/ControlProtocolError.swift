/// A control-channel frame that could not be decoded.
///
/// The channel is between two processes of ours, so any of these means a bug or a
/// corrupted stream: the receiver closes the channel.
public struct ControlProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: Sendable, Hashable {
            case frameTooLong, unknownKind, truncatedField, trailingBytes, invalidNumber, invalidText
        }
        fileprivate var value: Value

        /// The frame's declared length is over the decoder's maximum.
        public static let frameTooLong = Code(value: .frameTooLong)
        /// The frame's kind byte names no ``ControlMessage`` case.
        public static let unknownKind = Code(value: .unknownKind)
        /// A field runs past the end of its frame, or the stream ended inside a frame.
        public static let truncatedField = Code(value: .truncatedField)
        /// The frame has bytes left over after its last field.
        public static let trailingBytes = Code(value: .trailingBytes)
        /// A number field is not exactly 8 bytes long.
        public static let invalidNumber = Code(value: .invalidNumber)
        /// A text field is not valid UTF-8.
        public static let invalidText = Code(value: .invalidText)

        /// The code's name.
        public var description: String { "\(value)" }
    }

    /// What kind of problem this is.
    public var code: Code
    /// What went wrong, for a log line.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "ControlProtocolError(\(code)): \(message)" }
}
