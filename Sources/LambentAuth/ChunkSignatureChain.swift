import Crypto

/// What a verified signature proves: who signed, for which region and service, and the
/// chain a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body's chunks are signed along.
public struct VerifiedSignature: Sendable {
    public var accessKeyID: String
    public var region: String
    public var service: String
    /// Seeded with the request's signature; each chunk's signature extends it.
    public var chunks: ChunkSignatureChain
}

/// The signatures of an `aws-chunked` body (SigV4 streaming): chunk *n*'s signature signs
/// `AWS4-HMAC-SHA256-PAYLOAD`, the request time, the scope, chunk *n−1*'s signature (the
/// request's for the first), the hash of the empty string and the chunk's hash. The final
/// chunk is empty, so a body cut short, reordered or spliced fails.
///
/// ```swift
/// var chain = verified.chunks
/// guard chain.verify(chunkHash: SHA256.hash(data: chunk), signature: declared) else { throw ... }
/// ```
public struct ChunkSignatureChain: Sendable {
    let key: SigningKey
    let timestamp: String
    let scope: String
    private(set) var previous: [UInt8]

    init(key: SigningKey, timestamp: String, scope: String, seed: [UInt8]) {
        self.key = key
        self.timestamp = timestamp
        self.scope = scope
        self.previous = seed
    }

    /// Checks one chunk's declared signature (hex) and, when it matches, makes it the
    /// previous signature of the next chunk.
    public mutating func verify(chunkHash: SHA256.Digest, signature declared: some Collection<UInt8>) -> Bool {
        var stringToSign = [UInt8]()
        stringToSign.reserveCapacity(32 + timestamp.utf8.count + scope.utf8.count + 3 * 65)
        stringToSign.append(contentsOf: "AWS4-HMAC-SHA256-PAYLOAD\n".utf8)
        stringToSign.append(contentsOf: timestamp.utf8)
        stringToSign.append(UInt8(ascii: "\n"))
        stringToSign.append(contentsOf: scope.utf8)
        stringToSign.append(UInt8(ascii: "\n"))
        stringToSign.append(contentsOf: previous)
        stringToSign.append(UInt8(ascii: "\n"))
        stringToSign.append(contentsOf: Self.emptyHash)
        stringToSign.append(UInt8(ascii: "\n"))
        Hex.append(chunkHash, to: &stringToSign)
        let expected = key.signature(for: stringToSign)
        guard Hex.constantTimeEquals(expected, declared.lazy.map(asciiLowercased)) else { return false }
        previous = expected
        return true
    }

    private static let emptyHash = Array("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".utf8)
}
