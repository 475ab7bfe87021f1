import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LambentAuth
import NIOCore

/// S3's POST Object: a browser-based upload. An HTML form (`multipart/form-data`, posted to the
/// bucket's URL) carries the key, the object's headers, a base64 policy and its signature
/// (SigV4: `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-signature`; or Signature
/// Version 2: `AWSAccessKeyId`, `signature`), then the file, as boto3's
/// `generate_presigned_post` makes them. The form is read as it arrives: its fields first, whose
/// signature and policy expiration are checked before the file is read; then the file, kept in
/// memory while small and spooled to disk beyond that (`S3PostedFile`), up to S3's 5 GiB; then
/// the policy's conditions (the file's length among them) are checked, the file is stored as a
/// PutObject would store it, and `s3:ObjectCreated:Post` is raised.
extension S3Gateway {
    func postObject(_ request: Request, context: Context, address: S3Address, requestID: String) async throws -> Response {
        guard let bucket = address.bucket else { throw S3Error.accessDenied }
        let boundary = try S3PostForm.boundary(contentType: request.headers[.contentType] ?? "")
        // The file, and around it the fields (S3's 20 KiB), the file part's headers and what
        // follows the file (which S3 ignores; some room for a submit button and the like).
        let formLimit = S3Limits.maximumSinglePut + Int64(S3PostFormReader.headLimit + 64 * 1024)
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > formLimit {
            throw S3Error.entityTooLarge(length)
        }
        var body = request.body.makeAsyncIterator()
        var reader = S3PostFormReader(boundary: boundary)
        var read: S3PostForm?
        while read == nil {
            let buffer = try await Self.nextBytes(&body)
            read = try reader.fields(adding: buffer, ended: buffer == nil)
        }
        guard var form = read else { throw S3Error.malformedPOSTRequest }
        guard form.bytesBeforeFile <= S3Limits.maximumPostFieldBytes else { throw S3Error.postFieldsTooLarge }
        guard form.hasFile else { throw S3Error.postNeedsOneFile }
        guard form["key"] != nil else { throw S3Error.postFieldMissing("key") }
        let (accessKeyID, signatureFields) = try authenticatePost(form, address: address)
        let policy = try S3PostPolicy(base64: form["policy"] ?? "")
        guard !policy.isExpired(at: Date()) else { throw S3Error.postPolicyExpired }
        form.expandFilename()

        let allowed = policy.maximumSize ?? S3Limits.maximumSinglePut
        let file = S3PostedFile(spoolDirectory: uploadSpool, keptAtMost: allowed)
        defer { file.remove() }
        while true {
            let buffer = try await Self.nextBytes(&body)
            let (content, ended) = try reader.file(adding: buffer)
            if content.readableBytes > 0 { try file.append(content) }
            if ended { break }
            guard buffer != nil else { throw S3Error.malformedPOSTRequest }
        }
        let size = file.size
        try policy.check(form, bucket: bucket, size: size, signatureFields: signatureFields)
        guard !file.dropped else { throw S3Error.entityTooLarge(size, maximum: allowed) }
        let key = form["key"] ?? ""
        guard !key.isEmpty else { throw S3Error.postFieldMissing("key") }
        guard key.utf8.count <= S3Limits.maximumKeyBytes else { throw S3Error.keyTooLong }
        if objects.keepsFolders, key.hasSuffix("/"), size > 0 { throw S3Error.folderKeepsNoBytes }

        let endpoint = try await objects.endpoint()
        let response = try await storePost(file.body(), bucket: bucket, key: key, headers: try Self.objectHeaders(form), endpoint: endpoint)
        guard (200..<300).contains(response.status.code) else { return try await Self.answer(response, head: false) }
        _ = try? await response.body.collect(upTo: 1 << 20)
        let eTag: String
        if let stored = response.headers.first(name: "etag") { eTag = Self.quoted(stored) } else { eTag = Self.quoted(try await file.md5()) }
        let versionID = response.headers.first(name: "x-amz-version-id")
        let storeRequestID = response.headers.first(name: "x-amz-request-id") ?? requestID

        var event = BucketNotifications.ObjectEvent(
            bucket: bucket, key: key, name: "ObjectCreated:Post", accessKeyID: accessKeyID,
            sourceIP: context.remoteIP ?? "127.0.0.1", requestID: storeRequestID)
        if try await notifications.wants(bucket: bucket, eventName: event.name, key: key) {
            event.eTag = eTag
            event.size = size
            event.versionID = versionID.flatMap { $0 == "null" ? nil : $0 }
            await notifications.raise(event)
        }
        return Self.postAnswer(form, request: request, bucket: bucket, key: key, eTag: eTag, versionID: versionID, requestID: storeRequestID)
    }

    /// The form's next bytes; nil at its end.
    private static func nextBytes(_ body: inout RequestBody.AsyncIterator) async throws(S3Error) -> ByteBuffer? {
        do {
            return try await body.next()
        } catch {
            throw .incompleteBody
        }
    }

    /// The form's signature, checked with Lambent's keys, and for a function's credentials their
    /// `x-amz-security-token` field; returns the access key id and the signature's fields.
    private func authenticatePost(_ form: S3PostForm, address: S3Address) throws -> (accessKeyID: String, signatureFields: Set<String>) {
        let accessKeyID: String
        let signatureFields: Set<String>
        let policy = form["policy"]
        if ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"].contains(where: { form[$0] != nil }) {
            for (name, label) in [("x-amz-algorithm", "X-Amz-Algorithm"), ("x-amz-credential", "X-Amz-Credential"),
                                  ("x-amz-date", "X-Amz-Date"), ("x-amz-signature", "X-Amz-Signature"), ("policy", "Policy")]
            where form[name] == nil {
                throw S3Error.postFieldMissing(label)
            }
            guard form["x-amz-algorithm"] == "AWS4-HMAC-SHA256" else { throw S3Error.postAlgorithmUnsupported }
            let credential = form["x-amz-credential"] ?? ""
            let signature = form["x-amz-signature"] ?? ""
            do {
                accessKeyID = try verifier.verifyPostPolicy(policy ?? "", credential: credential, signature: signature)
            } catch {
                let keyID = String(credential.prefix { $0 != "/" })
                switch error.code {
                case .unrecognizedClient: throw S3Error.invalidAccessKeyID(keyID)
                case .invalidSignature: throw S3Error.postSignatureDoesNotMatch(accessKeyID: keyID, policy: policy ?? "", signature: signature)
                default: throw S3Error.invalidArgument(error.message, name: "X-Amz-Credential", value: credential)
                }
            }
            signatureFields = ["policy", "x-amz-signature"]
        } else if ["awsaccesskeyid", "signature"].contains(where: { form[$0] != nil }) {
            for (name, label) in [("awsaccesskeyid", "AWSAccessKeyId"), ("signature", "Signature"), ("policy", "Policy")] where form[name] == nil {
                throw S3Error.postFieldMissing(label)
            }
            let keyID = form["awsaccesskeyid"] ?? ""
            let signature = form["signature"] ?? ""
            do {
                accessKeyID = try SigV2Presigned.verifyPostPolicy(policy ?? "", accessKeyID: keyID, signature: signature, lookup: lookup)
            } catch {
                if error.code == .unrecognizedClient { throw S3Error.invalidAccessKeyID(keyID) }
                throw S3Error.postSignatureDoesNotMatch(accessKeyID: keyID, policy: policy ?? "", signature: signature)
            }
            signatureFields = ["policy", "signature", "awsaccesskeyid"]
        } else {
            // Anonymous: only a publicly writable bucket takes it, and Lambent has none.
            throw S3Error.accessDenied
        }
        try checkSession(accessKeyID, operation: .postObject, address: address, token: form["x-amz-security-token"])
        return (accessKeyID, signatureFields)
    }

    /// Stores the file as a PutObject would, re-signed with the store's key.
    private func storePost(_ file: StoreRequest.Body, bucket: String, key: String, headers: [(name: String, value: String)],
                           endpoint: ObjectStoreEndpoint) async throws -> StoreResponse {
        let bucketPath = "/" + Self.encodedSegment(bucket)
        let path = bucketPath + "/"
            + key.split(separator: "/", omittingEmptySubsequences: false).map { Self.encodedSegment(String($0)) }.joined(separator: "/")
        let outgoing = endpoint.storeRequest(method: "PUT", path: path, headers: headers, body: file)
        let response: StoreResponse
        do {
            response = try await http.forwarding.execute(outgoing)
        } catch {
            logger.warning("the object store did not answer", metadata: ["lambent.error": "\(error)"])
            await objects.unreachable()
            throw S3Error.serviceUnavailable
        }
        if response.status.code >= 500 {
            // As for PutObject: a bucket the store does not have may come back as a 500.
            let head = endpoint.request(method: "HEAD", path: bucketPath)
            if let answer = try? await http.client.execute(head, timeout: .seconds(30)), answer.status == .notFound {
                throw S3Error.noSuchBucket(bucket)
            }
        }
        return response
    }

    /// The object's headers from the form: `Content-Type` (S3's default `binary/octet-stream`),
    /// the other REST headers, `x-amz-meta-*` (names in lower case, as S3 keeps them) and the
    /// other `x-amz-*` fields but the signature's, `acl` as `x-amz-acl`, `tagging` (XML) as
    /// `x-amz-tagging`.
    static func objectHeaders(_ form: S3PostForm) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("content-type", headerValue(form["content-type"] ?? "binary/octet-stream"))]
        var seen: Set<String> = ["content-type"]
        for field in form.fields {
            let name = field.name.lowercased()
            guard !seen.contains(name) else { continue }
            seen.insert(name)
            let value = form[name] ?? field.value
            if restHeaders.contains(name) || (name.hasPrefix("x-amz-") && !signatureHeaders.contains(name)) {
                headers.append((name, headerValue(value)))
            } else if name == "acl" {
                headers.append(("x-amz-acl", headerValue(value)))
            } else if name == "tagging" {
                headers.append(("x-amz-tagging", try tagging(value)))
            }
        }
        return headers
    }

    static let restHeaders: Set<String> = [
        "cache-control", "content-disposition", "content-encoding", "content-language", "content-md5", "expires",
    ]

    /// The form's signature fields, which are not the object's.
    static let signatureHeaders: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token",
    ]

    /// A value as a header can carry it: printable ASCII as it is, anything else RFC 2047
    /// encoded (`=?UTF-8?B?…?=`), as S3 returns such metadata.
    static func headerValue(_ value: String) -> String {
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return value }
        return "=?UTF-8?B?" + Data(value.utf8).base64EncodedString() + "?="
    }

    /// `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>…` as PutObject's
    /// `x-amz-tagging` (`k=v&…`). Not XML: `MalformedXML`; another document: no tags, as S3 does.
    static func tagging(_ xml: String) throws(S3Error) -> String {
        let data = Data(xml.utf8)
        guard let root = NotificationXML.rootName(data) else { throw .malformedXML }
        guard root == "Tagging" else { return "" }
        let keys = NotificationXML.values(of: "Tag/Key", in: data)
        let values = NotificationXML.values(of: "Tag/Value", in: data)
        guard keys.count == values.count else { throw .malformedXML }
        return zip(keys, values).map { formEncoded($0) + "=" + formEncoded($1) }.joined(separator: "&")
    }

    // MARK: The answer

    /// S3's answer to a stored upload: a 303 to `success_action_redirect` (or `redirect`) with
    /// `bucket`, `key` and `etag` added to its query, else `success_action_status`: 200 or 204
    /// empty, 201 with a `PostResponse` document; 204 when absent or anything else. ETag and
    /// Location (the object's URL, its key encoded, `/` too) as S3 sends them.
    static func postAnswer(_ form: S3PostForm, request: Request, bucket: String, key: String, eTag: String, versionID: String?,
                           requestID: String) -> Response {
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-request-id")!] = requestID
        headers[HTTPField.Name("x-amz-id-2")!] = requestID
        headers[.eTag] = eTag
        if let versionID { headers[HTTPField.Name("x-amz-version-id")!] = versionID }
        if let redirect = form["success_action_redirect"] ?? form["redirect"], let url = URL(string: redirect),
           ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil {
            headers[.location] = redirect + (redirect.contains("?") ? "&" : "?")
                + "bucket=\(formEncoded(bucket))&key=\(formEncoded(key))&etag=\(formEncoded(eTag))"
            return Response(status: .seeOther, headers: headers)
        }
        let location = objectURL(request, bucket: bucket, key: key)
        headers[.location] = location
        switch form["success_action_status"] {
        case "200":
            return Response(status: .ok, headers: headers)
        case "201":
            headers[.contentType] = "application/xml"
            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>\(XMLText.escaped(location))</Location>"
                + "<Bucket>\(XMLText.escaped(bucket))</Bucket><Key>\(XMLText.escaped(key))</Key><ETag>\(eTag)</ETag></PostResponse>"
            return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
        default:
            return Response(status: .noContent, headers: headers)
        }
    }

    /// The object's URL on the host the form was posted to: `http://<host>/<bucket>/<key>`, or
    /// `http://<bucket>.s3.<domain>/<key>` when it was posted there (`https` behind a proxy
    /// that says so).
    static func objectURL(_ request: Request, bucket: String, key: String) -> String {
        let scheme = request.headers[HTTPField.Name("x-forwarded-proto")!]?.lowercased() == "https" ? "https" : "http"
        let host = request.head.authority ?? "127.0.0.1"
        let virtual = S3Address.virtualHostedBucket(host) != nil
        return "\(scheme)://\(host)/" + (virtual ? "" : encodedSegment(bucket) + "/") + encodedSegment(key)
    }

    /// `"abc"`, as S3 quotes ETags.
    static func quoted(_ eTag: String) -> String {
        eTag.hasPrefix("\"") ? eTag : "\"\(eTag)\""
    }

    /// Form encoding, as S3 writes a redirect's query: a space is `+`, `/` is `%2F`.
    static func formEncoded(_ text: String) -> String { BucketNotifications.formEncoded(text) }
}
