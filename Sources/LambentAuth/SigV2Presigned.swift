import Crypto
import Foundation

/// S3's presigned URLs of Signature Version 2 (`?AWSAccessKeyId=…&Expires=…&Signature=…`),
/// which boto3 and `aws s3 presign` still make by default for S3 in us-east-1: the
/// base64 HMAC-SHA1 of the method, `Content-MD5`, `Content-Type`, the expiry, the `x-amz-*`
/// headers and the resource (`/bucket/key` as sent, with its subresources).
public enum SigV2Presigned {
    /// Whether a query string carries a version 2 presigned signature.
    public static func isPresigned(query: String) -> Bool {
        let names = Set(query.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "" })
        return names.contains("AWSAccessKeyId") && names.contains("Signature") && names.contains("Expires")
    }

    /// Verifies a version 2 presigned request; returns the access key id.
    /// - Parameter resourcePath: the path as sent, with the bucket first (for a virtual-hosted
    ///   request, `/<bucket>` followed by its path).
    public static func verify(
        method: String, resourcePath: String, query: String, headers: [(name: String, value: String)],
        lookup: (String) -> AccessKey?, now: Date = Date()
    ) throws(SigV4Error) -> String {
        var parameters: [(name: String, value: String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(decoding: PercentEncoding.decode(text.utf8), as: UTF8.self) }
            parameters.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
        func value(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
        guard let keyID = value("AWSAccessKeyId"), let expires = value("Expires"), let signature = value("Signature"),
              let expiry = Int64(expires) else { throw .missingAuthenticationToken }
        guard let key = lookup(keyID) else { throw .unrecognizedClient }
        guard Int64(now.timeIntervalSince1970) <= expiry else { throw .presignedRequestExpired }

        func header(_ name: String) -> String {
            headers.first { $0.name.lowercased() == name }?.value ?? ""
        }
        var amzHeaders: [String: [String]] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-amz-") {
            amzHeaders[name.lowercased(), default: []].append(value.trimmingCharacters(in: .whitespaces))
        }
        if let token = value("x-amz-security-token"), amzHeaders["x-amz-security-token"] == nil {
            amzHeaders["x-amz-security-token"] = [token]
        }
        var stringToSign = "\(method.uppercased())\n\(header("content-md5"))\n\(header("content-type"))\n\(expires)\n"
        for name in amzHeaders.keys.sorted() { stringToSign += "\(name):\(amzHeaders[name]!.joined(separator: ","))\n" }
        stringToSign += resourcePath
        let subresources = parameters.filter { subresourceNames.contains($0.name) }.sorted { $0.name < $1.name }
        if !subresources.isEmpty {
            stringToSign += "?" + subresources.map { $0.value.isEmpty && !valuedSubresources.contains($0.name) ? $0.name : "\($0.name)=\($0.value)" }
                .joined(separator: "&")
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(stringToSign.utf8), using: SymmetricKey(data: Array(key.secretAccessKey.utf8)))
        let expected = Data(mac).base64EncodedString()
        guard Hex.constantTimeEquals(Array(expected.utf8), signature.utf8) else { throw .signatureDoesNotMatch }
        return keyID
    }

    /// The query parameters S3 signs as part of the resource.
    static let subresourceNames: Set<String> = [
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId",
        "versioning", "versions", "website",
    ]

    /// Subresources written `name=value` even when the value is empty.
    static let valuedSubresources: Set<String> = []
}
