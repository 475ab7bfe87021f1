import Crypto
import Foundation

/// Verifies AWS Signature Version 4 on incoming requests, the server side of SigV4.
///
/// Canonicalisation matches botocore (and so the AWS CLI and every other SDK) for non-S3
/// services such as Lambda. Both header authentication
/// (`Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`) and
/// presigned URLs (`X-Amz-Algorithm=...&X-Amz-Signature=...` in the query) are accepted.
///
/// ```swift
/// let verifier = SigV4Verifier(service: "lambda") { accessKeyID in
///     accessKeyID == "AKIAIOSFODNN7EXAMPLE"
///         ? AccessKey(accessKeyID: accessKeyID, secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
///         : nil
/// }
/// let (accessKeyID, region) = try verifier.verify(request, body: bodyBytes)
/// ```
///
/// Derived signing keys are cached, so a verification costs two SHA-256 passes (body and
/// canonical request) and one HMAC.
public struct SigV4Verifier: Sendable {
    /// The service names a credential scope may name, e.g. `lambda` and `sqs`; the first is
    /// the one a wrongly scoped request is told to use.
    public let services: [String]

    /// The first of `services`.
    public var service: String { services[0] }
    let lookup: @Sendable (String) -> AccessKey?
    private let now: @Sendable () -> Date
    private let allowedSkewSeconds: Int64
    let keys = SigningKeyCache()

    /// Creates a verifier.
    /// - Parameters:
    ///   - service: the service every credential scope must name (`lambda`).
    ///   - lookup: returns the key for an access key id, or nil when the id is unknown.
    ///   - now: the clock; inject one in tests.
    ///   - allowedSkew: how far the request time may be from `now` either way (AWS: 15 min).
    public init(
        service: String,
        lookup: @escaping @Sendable (String) -> AccessKey?,
        now: @escaping @Sendable () -> Date = Date.init,
        allowedSkew: Duration = .seconds(15 * 60)
    ) {
        self.init(services: [service], lookup: lookup, now: now, allowedSkew: allowedSkew)
    }

    /// Creates a verifier that accepts any of `services` in the credential scope (one endpoint
    /// serving several AWS services, told apart by the scope).
    public init(
        services: [String],
        lookup: @escaping @Sendable (String) -> AccessKey?,
        now: @escaping @Sendable () -> Date = Date.init,
        allowedSkew: Duration = .seconds(15 * 60)
    ) {
        precondition(!services.isEmpty, "a verifier needs a service")
        self.services = services
        self.lookup = lookup
        self.now = now
        self.allowedSkewSeconds = allowedSkew.components.seconds
    }

    /// Verifies the SigV4 signature of `request`.
    ///
    /// The payload hash is the `x-amz-content-sha256` header when present (a hex hash must
    /// equal SHA-256 of `body`; `UNSIGNED-PAYLOAD` and `STREAMING-*` are taken literally,
    /// chunk signatures are not checked), else the hex SHA-256 of `body`.
    ///
    /// - Parameter body: the complete request body.
    /// - Returns: the verified access key id and the region named in the credential scope.
    /// - Throws: ``SigV4Error`` with AWS's exact error type, message and status.
    public func verify(
        _ request: SignableRequest, body: some Collection<UInt8>
    ) throws(SigV4Error) -> (accessKeyID: String, region: String) {
        let verified = try verifyScoped(request, body: body)
        return (verified.accessKeyID, verified.region)
    }

    /// As `verify`, also returning the service the credential scope names (one of `services`).
    public func verifyScoped(
        _ request: SignableRequest, body: some Collection<UInt8>
    ) throws(SigV4Error) -> (accessKeyID: String, region: String, service: String) {
        let verified = try verifySignature(request, path: .standard) { () throws(SigV4Error) in try payloadHash(request, body: body) }
        return (verified.accessKeyID, verified.region, verified.service)
    }

    /// Verifies an S3 request's signature without its body: S3 canonicalises the path
    /// without double encoding, and the client declares the payload hash
    /// (`declaredPayloadHash`: a hex SHA-256, `UNSIGNED-PAYLOAD` or `STREAMING-*`), which the
    /// caller checks against the body as it streams through (``ChunkSignatureChain`` for
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`).
    public func verifyS3(_ request: SignableRequest, declaredPayloadHash: String) throws(SigV4Error) -> VerifiedSignature {
        try verifySignature(request, path: .s3) { () throws(SigV4Error) in declaredPayloadHash }
    }

    /// Whether a request authenticates with a presigned URL rather than a header.
    public static func isPresigned(_ request: SignableRequest) -> Bool {
        request.firstValue(of: "authorization") == nil && request.query.contains("X-Amz-Algorithm=")
    }

    private func verifySignature(
        _ request: SignableRequest, path: CanonicalRequest.PathStyle, payloadHash: () throws(SigV4Error) -> String
    ) throws(SigV4Error) -> VerifiedSignature {
        let authorization: SigV4Authorization
        if let header = request.firstValue(of: "authorization") {
            authorization = try SigV4Authorization.parse(header: header, request: request)
        } else if let presigned = try SigV4Authorization.parse(presignedQuery: request.query) {
            authorization = presigned
        } else {
            throw .missingAuthenticationToken
        }

        let signedHeaders = Substring(authorization.signedHeaders).utf8.split(separator: UInt8(ascii: ";")).map { Substring($0) }
        guard signedHeaders.contains(where: { asciiCaseInsensitiveEquals($0, "host") || $0 == ":authority" }) else {
            throw .hostNotSigned()
        }
        try checkTime(authorization)

        // keyid/date/region/service/aws4_request; the key id itself may not contain '/'.
        let scope = Substring(authorization.credential).utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { Substring($0) }
        guard scope.count == 5 else { throw .malformedCredential(authorization.credential) }
        let (accessKeyID, scopeDate, region, scopeService, terminator) = (scope[0], scope[1], scope[2], scope[3], scope[4])
        var problems = ScopeProblems()
        if region.isEmpty { problems.invalidRegion(String(region)) }
        if !services.contains(where: { $0 == scopeService }) { problems.wrongService(expected: service) }
        if terminator != "aws4_request" { problems.wrongTerminator(String(terminator)) }
        let requestDay = authorization.timestamp.prefix(8)
        if scopeDate != requestDay {
            problems.dateMismatch(
                scopeDate: String(scopeDate), requestDate: String(requestDay), timestamp: authorization.timestamp)
        }
        guard problems.isEmpty else { throw problems.error }

        guard let key = lookup(String(accessKeyID)) else { throw .unrecognizedClient }

        let canonical = CanonicalRequest(
            method: request.method, rawPath: request.path, pathStyle: path, rawQuery: request.query,
            excludingQueryKey: authorization.isPresigned ? "X-Amz-Signature" : nil,
            headers: request.headers, signedHeaders: signedHeaders,
            payloadHash: try payloadHash())
        let credentialScope = authorization.credential[scopeDate.startIndex...].description
        let stringToSign = canonical.stringToSign(timestamp: authorization.timestamp, scope: credentialScope)
        let signingKey = keys.key(secretAccessKey: key.secretAccessKey, date: scopeDate, region: region, service: scopeService)
        let expected = signingKey.signature(for: stringToSign)
        guard Hex.constantTimeEquals(expected, authorization.signature.utf8.lazy.map(asciiLowercased)) else {
            throw .signatureDoesNotMatch
        }
        return VerifiedSignature(
            accessKeyID: String(accessKeyID), region: String(region), service: String(scopeService),
            chunks: ChunkSignatureChain(key: signingKey, timestamp: authorization.timestamp, scope: credentialScope, seed: expected))
    }

    /// Rejects requests outside the allowed skew, or presigned URLs past `X-Amz-Expires`.
    private func checkTime(_ authorization: SigV4Authorization) throws(SigV4Error) {
        let current = AmzDate(now())
        let requestDate = authorization.date
        let minutes = allowedSkewSeconds / 60
        let latest = current.adding(seconds: allowedSkewSeconds)
        if requestDate > latest {
            throw .signatureNotYetCurrent(
                request: authorization.timestamp, limit: latest.iso8601Basic, now: current.iso8601Basic,
                minutes: minutes)
        }
        if let expires = authorization.expiresInSeconds {
            if current > requestDate.adding(seconds: expires) { throw .presignedRequestExpired }
            return
        }
        let earliest = current.adding(seconds: -allowedSkewSeconds)
        if requestDate < earliest {
            throw .signatureExpired(
                request: authorization.timestamp, limit: earliest.iso8601Basic, now: current.iso8601Basic,
                minutes: minutes)
        }
    }

    /// The payload hash the client signed, checked against the body when it is a real hash.
    private func payloadHash(_ request: SignableRequest, body: some Collection<UInt8>) throws(SigV4Error) -> String {
        guard let declared = request.firstValue(of: "x-amz-content-sha256") else {
            return Hex.encode(Self.sha256(body))
        }
        if declared == "UNSIGNED-PAYLOAD" || declared.hasPrefix("STREAMING-") { return declared }
        guard Hex.isSHA256(declared),
            Hex.constantTimeEquals(Array(Hex.encode(Self.sha256(body)).utf8), declared.utf8.lazy.map(asciiLowercased))
        else { throw .signatureDoesNotMatch }
        return declared
    }

    static func sha256(_ body: some Collection<UInt8>) -> SHA256.Digest {
        var hasher = SHA256()
        let hashedInPlace: Void? = body.withContiguousStorageIfAvailable { buffer in
            // SAFETY: the raw view is used only inside this closure, while `buffer` is valid.
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if hashedInPlace == nil { hasher.update(data: Array(body)) }
        return hasher.finalize()
    }
}
