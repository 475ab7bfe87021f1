/// A failure to create or manage an execution environment's sandbox.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unavailable, spawnFailed, runtimeUnavailable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The sandbox tool (bubblewrap) is missing or unusable.
        public static let unavailable = Code(.unavailable)
        /// The environment's process could not be started.
        public static let spawnFailed = Code(.spawnFailed)
        /// The language runtime could not be provisioned.
        public static let runtimeUnavailable = Code(.runtimeUnavailable)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
