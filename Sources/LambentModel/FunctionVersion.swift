/// A version of a function: `$LATEST` (the one that changes) or a published number.
///
/// `$LATEST` is a value of this type, not a string literal scattered through the code:
///
/// ```swift
/// let id = FunctionVersionID(functionName: "hello", version: .latest)
/// id.version.isLatest   // true
/// ```
public struct FunctionVersion: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The version as the API spells it: `$LATEST`, `1`, `2`, …
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The unpublished, mutable version every function has.
    public static let latest = FunctionVersion("$LATEST")

    public var isLatest: Bool { self == .latest }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// One version of one function: what the store keys records by, and what warm pools, caches
/// and metrics are keyed by.
public struct FunctionVersionID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var functionName: String
    public var version: FunctionVersion

    public init(functionName: String, version: FunctionVersion = .latest) {
        self.functionName = functionName
        self.version = version
    }

    /// `name:version`, as a qualified function name reads.
    public var description: String { "\(functionName):\(version)" }
}
