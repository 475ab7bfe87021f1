/// The SHA-256 and size of a deployment package, as Lambda reports them.
public struct CodeDigest: Sendable, Equatable, Hashable {
    /// Base64 of the SHA-256 of the zip bytes: Lambda's `CodeSha256`.
    public var sha256Base64: String
    /// Lowercase hex of the same SHA-256, for file names and logs.
    public var sha256Hex: String
    /// Number of bytes in the zip: Lambda's `CodeSize`.
    public var size: Int

    /// Creates a digest from its parts.
    public init(sha256Base64: String, sha256Hex: String, size: Int) {
        self.sha256Base64 = sha256Base64
        self.sha256Hex = sha256Hex
        self.size = size
    }
}
