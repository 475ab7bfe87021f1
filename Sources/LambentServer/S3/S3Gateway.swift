import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import LambentAuth
import LambentModel
import Logging
import NIOCore
import NIOHTTP1

/// Lambent's S3 front end: every request whose SigV4 scope names `s3` (or whose host is
/// `<bucket>.s3.<domain>`) is answered here, before Lambda's routes. The signature is checked
/// with Lambent's credentials (header, presigned URL, `aws-chunked` bodies chunk by chunk),
/// functions' own credentials are held to objects, bucket notifications are answered and
/// raised here, and everything else streams to and from the object store, re-signed with
/// the store's own key. Answers and errors are S3's.
struct S3Gateway: RouterMiddleware {
    typealias Context = LambentRequestContext
    let verifier: SigV4Verifier
    let platform: PlatformCredentials
    let names: ResourceNames
    let objects: any ObjectStore
    let http: ObjectStoreClient
    let notifications: BucketNotifications
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard S3Address.isS3(request) else { return try await next(request, context) }
        let requestID = RandomID.hex(16)
        do {
            return try await serve(request, context: context, requestID: requestID)
        } catch let error as S3Error {
            return error.response(requestID: requestID, head: request.method == .head)
        } catch {
            logger.error("S3 request failed", metadata: ["lambent.error": "\(error)"])
            return S3Error(code: "InternalError", message: "We encountered an internal error. Please try again.",
                           status: .internalServerError).response(requestID: requestID, head: request.method == .head)
        }
    }

    private func serve(_ request: Request, context: Context, requestID: String) async throws -> Response {
        let address = S3Address(path: request.uri.path, host: request.head.authority)
        let rawQuery = request.uri.query ?? ""
        let query = S3Query(rawQuery)
        let operation = S3Operation(method: request.method, address: address, query: query.names, headers: request.headers)
        let (verified, check) = try authenticate(request, operation: operation, address: address)

        if let bucket = address.bucket, operation == .createBucket, !BucketNames.isValid(bucket) {
            throw S3Error.invalidBucketName(bucket)
        }
        if address.hasKey, address.key.utf8.count > S3Limits.maximumKeyBytes { throw S3Error.keyTooLong }
        let length = try bodyLength(request, check: check)
        if let length, length > S3Limits.maximumSinglePut, operation == .putObject { throw S3Error.entityTooLarge(length) }

        switch operation {
        case .putBucketNotification, .getBucketNotification:
            return try await notificationConfiguration(request, operation: operation, address: address, requestID: requestID)
        case .postObject:
            throw S3Error.notImplemented
        default:
            break
        }

        let endpoint = try await objects.endpoint()
        let failure = S3UploadBody.Problem()
        let response = try await forward(request, address: address, rawQuery: rawQuery, length: length, check: check,
                                         failure: failure, endpoint: endpoint)
        let status = HTTPResponse.Status(code: Int(response.status.code))
        let head = request.method == .head
        guard (200..<300).contains(status.code), let bucket = address.bucket else {
            return Self.response(response, head: head, body: head ? nil : response.body)
        }
        if operation == .deleteBucket { try await notifications.bucketDeleted(bucket) }
        let event = BucketNotifications.ObjectEvent(
            bucket: bucket, key: address.key, name: "", accessKeyID: verified.accessKeyID,
            sourceIP: context.remoteIP ?? "127.0.0.1", requestID: response.headers.first(name: "x-amz-request-id") ?? requestID)
        return try await raiseEvents(operation, event: event, request: request, response: response, length: length,
                                     endpoint: endpoint)
    }

    // MARK: Authentication

    /// Checks the signature and, for a function's credentials, their token, expiry and scope.
    private func authenticate(_ request: Request, operation: S3Operation, address: S3Address) throws
        -> (VerifiedSignature, S3UploadBody.Check)
    {
        let signable = SignableRequest(request)
        let presigned = SigV4Verifier.isPresigned(signable)
        let declared: String
        if let header = request.headers[HTTPField.Name("x-amz-content-sha256")!] {
            declared = header
        } else if presigned {
            declared = "UNSIGNED-PAYLOAD"
        } else if request.headers[.authorization] != nil {
            throw S3Error.missingContentSHA256
        } else {
            throw S3Error.accessDenied
        }
        let verified: VerifiedSignature
        do {
            verified = try verifier.verifyS3(signable, declaredPayloadHash: declared)
        } catch {
            throw Self.s3Error(error, presigned: presigned, request: signable)
        }
        let check: S3UploadBody.Check
        switch declared {
        case "UNSIGNED-PAYLOAD": check = .none
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": check = .chunked(verified.chunks, trailer: false)
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": check = .chunked(verified.chunks, trailer: true)
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": check = .chunked(nil, trailer: true)
        default:
            guard declared.utf8.count == 64, declared.utf8.allSatisfy({ Self.isHexDigit($0) }) else { throw S3Error.invalidContentSHA256 }
            check = .sha256(declared.lowercased())
        }
        if let session = platform.session(verified.accessKeyID) {
            let token = request.headers[HTTPField.Name("x-amz-security-token")!] ?? S3Query(request.uri.query ?? "")["X-Amz-Security-Token"]
            guard token == session.token else { throw S3Error.invalidToken }
            guard session.expires > Date() else { throw S3Error.expiredToken }
            guard operation.isDataPlane else {
                let roleName = session.role.split(separator: "/").last.map(String.init) ?? "lambda"
                let resource = "arn:aws:s3:::" + (address.bucket ?? "") + (address.hasKey ? "/" + address.key : "")
                throw S3Error(
                    code: "AccessDenied",
                    message: "User: arn:aws:sts::\(names.accountID):assumed-role/\(roleName)/\(session.function) is not authorized to perform: "
                        + "\(operation.action) on resource: \"\(resource)\" because no identity-based policy allows the \(operation.action) action",
                    status: .forbidden)
            }
        }
        return (verified, check)
    }

    static func s3Error(_ error: SigV4Error, presigned: Bool, request: SignableRequest) -> S3Error {
        switch error.code {
        case .unrecognizedClient:
            let credential = request.firstValueForS3(of: "authorization").flatMap { header in
                header.range(of: "Credential=").map { String(header[$0.upperBound...].prefix { $0 != "/" }) }
            } ?? S3Query(request.query)["X-Amz-Credential"].map { String($0.prefix { $0 != "/" }) } ?? ""
            return .invalidAccessKeyID(credential)
        case .invalidSignature: return .signatureDoesNotMatch
        case .signatureExpired: return presigned && error.message.hasPrefix("Request has expired") ? .presignedExpired : .requestTimeTooSkewed
        case .missingAuthentication: return .accessDenied
        default: return S3Error(code: "AuthorizationHeaderMalformed", message: error.message, status: .badRequest)
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// The length of the body the store will get: `x-amz-decoded-content-length` for
    /// `aws-chunked` bodies, else `Content-Length`; nil when the client streams without one.
    private func bodyLength(_ request: Request, check: S3UploadBody.Check) throws -> Int64? {
        if case .chunked = check {
            guard let decoded = request.headers[HTTPField.Name("x-amz-decoded-content-length")!].flatMap({ Int64($0) }) else {
                throw S3Error.missingContentLength
            }
            return decoded
        }
        return request.headers[.contentLength].flatMap { Int64($0) }
    }

    // MARK: Forwarding

    /// Headers never forwarded: the client's authentication (the store gets Lambent's),
    /// hop-by-hop headers, and the `aws-chunked` framing (the store gets the decoded body).
    static let droppedHeaders: Set<String> = [
        "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "host", "content-length",
        "transfer-encoding", "connection", "keep-alive", "expect", "te", "upgrade", "proxy-authorization",
        "x-amz-decoded-content-length", "x-amz-trailer", "x-amz-sdk-checksum-algorithm",
    ]

    private func forward(
        _ request: Request, address: S3Address, rawQuery: String, length: Int64?, check: S3UploadBody.Check,
        failure: S3UploadBody.Problem, endpoint: ObjectStoreEndpoint
    ) async throws -> HTTPClientResponse {
        let query = S3Query.withoutPresigning(rawQuery)
        let path = address.backendPath
        var headers: [(name: String, value: String)] = [("host", endpoint.host), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        var chunked = false
        if case .chunked = check { chunked = true }
        for field in request.headers {
            let name = field.name.canonicalName
            if Self.droppedHeaders.contains(name) { continue }
            if name.hasPrefix("x-amz-checksum-") && chunked { continue }
            if name == "content-encoding" {
                let codings = field.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "aws-chunked" }
                if !codings.isEmpty { headers.append((name, codings.joined(separator: ","))) }
                continue
            }
            headers.append((name, field.value))
        }
        let signed = endpoint.signer.sign(method: request.method.rawValue, path: path, query: query, headers: headers,
                                          body: [UInt8](), date: Date())
        var outgoing = HTTPClientRequest(url: endpoint.base + path + (query.isEmpty ? "" : "?" + query))
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for (name, value) in headers + signed { outgoing.headers.add(name: name, value: value) }
        let hasBody = (length ?? 0) > 0 || (length == nil && request.headers[.transferEncoding] != nil)
        if hasBody {
            outgoing.body = .stream(S3UploadBody(source: request.body, check: check, failure: failure),
                                    length: length.map { .known($0) } ?? .unknown)
        } else if case .sha256(let declared) = check, declared != Self.emptySHA256 {
            throw S3Error.contentSHA256Mismatch
        }
        do {
            return try await http.client.execute(outgoing, timeout: .hours(12))
        } catch {
            if let recorded = failure.value { throw recorded }
            if (error as? HTTPClientError) == .bodyLengthMismatch { throw S3Error.incompleteBody }
            logger.warning("the object store did not answer", metadata: ["lambent.error": "\(error)"])
            await objects.unreachable()
            throw S3Error.serviceUnavailable
        }
    }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Hop-by-hop headers of the store's answer, which Hummingbird writes itself.
    static let droppedResponseHeaders: Set<String> = ["connection", "keep-alive", "transfer-encoding"]

    static func response(_ response: HTTPClientResponse, head: Bool, body: (any AsyncSequence<ByteBuffer, any Error> & Sendable)?,
                         bytes: ByteBuffer? = nil) -> Response {
        var fields = HTTPFields()
        for header in response.headers where !droppedResponseHeaders.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        if let bytes {
            fields[.contentLength] = String(bytes.readableBytes)
            return Response(status: status, headers: fields, body: .init(byteBuffer: bytes))
        }
        guard let body else { return Response(status: status, headers: fields) }
        let length = fields[.contentLength].flatMap { Int($0) }
        return Response(status: status, headers: fields, body: ResponseBody(contentLength: length) { writer in
            for try await buffer in body { try await writer.write(buffer) }
            try await writer.finish(nil)
        })
    }

    // MARK: Notifications

    private func notificationConfiguration(_ request: Request, operation: S3Operation, address: S3Address, requestID: String)
        async throws -> Response
    {
        guard let bucket = address.bucket else { throw S3Error.accessDenied }
        try await requireBucket(bucket)
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-request-id")!] = requestID
        if operation == .getBucketNotification {
            headers[.contentType] = "application/xml"
            let xml = NotificationXML.render(try await notifications.configuration(of: bucket))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
        }
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let skip = request.headers[HTTPField.Name("x-amz-skip-destination-validation")!]?.lowercased() == "true"
        try await notifications.put(Data(buffer: body), bucket: bucket, skipValidation: skip, requestID: requestID)
        return Response(status: .ok, headers: headers)
    }

    /// S3's `NoSuchBucket` for a bucket the store does not have.
    private func requireBucket(_ bucket: String) async throws {
        let endpoint = try await objects.endpoint()
        let response = try await send(method: "HEAD", path: "/" + Self.encodedSegment(bucket), endpoint: endpoint)
        if response.status == .notFound { throw S3Error.noSuchBucket(bucket) }
        guard response.status == .ok else { throw S3Error.serviceUnavailable }
    }

    /// A request of Lambent's own to the store (HEAD of a bucket, or of an object for its size).
    private func send(method: String, path: String, endpoint: ObjectStoreEndpoint) async throws -> HTTPClientResponse {
        let headers = [("host", endpoint.host), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        var request = HTTPClientRequest(url: endpoint.base + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers + endpoint.signer.sign(method: method, path: path, query: "", headers: headers, body: [UInt8](),
                                                             date: Date()) {
            request.headers.add(name: name, value: value)
        }
        do {
            let response = try await http.client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response
        } catch {
            await objects.unreachable()
            throw S3Error.serviceUnavailable
        }
    }

    static func encodedSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// Raises the bucket's events for a successful object operation — queued durably before
    /// the answer goes back — and returns the answer. Operations without a wanting target
    /// stream their answer straight through.
    private func raiseEvents(
        _ operation: S3Operation, event: BucketNotifications.ObjectEvent, request: Request, response: HTTPClientResponse,
        length: Int64?, endpoint: ObjectStoreEndpoint
    ) async throws -> Response {
        let head = request.method == .head
        var event = event
        switch operation {
        case .putObject:
            event.name = "ObjectCreated:Put"
        case .copyObject:
            event.name = "ObjectCreated:Copy"
        case .completeMultipartUpload:
            event.name = "ObjectCreated:CompleteMultipartUpload"
        case .deleteObject:
            event.name = "ObjectRemoved:Delete"
        case .deleteObjects:
            event.name = "ObjectRemoved:Delete"
            guard try await notifications.wants(bucket: event.bucket, eventName: event.name, key: nil) else {
                return Self.response(response, head: head, body: response.body)
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            for key in NotificationXML.values(of: "Deleted/Key", in: Data(buffer: body)) {
                var deleted = event
                deleted.key = key
                try await notifications.raise(deleted)
            }
            return Self.response(response, head: head, body: nil, bytes: body)
        default:
            return Self.response(response, head: head, body: head ? nil : response.body)
        }
        guard try await notifications.wants(bucket: event.bucket, eventName: event.name, key: event.key) else {
            return Self.response(response, head: head, body: response.body)
        }
        event.versionID = response.headers.first(name: "x-amz-version-id").flatMap { $0 == "null" ? nil : $0 }
        var collected: ByteBuffer?
        switch operation {
        case .putObject:
            event.eTag = response.headers.first(name: "etag")
            event.size = length ?? 0
        case .copyObject, .completeMultipartUpload:
            let body = try await response.body.collect(upTo: 1 << 20)
            collected = body
            let data = Data(buffer: body)
            guard NotificationXML.rootName(data) != "Error" else { return Self.response(response, head: head, body: nil, bytes: body) }
            event.eTag = NotificationXML.values(of: "ETag", in: data).first
            let object = try await send(method: "HEAD", path: event.bucket.isEmpty ? "/" : "/\(Self.encodedSegment(event.bucket))/"
                                            + event.key.split(separator: "/", omittingEmptySubsequences: false)
                                            .map { Self.encodedSegment(String($0)) }.joined(separator: "/"),
                                        endpoint: endpoint)
            event.size = object.headers.first(name: "content-length").flatMap { Int64($0) }
            if event.eTag == nil { event.eTag = object.headers.first(name: "etag") }
        default:
            break
        }
        try await notifications.raise(event)
        if let collected { return Self.response(response, head: head, body: nil, bytes: collected) }
        return Self.response(response, head: head, body: response.body)
    }
}

extension SignableRequest {
    func firstValueForS3(of name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}

/// S3's bucket naming rules (general purpose buckets).
enum BucketNames {
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        let allowed = bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard allowed, let first = bytes.first, let last = bytes.last,
              first != UInt8(ascii: "-"), first != UInt8(ascii: "."), last != UInt8(ascii: "-"), last != UInt8(ascii: ".") else { return false }
        if name.contains("..") || name.hasPrefix("xn--") || name.hasPrefix("sthree-") || name.hasSuffix("-s3alias")
            || name.hasSuffix("--ol-s3") { return false }
        let octets = name.split(separator: ".")
        if octets.count == 4 && octets.allSatisfy({ Int($0) != nil }) { return false }
        return true
    }
}
