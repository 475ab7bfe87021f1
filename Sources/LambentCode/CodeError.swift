/// Why a deployment package was refused or could not be unpacked.
///
/// `message` is the exact AWS message where Lambda has one (clients parse it), so an
/// HTTP layer can return it unchanged in an `InvalidParameterValueException`.
/// Two errors are equal when their `code` and `message` are; `cause` and the source
/// location are diagnostics only.
public struct CodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, stable for callers to switch over.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notAZip, unzippedTooLarge, zippedTooLarge, unsafePath, tooManyEntries, io
        }

        private var base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The bytes are not a readable zip: garbage, truncated, encrypted, corrupt data,
        /// an unsupported compression method, or sizes/checksums that do not match.
        public static let notAZip = Code(.notAZip)
        /// The entries declare, or actually produce, more than `CodeLimits.maxUnzippedBytes`.
        public static let unzippedTooLarge = Code(.unzippedTooLarge)
        /// The zip file itself is larger than `CodeLimits.maxZippedBytes`.
        public static let zippedTooLarge = Code(.zippedTooLarge)
        /// An entry name or symlink target could escape the destination, or entries conflict.
        public static let unsafePath = Code(.unsafePath)
        /// The central directory lists more than `CodeLimits.maxEntries` entries.
        public static let tooManyEntries = Code(.tooManyEntries)
        /// The local file system failed (the zip could not be opened, the destination
        /// already exists, a write failed). Not the uploader's fault.
        public static let io = Code(.io)

        /// The case name, e.g. `notAZip`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong; the exact AWS message where one exists.
    public var message: String
    /// The underlying error, if any (for logs, never for clients).
    public var cause: (any Error & Sendable)?
    /// Source file that raised the error.
    public var file: String
    /// Source line that raised the error.
    public var line: UInt

    /// Creates an error; prefer the static factories, which carry the AWS messages.
    public init(
        code: Code,
        message: String,
        cause: (any Error & Sendable)? = nil,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.file = file
        self.line = line
    }

    /// `code: message`, followed by the cause when there is one.
    public var description: String {
        var text = "\(code): \(message)"
        if let cause {
            text += " (cause: \(cause))"
        }
        return text
    }

    /// Compares `code` and `message` only.
    public static func == (lhs: CodeError, rhs: CodeError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}

// The AWS strings below are copied exactly from Lambda's responses; do not reword them.
extension CodeError {
    /// AWS's message for an upload Lambda cannot unzip (InvalidParameterValueException).
    public static let couldNotUnzipMessage =
        "Could not unzip uploaded file. Please check your file, then try to upload again."

    /// `.notAZip` with AWS's message.
    public static func notAZip(
        cause: (any Error & Sendable)? = nil, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        CodeError(code: .notAZip, message: couldNotUnzipMessage, cause: cause, file: file, line: line)
    }

    /// `.unzippedTooLarge` with AWS's message for the configured limit.
    public static func unzippedTooLarge(
        limit: Int, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        CodeError(
            code: .unzippedTooLarge, message: "Unzipped size must be smaller than \(limit) bytes",
            file: file, line: line)
    }

    /// `.zippedTooLarge`. Lambda reports an oversized direct upload at the HTTP layer
    /// (RequestEntityTooLargeException, "Request must be smaller than 69905067 bytes for the
    /// CreateFunction operation", i.e. the base64 of 50 MB); this message mirrors the
    /// unzipped one and is not an AWS string.
    public static func zippedTooLarge(
        limit: Int, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        CodeError(
            code: .zippedTooLarge, message: "Zipped size must be smaller than \(limit) bytes",
            file: file, line: line)
    }

    /// `.unsafePath` with AWS's unzip message; `cause` says which entry and why.
    public static func unsafePath(
        _ reason: String, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        CodeError(
            code: .unsafePath, message: couldNotUnzipMessage, cause: Reason(text: reason),
            file: file, line: line)
    }

    /// `.tooManyEntries`. Lambda has no such quota or message; this one is Lambent's.
    public static func tooManyEntries(
        limit: Int, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        CodeError(
            code: .tooManyEntries, message: "Zip file must contain at most \(limit) entries",
            file: file, line: line)
    }

    /// `.io` describing a local failure.
    public static func io(
        _ message: String, errno number: Int32? = nil, file: String = #fileID, line: UInt = #line
    ) -> CodeError {
        let cause = number.map { Reason(text: "errno \($0)") }
        return CodeError(code: .io, message: message, cause: cause, file: file, line: line)
    }

    /// A plain-text cause, used where there is no underlying Swift error.
    public struct Reason: Error, Sendable, CustomStringConvertible {
        /// What happened.
        public var text: String
        /// The text.
        public var description: String { text }
    }
}
