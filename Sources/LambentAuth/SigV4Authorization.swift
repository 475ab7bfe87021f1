/// The SigV4 parameters of one request, from its `Authorization` header or, for a
/// presigned URL, from its query string.
struct SigV4Authorization {
    /// `AKID/20150830/us-east-1/service/aws4_request`, as sent.
    var credential: String
    /// `host;x-amz-date`, as sent.
    var signedHeaders: String
    /// The hex signature, as sent.
    var signature: String
    /// The request time, as sent (`X-Amz-Date`, or the `Date` header converted to ISO basic).
    var timestamp: String
    var date: AmzDate
    /// `X-Amz-Expires` of a presigned URL; nil for header authentication.
    var expiresInSeconds: Int64?

    var isPresigned: Bool { expiresInSeconds != nil }

    static let algorithm = "AWS4-HMAC-SHA256"
    static let expiresTooLong =
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"

    // MARK: Authorization header

    /// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` and the
    /// request date, reporting problems with AWS's own messages.
    static func parse(header: String, request: SignableRequest) throws(SigV4Error) -> SigV4Authorization {
        // Parsed on UTF-8 bytes: every delimiter is ASCII, and this runs on every request.
        let trimmed = Substring(header).utf8.drop { $0 == space }
        let scheme = Substring(trimmed.prefix { $0 != space })
        let amzDate = request.firstValue(of: "x-amz-date")
        let httpDate = amzDate == nil ? request.firstValue(of: "date") : nil
        let hasDate = amzDate != nil || httpDate != nil

        guard scheme == algorithm else {
            if scheme.hasPrefix("AWS") && scheme.contains("-HMAC-") {
                throw .unsupportedAlgorithm(String(scheme))
            }
            // Not SigV4 at all (a bearer token, a typo): AWS lists everything it expected.
            throw .incompleteAuthorization(
                missingCredential: true, missingSignature: true, missingSignedHeaders: true,
                missingDate: !hasDate, header: header)
        }

        var credential: Substring?
        var signedHeaders: Substring?
        var signature: Substring?
        // AWS splits on commas and whitespace alike, so `Credential= AKID/...` reports
        // `'AKID/...' not a valid key=value pair`.
        let parameters = trimmed.dropFirst(scheme.utf8.count).split { $0 == comma || $0 == space || $0 == tab }
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else {
                throw .missingEqualSign(String(Substring(parameter)), header: header)
            }
            let value = Substring(parameter[parameter.index(after: equals)...])
            let name = parameter[..<equals]
            if name.elementsEqual("Credential".utf8) {
                credential = value
            } else if name.elementsEqual("SignedHeaders".utf8) {
                signedHeaders = value
            } else if name.elementsEqual("Signature".utf8) {
                signature = value
            }
        }
        guard let credential, !credential.isEmpty, let signedHeaders, !signedHeaders.isEmpty,
            let signature, !signature.isEmpty, hasDate
        else {
            throw .incompleteAuthorization(
                missingCredential: credential?.isEmpty ?? true, missingSignature: signature?.isEmpty ?? true,
                missingSignedHeaders: signedHeaders?.isEmpty ?? true, missingDate: !hasDate, header: header)
        }

        let timestamp: String
        let date: AmzDate
        if let amzDate {
            guard let parsed = AmzDate(iso8601Basic: amzDate) else { throw .malformedDate(amzDate) }
            (timestamp, date) = (amzDate, parsed)
        } else {
            let httpDate = httpDate ?? ""
            guard let parsed = AmzDate(httpDate: httpDate) else { throw .malformedDate(httpDate) }
            (timestamp, date) = (parsed.iso8601Basic, parsed)
        }
        return SigV4Authorization(
            credential: String(credential), signedHeaders: String(signedHeaders), signature: String(signature),
            timestamp: timestamp, date: date, expiresInSeconds: nil)
    }

    // MARK: Presigned query

    /// Parses the `X-Amz-*` parameters of a presigned URL; nil when the query carries no
    /// `X-Amz-Algorithm` (the request is then simply unauthenticated).
    static func parse(presignedQuery query: String) throws(SigV4Error) -> SigV4Authorization? {
        guard query.contains("X-Amz-Algorithm=") else { return nil }
        var values: [String: String] = [:]
        for piece in query.utf8.split(separator: UInt8(ascii: "&")) {
            let equals = piece.firstIndex(of: UInt8(ascii: "=")) ?? piece.endIndex
            let key = String(decoding: PercentEncoding.decode(piece[piece.startIndex..<equals]), as: UTF8.self)
            guard key.hasPrefix("X-Amz-") else { continue }
            let rawValue = equals == piece.endIndex ? piece[equals...] : piece[piece.index(after: equals)...]
            values[key] = String(decoding: PercentEncoding.decode(rawValue), as: UTF8.self)
        }
        guard let algorithm = values["X-Amz-Algorithm"], let credential = values["X-Amz-Credential"],
            let signature = values["X-Amz-Signature"], let timestamp = values["X-Amz-Date"],
            let signedHeaders = values["X-Amz-SignedHeaders"]
        else { throw .incompletePresignedQuery }
        guard algorithm == Self.algorithm else { throw .unsupportedAlgorithm(algorithm) }
        guard let date = AmzDate(iso8601Basic: timestamp) else { throw .malformedDate(timestamp) }
        // AWS caps presigned URLs at seven days and refuses a value past it, negative or not a
        // number (S3's words); a URL without one gets the cap.
        let maximum: Int64 = 7 * 24 * 3600
        var expires = maximum
        if let text = values["X-Amz-Expires"] {
            guard let seconds = Int64(text) else {
                throw .presignedExpiresInvalid(text.allSatisfy(\.isNumber) && !text.isEmpty ? Self.expiresTooLong : "X-Amz-Expires should be a number")
            }
            guard seconds >= 0 else { throw .presignedExpiresInvalid("X-Amz-Expires must be non-negative") }
            guard seconds <= maximum else { throw .presignedExpiresInvalid(Self.expiresTooLong) }
            expires = seconds
        }
        return SigV4Authorization(
            credential: credential, signedHeaders: signedHeaders, signature: signature,
            timestamp: timestamp, date: date, expiresInSeconds: expires)
    }
}

private let space = UInt8(ascii: " ")
private let comma = UInt8(ascii: ",")
private let tab = UInt8(ascii: "\t")
