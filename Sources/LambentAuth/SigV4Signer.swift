import Foundation

/// Signs outgoing requests with AWS Signature Version 4, the client side of SigV4.
///
/// Produces the same canonical request as botocore for non-S3 services: pass the path and
/// query exactly as they will go on the wire (percent-encoded).
///
/// ```swift
/// let signer = SigV4Signer(key: key, region: "us-east-1", service: "lambda")
/// let added = signer.sign(
///     method: "POST", path: "/2015-03-31/functions/fn/invocations", query: "",
///     headers: [("Host", "localhost:9001"), ("Content-Type", "application/json")],
///     body: Array(#"{"hello":"world"}"#.utf8), date: Date())
/// // added == [("X-Amz-Date", "..."), ("Authorization", "AWS4-HMAC-SHA256 Credential=...")]
/// ```
public struct SigV4Signer: Sendable {
    /// The credentials to sign with.
    public var key: AccessKey
    /// The region named in the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The service named in the credential scope, e.g. `lambda`.
    public var service: String
    /// Whether to add and sign an `x-amz-content-sha256` header (S3 needs it; Lambda does not).
    public var signPayloadHeader: Bool
    /// Canonicalise paths as S3 does (encoded once), for requests to an S3 endpoint.
    public var s3Paths = false

    /// Headers botocore never signs: hop-by-hop headers and ones proxies rewrite.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
        // Replaced by the signer itself.
        "authorization", "x-amz-date",
    ]

    /// Creates a signer for one credential scope.
    public init(key: AccessKey, region: String, service: String, signPayloadHeader: Bool = false) {
        self.key = key
        self.region = region
        self.service = service
        self.signPayloadHeader = signPayloadHeader
    }

    /// Signs a request.
    ///
    /// Every given header is signed except hop-by-hop ones, `User-Agent` and
    /// `X-Amzn-Trace-Id`; an `Authorization` or `X-Amz-Date` among them is ignored and
    /// replaced. Include `Host`: the signer does not invent one.
    ///
    /// - Returns: the headers to add: `X-Amz-Date`, `x-amz-content-sha256` when
    ///   ``signPayloadHeader`` is set, and `Authorization`.
    public func sign(
        method: String, path: String, query: String, headers: [(name: String, value: String)],
        body: some Collection<UInt8>, date: Date
    ) -> [(name: String, value: String)] {
        signature(method: method, path: path, query: query, headers: headers, body: body, date: date).addedHeaders
    }

    /// Every intermediate value of one signature, for tests and debugging.
    struct Signature {
        var canonicalRequest: String
        var stringToSign: String
        var authorization: String
        var addedHeaders: [(name: String, value: String)]
    }

    func signature(
        method: String, path: String, query: String, headers: [(name: String, value: String)],
        body: some Collection<UInt8>, date: Date
    ) -> Signature {
        let timestamp = AmzDate(date).iso8601Basic
        var added: [(name: String, value: String)] = [("X-Amz-Date", timestamp)]
        var payloadHash = headers.first { asciiCaseInsensitiveEquals($0.name, "x-amz-content-sha256") }?.value
        if signPayloadHeader {
            let hash = Hex.encode(SigV4Verifier.sha256(body))
            added.append(("x-amz-content-sha256", hash))
            payloadHash = hash
        }
        var signed = headers.filter { header in
            let name = header.name.lowercased()
            return !Self.unsignedHeaders.contains(name) && !(signPayloadHeader && name == "x-amz-content-sha256")
        }
        signed.append(contentsOf: added)
        let signedNames = Set(signed.map { $0.name.lowercased() }).sorted()

        let canonical = CanonicalRequest(
            method: method, rawPath: path, pathStyle: s3Paths ? .s3 : .standard, rawQuery: query, headers: signed,
            signedHeaders: signedNames.map { Substring($0) },
            payloadHash: payloadHash ?? Hex.encode(SigV4Verifier.sha256(body)))
        let day = timestamp.prefix(8)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = canonical.stringToSign(timestamp: timestamp, scope: scope)
        let signature = SigningKey(
            secretAccessKey: key.secretAccessKey, date: day, region: Substring(region), service: Substring(service)
        ).signature(for: stringToSign)
        let authorization =
            "\(SigV4Authorization.algorithm) Credential=\(key.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedNames.joined(separator: ";")), "
            + "Signature=\(String(decoding: signature, as: UTF8.self))"
        added.append(("Authorization", authorization))
        return Signature(
            canonicalRequest: canonical.text, stringToSign: String(decoding: stringToSign, as: UTF8.self),
            authorization: authorization, addedHeaders: added)
    }
}
