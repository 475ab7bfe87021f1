/// An AWS-style credential pair: the public access key id and its secret.
///
/// ```swift
/// let key = AccessKey(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
///                     secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
/// ```
public struct AccessKey: Sendable, Hashable {
    /// The public identifier sent in the credential scope, e.g. `AKIAIOSFODNN7EXAMPLE`.
    public var accessKeyID: String
    /// The shared secret; never sent on the wire, only used to derive signing keys.
    public var secretAccessKey: String

    /// Creates a credential pair.
    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }
}

extension AccessKey: CustomStringConvertible {
    /// Shows the access key id only, so that logging a key never leaks its secret.
    public var description: String { "AccessKey(\(accessKeyID))" }
}
