/// Why a request failed SigV4 verification, in the shape AWS reports it.
///
/// `message` and `awsErrorType` are copied from AWS because SDKs and the CLI parse and
/// show them; a server renders the error as
/// `{"__type": awsErrorType, "message": message}` (or `{"Type":"User","message":...}` per
/// protocol) with `httpStatus`.
///
/// ```swift
/// do {
///     let (accessKeyID, region) = try verifier.verify(request, body: body)
/// } catch {
///     respond(status: error.httpStatus, type: error.awsErrorType, message: error.message)
/// }
/// ```
public struct SigV4Error: Error, Sendable, Equatable {
    /// The kind of failure; one value per AWS error family.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case missingAuthentication
            case unrecognizedClient
            case invalidSignature
            case signatureExpired
            case incompleteSignature
            case invalidPresignedExpiry
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// No `Authorization` header and no presigned query parameters.
        public static let missingAuthentication = Code(.missingAuthentication)
        /// The access key id is not known to the server.
        public static let unrecognizedClient = Code(.unrecognizedClient)
        /// The signature, the credential scope or a signed value does not match.
        public static let invalidSignature = Code(.invalidSignature)
        /// The request time is outside the allowed clock skew (or a presigned URL expired).
        public static let signatureExpired = Code(.signatureExpired)
        /// The `Authorization` header or presigned query is malformed or incomplete.
        public static let incompleteSignature = Code(.incompleteSignature)
        /// A presigned URL's `X-Amz-Expires` negative, past a week or not a number (S3 answers
        /// `AuthorizationQueryParametersError`; other services as a malformed signature).
        public static let invalidPresignedExpiry = Code(.invalidPresignedExpiry)

        /// The AWS `__type` for this code.
        public var awsErrorType: String {
            switch base {
            case .missingAuthentication: "MissingAuthenticationTokenException"
            case .unrecognizedClient: "UnrecognizedClientException"
            case .invalidSignature, .signatureExpired: "InvalidSignatureException"
            case .incompleteSignature, .invalidPresignedExpiry: "IncompleteSignatureException"
            }
        }

        /// The HTTP status AWS answers with: 400 for a malformed signature, else 403.
        public var httpStatus: Int {
            base == .incompleteSignature || base == .invalidPresignedExpiry ? 400 : 403
        }

        /// The case name, for logs.
        public var description: String {
            switch base {
            case .missingAuthentication: "missingAuthentication"
            case .unrecognizedClient: "unrecognizedClient"
            case .invalidSignature: "invalidSignature"
            case .signatureExpired: "signatureExpired"
            case .incompleteSignature: "incompleteSignature"
            case .invalidPresignedExpiry: "invalidPresignedExpiry"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// The exact AWS message text.
    public var message: String
    /// The AWS error type, e.g. `InvalidSignatureException`.
    public var awsErrorType: String
    /// The HTTP status to answer with (403, or 400 for ``Code/incompleteSignature``).
    public var httpStatus: Int

    /// Creates an error whose AWS type and status follow from `code`.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
        self.awsErrorType = code.awsErrorType
        self.httpStatus = code.httpStatus
    }

    /// `MissingAuthenticationTokenException`: the request carries no SigV4 authentication.
    public static let missingAuthenticationToken = SigV4Error(
        code: .missingAuthentication, message: "Missing Authentication Token")

    /// `UnrecognizedClientException`: the access key id is unknown.
    public static let unrecognizedClient = SigV4Error(
        code: .unrecognizedClient, message: "The security token included in the request is invalid.")

    /// `InvalidSignatureException`: the signature does not match the request.
    public static let signatureDoesNotMatch = SigV4Error(
        code: .invalidSignature,
        message: "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. "
            + "Consult the service documentation for details.")
}

extension SigV4Error: CustomStringConvertible {
    /// `Type (status): message`, for logs.
    public var description: String { "\(awsErrorType) (\(httpStatus)): \(message)" }
}

// The catalogue of AWS messages that carry request values. Wording, punctuation and
// spacing are AWS's own: clients and tests compare them verbatim.
extension SigV4Error {
    /// A presigned URL's `X-Amz-Expires` out of range or not a number; `message` is S3's.
    static func presignedExpiresInvalid(_ message: String) -> SigV4Error {
        SigV4Error(code: .invalidPresignedExpiry, message: message)
    }

    static func unsupportedAlgorithm(_ algorithm: String) -> SigV4Error {
        SigV4Error(code: .incompleteSignature, message: "Unsupported AWS 'algorithm': '\(algorithm)'.")
    }

    static func missingEqualSign(_ pair: String, header: String) -> SigV4Error {
        SigV4Error(
            code: .incompleteSignature,
            message: "'\(pair)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'")
    }

    /// The list of missing parts, each sentence in AWS's order, then the header as sent.
    static func incompleteAuthorization(
        missingCredential: Bool, missingSignature: Bool, missingSignedHeaders: Bool, missingDate: Bool,
        header: String
    ) -> SigV4Error {
        var message = ""
        if missingCredential { message += "Authorization header requires 'Credential' parameter. " }
        if missingSignature { message += "Authorization header requires 'Signature' parameter. " }
        if missingSignedHeaders { message += "Authorization header requires 'SignedHeaders' parameter. " }
        if missingDate {
            message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        }
        return SigV4Error(code: .incompleteSignature, message: message + "Authorization=" + header)
    }

    static let incompletePresignedQuery = SigV4Error(
        code: .incompleteSignature,
        message: "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "
            + "'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.")

    static func malformedDate(_ value: String) -> SigV4Error {
        SigV4Error(
            code: .incompleteSignature,
            message: "Date must be in ISO-8601 'basic format'. Got '\(value)'. See http://en.wikipedia.org/wiki/ISO_8601")
    }

    static func malformedCredential(_ credential: String) -> SigV4Error {
        SigV4Error(
            code: .incompleteSignature,
            message: "Credential must have exactly 5 slash-delimited elements, "
                + "e.g. keyid/date/region/service/term, got '\(credential)'")
    }

    static func hostNotSigned() -> SigV4Error {
        SigV4Error(
            code: .invalidSignature, message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    }

    static func signatureExpired(request: String, limit: String, now: String, minutes: Int64) -> SigV4Error {
        SigV4Error(
            code: .signatureExpired,
            message: "Signature expired: \(request) is now earlier than \(limit) (\(now) - \(minutes) min.)")
    }

    static func signatureNotYetCurrent(request: String, limit: String, now: String, minutes: Int64) -> SigV4Error {
        SigV4Error(
            code: .signatureExpired,
            message: "Signature not yet current: \(request) is still later than \(limit) (\(now) + \(minutes) min.)")
    }

    static let presignedRequestExpired = SigV4Error(code: .signatureExpired, message: "Request has expired.")

    // A browser-based upload's `X-Amz-Credential` form field: S3 words these as it words a
    // presigned URL's credential, without that message's "Error parsing the X-Amz-Credential
    // parameter; " prefix.
    static let malformedPostCredential = SigV4Error(
        code: .incompleteSignature,
        message: "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")

    static let emptyPostAccessKey = SigV4Error(
        code: .incompleteSignature, message: "a non-empty Access Key (AKID) must be provided in the credential.")

    static func postCredentialDate(_ date: String) -> SigV4Error {
        SigV4Error(
            code: .incompleteSignature,
            message: "incorrect date format \"\(date)\". This date in the credential must be in the format \"yyyyMMdd\".")
    }

    static func postCredentialService(_ service: String, expected: String) -> SigV4Error {
        SigV4Error(code: .incompleteSignature, message: "incorrect service \"\(service)\". This endpoint belongs to \"\(expected)\".")
    }

    static func postCredentialTerminal(_ terminal: String) -> SigV4Error {
        SigV4Error(code: .incompleteSignature, message: "incorrect terminal \"\(terminal)\". This endpoint uses \"aws4_request\".")
    }
}

/// Builds the combined credential-scope message AWS sends when scope parts are wrong.
struct ScopeProblems {
    private var sentences: [String] = []

    var isEmpty: Bool { sentences.isEmpty }

    mutating func invalidRegion(_ region: String) {
        sentences.append("Credential should be scoped to a valid region, not '\(region)'.")
    }

    mutating func wrongService(expected: String) {
        sentences.append("Credential should be scoped to correct service: '\(expected)'.")
    }

    mutating func wrongTerminator(_ terminator: String) {
        sentences.append("Credential should be scoped with a valid terminator: 'aws4_request', not '\(terminator)'.")
    }

    mutating func dateMismatch(scopeDate: String, requestDate: String, timestamp: String) {
        sentences.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'\(scopeDate)' != '\(requestDate)', from '\(timestamp)'.")
    }

    var error: SigV4Error {
        SigV4Error(code: .invalidSignature, message: sentences.joined(separator: " "))
    }
}
