import Foundation
import HTTPTypes
import Hummingbird
import LambentModel

/// An S3 error, in S3's REST-XML shape (`<Error><Code>…</Code><Message>…</Message>…</Error>`),
/// with AWS's codes, messages and statuses: the CLI and SDKs show and branch on them.
struct S3Error: Error, Sendable {
    var code: String
    var message: String
    var status: HTTPResponse.Status
    /// Extra elements AWS adds for some errors (`BucketName`, `Key`, `AWSAccessKeyId`, …).
    var details: [(String, String)] = []

    func response(requestID: String = RandomID.hex(16), head: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        headers[HTTPField.Name("x-amz-request-id")!] = requestID
        if head { return Response(status: status, headers: headers) }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(XMLText.escaped(message))</Message>"
        for (name, value) in details { xml += "<\(name)>\(XMLText.escaped(value))</\(name)>" }
        xml += "<RequestId>\(requestID)</RequestId><HostId>\(requestID)</HostId></Error>"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}

extension S3Error {
    static let accessDenied = S3Error(code: "AccessDenied", message: "Access Denied", status: .forbidden)
    static let signatureDoesNotMatch = S3Error(
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        status: .forbidden)
    static let requestTimeTooSkewed = S3Error(
        code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large.",
        status: .forbidden)
    static let presignedExpired = S3Error(code: "AccessDenied", message: "Request has expired", status: .forbidden)
    static let invalidToken = S3Error(code: "InvalidToken", message: "The provided token is malformed or otherwise invalid.",
                                      status: .badRequest)
    static let expiredToken = S3Error(code: "ExpiredToken", message: "The provided token has expired.", status: .badRequest)
    static let contentSHA256Mismatch = S3Error(
        code: "XAmzContentSHA256Mismatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        status: .badRequest)
    static let missingContentSHA256 = S3Error(
        code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256", status: .badRequest)
    static let invalidContentSHA256 = S3Error(
        code: "InvalidArgument",
        message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
            + "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        status: .badRequest)
    static let missingContentLength = S3Error(
        code: "MissingContentLength", message: "You must provide the Content-Length HTTP header.", status: .init(code: 411))
    static let incompleteBody = S3Error(
        code: "IncompleteBody", message: "You did not provide the number of bytes specified by the Content-Length HTTP header",
        status: .badRequest)
    /// A body read whole (a configuration, a DeleteObjects list) larger than Lambent reads.
    static let maxMessageLengthExceeded = S3Error(code: "MaxMessageLengthExceeded", message: "Your request was too big.", status: .badRequest)
    static let serviceUnavailable = S3Error(
        code: "ServiceUnavailable", message: "Service is unable to handle request.", status: .serviceUnavailable)
    static let slowDown = S3Error(code: "SlowDown", message: "Please reduce your request rate.", status: .serviceUnavailable)
    static let notImplemented = S3Error(
        code: "NotImplemented", message: "A header you provided implies functionality that is not implemented", status: .notImplemented)
    static let malformedXML = S3Error(
        code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema", status: .badRequest)

    static func invalidAccessKeyID(_ id: String) -> S3Error {
        S3Error(code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.",
                status: .forbidden, details: [("AWSAccessKeyId", id)])
    }

    static func invalidBucketName(_ name: String) -> S3Error {
        S3Error(code: "InvalidBucketName", message: "The specified bucket is not valid.", status: .badRequest,
                details: [("BucketName", name)])
    }

    static func noSuchBucket(_ name: String) -> S3Error {
        S3Error(code: "NoSuchBucket", message: "The specified bucket does not exist", status: .notFound, details: [("BucketName", name)])
    }

    static let keyTooLong = S3Error(code: "KeyTooLongError", message: "Your key is too long", status: .badRequest)

    static func entityTooLarge(_ size: Int64, maximum: Int64 = S3Limits.maximumSinglePut) -> S3Error {
        S3Error(code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size", status: .badRequest,
                details: [("ProposedSize", String(size)), ("MaxSizeAllowed", String(maximum))])
    }

    static func entityTooSmall(_ size: Int64, minimum: Int64) -> S3Error {
        S3Error(code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size", status: .badRequest,
                details: [("ProposedSize", String(size)), ("MinSizeAllowed", String(minimum))])
    }

    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var details: [(String, String)] = []
        if let name { details.append(("ArgumentName", name)) }
        if let value { details.append(("ArgumentValue", value)) }
        return S3Error(code: "InvalidArgument", message: message, status: .badRequest, details: details)
    }
}

// Browser-based uploads (POST Object). S3 documents few of these; the codes, messages and
// elements are those S3 was recorded answering (LocalStack's validated POST recordings, and
// answers quoted in client libraries' issues); the documented `RequestIsNotMultiPartContent`
// and `UserKeyMustBeSpecified` are not what S3 sends.
extension S3Error {
    static let postNotMultipart = S3Error(
        code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold",
        status: .preconditionFailed, details: [("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")])
    static let malformedPOSTRequest = S3Error(
        code: "MalformedPOSTRequest", message: "The body of your POST request is not well-formed multipart/form-data.",
        status: .badRequest)
    static let postNeedsOneFile = S3Error.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")
    static let postFieldsTooLarge = S3Error(
        code: "MaxPostPreDataLengthExceeded", message: "Your POST request fields preceeding the upload file was too large.",
        status: .badRequest, details: [("MaxPostPreDataLengthBytes", String(S3Limits.maximumPostFieldBytes))])
    static let postPolicyExpired = S3Error(code: "AccessDenied", message: "Invalid according to Policy: Policy expired.", status: .forbidden)

    /// A field the form must carry (`key`, and the signature's fields, all or none), named as
    /// S3 names it (`X-Amz-Signature`); fields after `file` are not read, hence the hint.
    static func postFieldMissing(_ name: String) -> S3Error {
        .invalidArgument("Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
                         name: name, value: "")
    }

    /// `condition` as S3 prints it: a JSON array, `["eq", "$key", "user/1.jpg"]` (simple
    /// conditions too), in the policy's spelling.
    static func postConditionFailed(_ condition: String) -> S3Error {
        S3Error(code: "AccessDenied", message: "Invalid according to Policy: Policy Condition failed: \(condition)", status: .forbidden)
    }

    /// Fields no condition names, as sent.
    static func postExtraFields(_ names: [String]) -> S3Error {
        S3Error(code: "AccessDenied", message: "Invalid according to Policy: Extra input fields: \(names.joined(separator: ", "))",
                status: .forbidden)
    }

    /// A policy that does not parse: `Invalid Policy: Invalid JSON.` and the like.
    static func invalidPolicyDocument(_ problem: String) -> S3Error {
        S3Error(code: "InvalidPolicyDocument", message: "Invalid Policy: \(problem)", status: .badRequest)
    }

    /// The signature of a policy: S3 shows what it signed (the policy field as sent) and its bytes.
    static func postSignatureDoesNotMatch(accessKeyID: String, policy: String, signature: String) -> S3Error {
        var error = signatureDoesNotMatch
        error.details = [("AWSAccessKeyId", accessKeyID), ("StringToSign", policy), ("SignatureProvided", signature),
                         ("StringToSignBytes", policy.utf8.map { String(format: "%02x", $0) }.joined(separator: " "))]
        return error
    }

    static let postAlgorithmUnsupported = S3Error.invalidArgument(
        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", name: "X-Amz-Algorithm")

    /// SeaweedFS makes `a/` a folder and drops bytes put under it: refused rather than lost.
    static let folderKeepsNoBytes = S3Error(
        code: "NotImplemented",
        message: "Lambent's object store (SeaweedFS) keeps no bytes under a key ending in '/': only an empty folder marker can be put there.",
        status: .notImplemented)
}

/// S3's limits that Lambent enforces itself (the object store enforces the rest).
enum S3Limits {
    /// A single PUT: 5 GiB.
    static let maximumSinglePut: Int64 = 5 * 1024 * 1024 * 1024
    /// A key: 1,024 bytes of UTF-8.
    static let maximumKeyBytes = 1024
    /// A browser-based upload's form before its file: 20 KiB.
    static let maximumPostFieldBytes = 20 * 1024
}

/// Escaping text for XML (S3's answers) and HTML (the console's pages, through `HTML.escape`).
enum XMLText {
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
