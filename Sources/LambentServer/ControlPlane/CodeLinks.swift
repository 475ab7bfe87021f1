import Crypto
import Foundation

/// Pre-signed download links for deployment packages (`GetFunction`'s `Code.Location`), the
/// way S3 pre-signed URLs work: anyone holding the link can fetch that one blob, and nothing
/// else, without signing the request.
public struct CodeLinks: Sendable {
    private let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: Array("lambent-code-link:\(secret)".utf8))
    }

    /// The token that authorises downloading `codeKey`.
    public func token(for codeKey: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(codeKey.utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether a token authorises `codeKey` (constant-time comparison).
    public func isValid(token: String, for codeKey: String) -> Bool {
        let expected = Array(self.token(for: codeKey).utf8)
        let given = Array(token.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The link, on the host the client used to reach this server.
    public func url(for codeKey: String, host: String?) -> String {
        "http://\(host ?? "127.0.0.1:9550")/lambent/v1/code/\(codeKey)?token=\(token(for: codeKey))"
    }
}
