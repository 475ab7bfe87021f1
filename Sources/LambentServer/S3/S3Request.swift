import HTTPTypes
import Hummingbird
import LambentAuth

/// Where an S3 request points: a bucket and key from the path (`/<bucket>/<key>`) or, for
/// virtual-hosted requests, the host (`<bucket>.s3.localhost`) and the path.
struct S3Address: Sendable, Equatable {
    var bucket: String?
    /// The key as sent on the wire (percent-encoded), without its leading `/`.
    var rawKey: Substring
    /// The decoded key.
    var key: String { String(decoding: PercentDecoding.decode(rawKey.utf8), as: UTF8.self) }
    var hasKey: Bool { !rawKey.isEmpty }

    /// The path-style path on the object store: `/<bucket>/<key>` as sent.
    var backendPath: String {
        guard let bucket else { return "/" }
        return rawKey.isEmpty ? "/\(bucket)" : "/\(bucket)/\(rawKey)"
    }

    init(bucket: String?, rawKey: Substring) {
        self.bucket = bucket
        self.rawKey = rawKey
    }

    /// Reads the address of a request: virtual-hosted when the host is `<bucket>.s3.<anything>`.
    init(path: String, host: String?) {
        if let bucket = host.flatMap(Self.virtualHostedBucket) {
            self.init(bucket: bucket, rawKey: path.utf8.first == UInt8(ascii: "/") ? path.dropFirst() : Substring(path))
            return
        }
        let trimmed = path.drop { $0 == "/" }
        guard !trimmed.isEmpty else {
            self.init(bucket: nil, rawKey: "")
            return
        }
        if let slash = trimmed.firstIndex(of: "/") {
            self.init(bucket: String(decoding: PercentDecoding.decode(trimmed[..<slash].utf8), as: UTF8.self),
                      rawKey: trimmed[trimmed.index(after: slash)...])
        } else {
            self.init(bucket: String(decoding: PercentDecoding.decode(trimmed.utf8), as: UTF8.self), rawKey: "")
        }
    }

    /// `photos` of `photos.s3.localhost:9550` or `photos.s3.us-east-1.localhost`.
    static func virtualHostedBucket(_ host: String) -> String? {
        let name = host.split(separator: ":", maxSplits: 1).first.map(String.init) ?? host
        guard let range = name.range(of: ".s3.") ?? (name.hasSuffix(".s3") ? name.range(of: ".s3", options: .backwards) : nil),
              range.lowerBound != name.startIndex else { return nil }
        return String(name[..<range.lowerBound])
    }
}

/// The S3 operations Lambent tells apart: the ones it answers itself, the ones that raise
/// bucket notifications, and the ones functions' own credentials may call. Everything else is
/// forwarded as it is.
enum S3Operation: Equatable, Sendable {
    case listBuckets
    case createBucket
    case deleteBucket
    case headBucket
    case listObjects
    case putBucketNotification
    case getBucketNotification
    case otherBucketOperation(String)
    case deleteObjects
    case putObject
    case copyObject
    case postObject
    case getObject
    case headObject
    case deleteObject
    case createMultipartUpload
    case uploadPart
    case completeMultipartUpload
    case abortMultipartUpload
    case listParts
    case otherObjectOperation(String)

    init(method: HTTPRequest.Method, address: S3Address, query: Set<String>, headers: HTTPFields) {
        guard address.bucket != nil else {
            self = .listBuckets
            return
        }
        let subresources = query.subtracting(S3Operation.listParameters)
        if !address.hasKey {
            switch method {
            case .put where subresources.contains("notification"): self = .putBucketNotification
            case .get where subresources.contains("notification"): self = .getBucketNotification
            case .put where subresources.isEmpty: self = .createBucket
            case .delete where subresources.isEmpty: self = .deleteBucket
            case .head: self = .headBucket
            case .get where subresources.isEmpty: self = .listObjects
            case .post where subresources.contains("delete"): self = .deleteObjects
            case .post where subresources.isEmpty: self = .postObject
            default: self = .otherBucketOperation(subresources.sorted().first ?? method.rawValue)
            }
            return
        }
        let copies = headers[HTTPField.Name("x-amz-copy-source")!] != nil
        switch method {
        case .put where subresources.contains("uploadId"): self = .uploadPart
        case .put where subresources.isEmpty: self = copies ? .copyObject : .putObject
        case .get where subresources.contains("uploadId"): self = .listParts
        case .get where subresources.isEmpty || subresources.isSubset(of: S3Operation.getObjectParameters): self = .getObject
        case .head: self = .headObject
        case .post where subresources.contains("uploads"): self = .createMultipartUpload
        case .post where subresources.contains("uploadId"): self = .completeMultipartUpload
        case .delete where subresources.contains("uploadId"): self = .abortMultipartUpload
        case .delete where subresources.isEmpty || subresources == ["versionId"]: self = .deleteObject
        default: self = .otherObjectOperation(subresources.sorted().first ?? method.rawValue)
        }
    }

    /// Query parameters of listings and presigned URLs, which are not subresources.
    static let listParameters: Set<String> = [
        "prefix", "delimiter", "marker", "max-keys", "list-type", "continuation-token", "start-after", "fetch-owner",
        "encoding-type", "x-id", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Security-Token", "expected-bucket-owner", "AWSAccessKeyId", "Signature", "Expires",
        "x-amz-security-token",
    ]

    /// GetObject's own parameters (response header overrides, ranges by part, versions).
    static let getObjectParameters: Set<String> = [
        "versionId", "partNumber", "response-content-type", "response-content-language", "response-expires",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
    ]

    /// The IAM action, for refusals (`s3:PutObject`).
    var action: String {
        switch self {
        case .listBuckets: "s3:ListAllMyBuckets"
        case .createBucket: "s3:CreateBucket"
        case .deleteBucket: "s3:DeleteBucket"
        case .headBucket, .listObjects: "s3:ListBucket"
        case .putBucketNotification: "s3:PutBucketNotification"
        case .getBucketNotification: "s3:GetBucketNotification"
        case .otherBucketOperation(let name): "s3:\(name)"
        case .deleteObjects, .deleteObject: "s3:DeleteObject"
        case .putObject, .copyObject, .postObject, .createMultipartUpload, .uploadPart, .completeMultipartUpload: "s3:PutObject"
        case .getObject, .headObject: "s3:GetObject"
        case .abortMultipartUpload: "s3:AbortMultipartUpload"
        case .listParts: "s3:ListMultipartUploadParts"
        case .otherObjectOperation(let name): "s3:\(name)"
        }
    }

    /// What a function's own credentials may do: read, write and delete objects and list
    /// buckets' contents; nothing that configures a bucket.
    var isDataPlane: Bool {
        switch self {
        case .headBucket, .listObjects, .deleteObjects, .putObject, .copyObject, .postObject, .getObject, .headObject, .deleteObject,
             .createMultipartUpload, .uploadPart, .completeMultipartUpload, .abortMultipartUpload, .listParts:
            true
        default:
            false
        }
    }
}

/// Percent-decoding of URL parts (SigV4's, which leaves `+` alone).
enum PercentDecoding {
    static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] { PercentEncoding.decode(bytes) }
    static func decode(_ text: Substring) -> String { String(decoding: decode(text.utf8), as: UTF8.self) }
}

/// The parameters of a raw query string, decoded, in order.
struct S3Query: Sendable {
    var pairs: [(name: String, value: String)]

    init(_ raw: String) {
        pairs = raw.split(separator: "&", omittingEmptySubsequences: true).map { piece in
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (PercentDecoding.decode(parts[0]), parts.count > 1 ? PercentDecoding.decode(parts[1]) : "")
        }
    }

    var names: Set<String> { Set(pairs.map(\.name)) }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// The raw query without a presigned URL's authentication parameters.
    static func withoutPresigning(_ raw: String) -> String {
        raw.split(separator: "&", omittingEmptySubsequences: true)
            .filter { piece in !presigningParameters.contains(where: { piece.hasPrefix($0 + "=") || piece == $0 }) }
            .joined(separator: "&")
    }

    static let presigningParameters = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
        "X-Amz-Security-Token", "AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token",
    ]
}

extension S3Address {
    /// Whether a request is for S3: its credential scope names `s3`, its host is
    /// virtual-hosted (`<bucket>.s3.<domain>`), or it posts a form to a bucket (a browser-based
    /// upload, whose signature is in the form).
    /// Whether `text` contains `needle`, compared byte by byte.
    static func contains(_ text: String, _ needle: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            let count = needle.utf8CodeUnitCount
            guard count > 0, haystack.count >= count else { return count == 0 }
            let first = needle.utf8Start[0]
            for start in 0...(haystack.count - count) where haystack[start] == first {
                var offset = 1
                while offset < count, haystack[start + offset] == needle.utf8Start[offset] { offset += 1 }
                if offset == count { return true }
            }
            return false
        }
    }

    static func isS3(_ request: Request) -> Bool {
        if let authorization = request.headers[.authorization] {
            // On the bytes: Foundation's `contains` goes through NSString (and the standard
            // library's `firstRange(of:)` through unspecialized generics), and every request to
            // the port, Lambda's too, passes here first.
            return Self.contains(authorization, "/s3/aws4_request")
        }
        if let query = request.uri.query, let credential = query.range(of: "X-Amz-Credential=") {
            let rest = query[credential.upperBound...]
            let value = rest.prefix { $0 != "&" }
            return value.contains("%2Fs3%2Faws4_request") || value.contains("/s3/aws4_request")
        }
        if let query = request.uri.query, SigV2Presigned.isPresigned(query: query) { return true }
        return request.head.authority.flatMap(virtualHostedBucket) != nil || S3PostForm.isUpload(request)
    }
}
