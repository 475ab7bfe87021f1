/// What SigV4 needs of an HTTP request.
///
/// `path` and `query` are exactly as received on the wire, still percent-encoded; the
/// verifier canonicalises them itself, the way botocore does for non-S3 services.
///
/// ```swift
/// let request = SignableRequest(
///     method: "POST",
///     path: "/2015-03-31/functions/my%20fn/invocations",
///     query: "Qualifier=%24LATEST",
///     headers: [("Host", "localhost:9001"), ("X-Amz-Date", "20260101T000000Z")])
/// ```
public struct SignableRequest: Sendable {
    /// The HTTP method, e.g. `GET` (compared after upper-casing).
    public var method: String
    /// The raw path, e.g. `/2015-03-31/functions/my%20fn/invocations`.
    public var path: String
    /// The raw query string without the leading `?`; empty when there is none.
    public var query: String
    /// All headers as received: names in any case, possibly repeated, in wire order.
    public var headers: [(name: String, value: String)]

    /// Creates a request description from wire values.
    public init(method: String, path: String, query: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}

extension SignableRequest {
    /// The values of every header named `name` (ASCII case-insensitive), in wire order.
    func values(of name: String) -> [String] {
        headers.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// The first value of the header named `name`, if any.
    func firstValue(of name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }
}

/// Compares two strings byte-wise, folding ASCII letters only (header names are ASCII).
func asciiCaseInsensitiveEquals(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
    var left = lhs.utf8.makeIterator()
    var right = rhs.utf8.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil):
            return true
        case let (l?, r?):
            if asciiLowercased(l) != asciiLowercased(r) { return false }
        default:
            return false
        }
    }
}

/// Lower-cases one ASCII letter; other bytes pass through.
@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte &+ 32 : byte
}
