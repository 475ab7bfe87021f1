import AsyncHTTPClient
import Crypto
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
    /// Lambent's root key (for SigV2 presigned URLs; SigV4 looks keys up through `verifier`).
    let rootKey: AccessKey
    let platform: PlatformCredentials
    let names: ResourceNames
    let objects: any ObjectStore
    let http: ObjectStoreClient
    let notifications: BucketNotifications
    /// Where browser-based uploads' large files wait while their form is read.
    let uploadSpool: URL
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard S3Address.isS3(request) else { return try await next(request, context) }
        let requestID = RandomID.hex(16)
        do {
            return try await serve(request, context: context, requestID: requestID)
        } catch let error as S3Error {
            return error.response(requestID: requestID, head: request.method == .head)
        } catch is NIOTooManyBytesError {
            return S3Error.maxMessageLengthExceeded.response(requestID: requestID, head: request.method == .head)
        } catch is HTTPParserError {
            return S3Error.incompleteBody.response(requestID: requestID, head: request.method == .head)
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
        if operation == .postObject {
            // A browser-based upload is signed by its form, not its request.
            return try await postObject(request, context: context, address: address, requestID: requestID)
        }
        let (accessKeyID, check) = try authenticate(request, operation: operation, address: address)

        if let bucket = address.bucket, operation == .createBucket, !BucketNames.isValid(bucket) {
            throw S3Error.invalidBucketName(bucket)
        }
        if address.hasKey, address.key.utf8.count > S3Limits.maximumKeyBytes { throw S3Error.keyTooLong }
        let length = try bodyLength(request, check: check)
        if operation == .putObject || operation == .uploadPart {
            if case .chunked = check {} else if request.headers[.transferEncoding] != nil {
                throw S3Error(code: "NotImplemented", message: "A header you provided implies functionality that is not implemented",
                              status: .notImplemented, details: [("Header", "Transfer-Encoding")])
            } else if length == nil {
                throw S3Error.missingContentLength
            }
        }
        if let length, length > S3Limits.maximumSinglePut, operation == .putObject { throw S3Error.entityTooLarge(length) }
        if objects.keepsFolders, [.putObject, .copyObject, .createMultipartUpload].contains(operation), address.key.hasSuffix("/"),
           operation != .putObject || (length ?? 0) > 0 {
            // SeaweedFS makes `a/` a folder and drops bytes put under it: refused rather than lost.
            throw S3Error(code: "NotImplemented",
                          message: "Lambent's object store (SeaweedFS) keeps no bytes under a key ending in '/': only an empty folder marker can be put there.",
                          status: .notImplemented)
        }

        switch operation {
        case .putBucketNotification, .getBucketNotification:
            return try await notificationConfiguration(request, operation: operation, address: address, requestID: requestID)
        default:
            break
        }

        // DeleteObjects' keys are read from the request when its bucket has targets for them:
        // a quiet answer lists only failures.
        var requestedKeys: [String]?
        var collected: ByteBuffer?
        if operation == .deleteObjects, let bucket = address.bucket, case .sha256(let declared) = check,
           try await notifications.wants(bucket: bucket, eventName: "ObjectRemoved:Delete", key: nil) {
            let body = try await Self.collect(request, upTo: 2 << 20, declaredSHA256: declared)
            requestedKeys = NotificationXML.values(of: "Object/Key", in: Data(buffer: body))
            collected = body
        }
        let endpoint = try await objects.endpoint()
        let failure = S3UploadBody.Problem()
        let response = try await forward(request, address: address, rawQuery: rawQuery, length: length, check: check,
                                         failure: failure, endpoint: endpoint, collected: collected)
        let status = HTTPResponse.Status(code: Int(response.status.code))
        let head = request.method == .head
        if operation == .createBucket, status == .conflict, names.region == "us-east-1" {
            // us-east-1 answers 200 to re-creating a bucket one owns (AWS keeps it for legacy
            // clients); the other regions answer 409 BucketAlreadyOwnedByYou.
            let body = try await response.body.collect(upTo: 1 << 20)
            if NotificationXML.values(of: "Code", in: Data(buffer: body)).first == "BucketAlreadyOwnedByYou" {
                var headers = HTTPFields()
                headers[.location] = "/" + (address.bucket ?? "")
                headers[HTTPField.Name("x-amz-request-id")!] = requestID
                return Response(status: .ok, headers: headers)
            }
            return Self.response(response, head: head, body: nil, bytes: body)
        }
        if status.code >= 500, let bucket = address.bucket,
           [.putObject, .copyObject, .createMultipartUpload].contains(operation) {
            // SeaweedFS answers a copy into a bucket that does not exist with a 500.
            let bucketAnswer = try await send(method: "HEAD", path: "/" + Self.encodedSegment(bucket), endpoint: endpoint)
            if bucketAnswer.status == .notFound { throw S3Error.noSuchBucket(bucket) }
        }
        guard (200..<300).contains(status.code), let bucket = address.bucket else {
            return try await Self.answer(response, head: head)
        }
        if operation == .deleteObject, address.key.contains("/") {
            await removeEmptyFolders(bucket: bucket, keys: [address.key], endpoint: endpoint)
        }
        if operation == .copyObject || (operation == .uploadPart && request.headers[HTTPField.Name("x-amz-copy-source")!] != nil) {
            // S3 quotes the ETag of a copy's result (`<ETag>"…"</ETag>`); SeaweedFS does not.
            let body = try await response.body.collect(upTo: 1 << 20)
            let quoted = Self.quotingETags(body)
            guard operation == .copyObject else { return Self.response(response, head: head, body: nil, bytes: quoted) }
            var event = BucketNotifications.ObjectEvent(
                bucket: bucket, key: address.key, name: "ObjectCreated:Copy", accessKeyID: accessKeyID,
                sourceIP: context.remoteIP ?? "127.0.0.1", requestID: response.headers.first(name: "x-amz-request-id") ?? requestID)
            if try await notifications.wants(bucket: bucket, eventName: event.name, key: event.key),
               NotificationXML.rootName(Data(buffer: body)) != "Error" {
                event.eTag = NotificationXML.values(of: "ETag", in: Data(buffer: body)).first
                event.versionID = response.headers.first(name: "x-amz-version-id").flatMap { $0 == "null" ? nil : $0 }
                event.size = try await objectSize(event, endpoint: endpoint)
                await notifications.raise(event)
            }
            return Self.response(response, head: head, body: nil, bytes: quoted)
        }
        if operation == .deleteBucket { try await notifications.bucketDeleted(bucket) }
        let event = BucketNotifications.ObjectEvent(
            bucket: bucket, key: address.key, name: "", accessKeyID: accessKeyID,
            sourceIP: context.remoteIP ?? "127.0.0.1", requestID: response.headers.first(name: "x-amz-request-id") ?? requestID)
        return try await raiseEvents(operation, event: event, request: request, response: response, length: length,
                                     requestedKeys: requestedKeys, endpoint: endpoint)
    }

    // MARK: Authentication

    /// Checks the signature and, for a function's credentials, their token, expiry and scope.
    private func authenticate(_ request: Request, operation: S3Operation, address: S3Address) throws
        -> (accessKeyID: String, check: S3UploadBody.Check)
    {
        let signable = SignableRequest(request)
        let query = request.uri.query ?? ""
        if request.headers[.authorization] == nil, SigV2Presigned.isPresigned(query: query) {
            let keyID: String
            do {
                let resource = request.head.authority.flatMap(S3Address.virtualHostedBucket).map { "/" + $0 + request.uri.path }
                    ?? request.uri.path
                keyID = try SigV2Presigned.verify(method: request.method.rawValue, resourcePath: resource, query: query,
                                                  headers: signable.headers, lookup: lookup)
            } catch {
                throw Self.s3Error(error, presigned: true, request: signable)
            }
            try checkSession(keyID, request: request, operation: operation, address: address)
            return (keyID, .none)
        }
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
        try checkSession(verified.accessKeyID, request: request, operation: operation, address: address)
        return (verified.accessKeyID, check)
    }

    /// A key Lambent's SigV2 verification can look up: the root key or a function's session.
    var lookup: (String) -> AccessKey? {
        { [rootKey, platform] id in id == rootKey.accessKeyID ? rootKey : platform.session(id)?.key }
    }

    /// A function's session: its token (header or query), its expiry, and object operations only.
    private func checkSession(_ accessKeyID: String, request: Request, operation: S3Operation, address: S3Address) throws {
        try checkSession(accessKeyID, operation: operation, address: address, token: {
            let query = S3Query(request.uri.query ?? "")
            return request.headers[HTTPField.Name("x-amz-security-token")!] ?? query["X-Amz-Security-Token"] ?? query["x-amz-security-token"]
        }())
    }

    /// A function's session: its token, its expiry, and object operations only. (A browser-based
    /// upload's token is a form field.)
    func checkSession(_ accessKeyID: String, operation: S3Operation, address: S3Address, token: @autoclosure () -> String?) throws {
        if let session = platform.session(accessKeyID) {
            guard token() == session.token else { throw S3Error.invalidToken }
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
    }

    static func s3Error(_ error: SigV4Error, presigned: Bool, request: SignableRequest) -> S3Error {
        switch error.code {
        case .unrecognizedClient:
            let authorization = request.headers.first { $0.name.lowercased() == "authorization" }?.value
            let query = S3Query(request.query)
            let keyID = authorization.flatMap { header in
                header.range(of: "Credential=").map { String(header[$0.upperBound...].prefix { $0 != "/" }) }
            } ?? query["X-Amz-Credential"].map { String($0.prefix { $0 != "/" }) } ?? query["AWSAccessKeyId"] ?? ""
            return .invalidAccessKeyID(keyID)
        case .invalidSignature: return .signatureDoesNotMatch
        case .signatureExpired: return presigned && error.message.hasPrefix("Request has expired") ? .presignedExpired : .requestTimeTooSkewed
        case .missingAuthentication: return .accessDenied
        case .invalidPresignedExpiry:
            return S3Error(code: "AuthorizationQueryParametersError", message: error.message, status: .badRequest)
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
        failure: S3UploadBody.Problem, endpoint: ObjectStoreEndpoint, collected: ByteBuffer? = nil
    ) async throws -> StoreResponse {
        let query = S3Query.withoutPresigning(rawQuery)
        let path = address.backendPath
        var headers: [(name: String, value: String)] = []
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
        var outgoing = endpoint.storeRequest(method: request.method.rawValue, path: path, query: query, headers: headers)
        let hasBody = (length ?? 0) > 0 || (length == nil && request.headers[.transferEncoding] != nil)
        var small: Bool {
            if case .chunked = check { return false }
            return (length ?? Int64.max) <= Int64(Self.smallBody)
        }
        if let collected {
            outgoing.body = .bytes(collected)
        } else if hasBody && small {
            var declared: String?
            if case .sha256(let hash) = check { declared = hash }
            let body = try await Self.collect(request, upTo: Self.smallBody, declaredSHA256: declared)
            guard body.readableBytes == Int(length ?? 0) else { throw S3Error.incompleteBody }
            outgoing.body = .bytes(body)
        } else if hasBody {
            let upload = PrimedUpload(S3UploadBody(source: request.body, check: check, failure: failure))
            do {
                try await upload.prime()
            } catch {
                throw failure.value ?? S3Error.incompleteBody
            }
            outgoing.body = .stream(upload.body, length: length)
        } else if case .sha256(let declared) = check, declared != Self.emptySHA256 {
            throw S3Error.contentSHA256Mismatch
        }
        do {
            return try await http.forwarding.execute(outgoing)
        } catch {
            if let recorded = failure.value { throw recorded }
            if (error as? StoreClientError) == .bodyLengthMismatch { throw S3Error.incompleteBody }
            logger.warning("the object store did not answer", metadata: ["lambent.error": "\(error)"])
            await objects.unreachable()
            throw S3Error.serviceUnavailable
        }
    }

    /// A small body read whole, its declared SHA-256 (if any) checked.
    static func collect(_ request: Request, upTo limit: Int, declaredSHA256 declared: String?) async throws -> ByteBuffer {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        if let declared, Hex.encode(SHA256.hash(data: body.readableBytesView)) != declared { throw S3Error.contentSHA256Mismatch }
        return body
    }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Bodies up to this size are read whole and sent in one write rather than streamed: it
    /// saves a hand-off between tasks per buffer, and costs at most this much memory.
    static let smallBody = 64 * 1024

    /// The store's answer as the client's: read whole when small and of known length, else
    /// streamed; HEAD answers have no body.
    static func answer(_ response: StoreResponse, head: Bool) async throws -> Response {
        if head { return Self.response(response, head: true, body: nil) }
        if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length <= smallBody {
            return Self.response(response, head: false, body: nil, bytes: try await response.body.collect(upTo: smallBody))
        }
        return Self.response(response, head: false, body: response.body)
    }

    /// Hop-by-hop headers of the store's answer, which Hummingbird writes itself.
    static let droppedResponseHeaders: Set<String> = ["connection", "keep-alive", "transfer-encoding"]

    static func response(_ response: StoreResponse, head: Bool, body: (any AsyncSequence<ByteBuffer, any Error> & Sendable)?,
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
    private func send(method: String, path: String, query: String = "", endpoint: ObjectStoreEndpoint) async throws -> StoreAnswer {
        let request = endpoint.request(method: method, path: path, query: query)
        do {
            let response = try await http.client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return StoreAnswer(status: response.status, headers: response.headers, body: Data(buffer: body))
        } catch {
            await objects.unreachable()
            throw S3Error.serviceUnavailable
        }
    }

    /// A small answer of the store's, read whole.
    struct StoreAnswer {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: Data
    }

    /// The size of the object an event is about (CopyObject and CompleteMultipartUpload do not
    /// say it).
    private func objectSize(_ event: BucketNotifications.ObjectEvent, endpoint: ObjectStoreEndpoint) async throws -> Int64? {
        let path = "/\(Self.encodedSegment(event.bucket))/"
            + event.key.split(separator: "/", omittingEmptySubsequences: false).map { Self.encodedSegment(String($0)) }.joined(separator: "/")
        let object = try await send(method: "HEAD", path: path, endpoint: endpoint)
        return object.headers.first(name: "content-length").flatMap { Int64($0) }
    }

    /// S3 has no folders: once the last key under `a/b/` is deleted, `a/b/` is no longer a
    /// common prefix. SeaweedFS keeps the folder it made for the key (HEAD shows it as
    /// `application/x-directory`, unlike a `a/b/` marker object a client wrote, which stays);
    /// such folders left empty are removed, deepest first. Best effort: a failure leaves the
    /// folder, never an object.
    private func removeEmptyFolders(bucket: String, keys: [String], endpoint: ObjectStoreEndpoint) async {
        var folders: [String] = []
        for key in keys {
            var parts = key.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            while !parts.isEmpty {
                let folder = parts.joined(separator: "/") + "/"
                if !folders.contains(folder) { folders.append(folder) }
                parts = parts.dropLast()
            }
        }
        folders.sort { $0.count > $1.count }
        let bucketPath = "/" + Self.encodedSegment(bucket)
        for folder in folders {
            let path = bucketPath + "/" + folder.split(separator: "/").map { Self.encodedSegment(String($0)) }.joined(separator: "/") + "/"
            guard let head = try? await send(method: "HEAD", path: path, endpoint: endpoint), head.status == .ok,
                  head.headers.first(name: "content-type") == "application/x-directory",
                  let listing = try? await send(method: "GET", path: bucketPath,
                                                query: "list-type=2&max-keys=1&prefix=" + Self.encodedSegment(folder), endpoint: endpoint),
                  listing.status == .ok, NotificationXML.values(of: "Contents/Key", in: listing.body).isEmpty else { continue }
            _ = try? await send(method: "DELETE", path: path, endpoint: endpoint)
        }
    }

    /// `<ETag>abc</ETag>` made `<ETag>"abc"</ETag>`, as S3 writes it.
    static func quotingETags(_ body: ByteBuffer) -> ByteBuffer {
        let text = String(buffer: body)
        guard text.contains("<ETag>"), !text.contains("<ETag>\""), !text.contains("<ETag>&quot;") else { return body }
        let quoted = text.replacingOccurrences(of: "<ETag>", with: "<ETag>&quot;").replacingOccurrences(of: "</ETag>", with: "&quot;</ETag>")
        return ByteBuffer(string: quoted)
    }

    static func encodedSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// Raises the bucket's events for a successful object operation — queued durably before
    /// the answer goes back — and returns the answer. Operations without a wanting target
    /// stream their answer straight through.
    private func raiseEvents(
        _ operation: S3Operation, event: BucketNotifications.ObjectEvent, request: Request, response: StoreResponse,
        length: Int64?, requestedKeys: [String]?, endpoint: ObjectStoreEndpoint
    ) async throws -> Response {
        let head = request.method == .head
        var event = event
        switch operation {
        case .putObject:
            event.name = "ObjectCreated:Put"
        case .completeMultipartUpload:
            event.name = "ObjectCreated:CompleteMultipartUpload"
        case .deleteObject:
            event.name = "ObjectRemoved:Delete"
        case .deleteObjects:
            event.name = "ObjectRemoved:Delete"
            guard try await notifications.wants(bucket: event.bucket, eventName: event.name, key: nil) else {
                return try await Self.answer(response, head: head)
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            let answer = Data(buffer: body)
            let failed = Set(NotificationXML.values(of: "Error/Key", in: answer))
            let deletedKeys = requestedKeys.map { $0.filter { !failed.contains($0) } } ?? NotificationXML.values(of: "Deleted/Key", in: answer)
            await removeEmptyFolders(bucket: event.bucket, keys: deletedKeys, endpoint: endpoint)
            for key in deletedKeys {
                var deleted = event
                deleted.key = key
                await notifications.raise(deleted)
            }
            return Self.response(response, head: head, body: nil, bytes: body)
        default:
            return try await Self.answer(response, head: head)
        }
        guard try await notifications.wants(bucket: event.bucket, eventName: event.name, key: event.key) else {
            return try await Self.answer(response, head: head)
        }
        event.versionID = response.headers.first(name: "x-amz-version-id").flatMap { $0 == "null" ? nil : $0 }
        var collected: ByteBuffer?
        switch operation {
        case .putObject:
            event.eTag = response.headers.first(name: "etag")
            event.size = length ?? 0
        case .completeMultipartUpload:
            let body = try await response.body.collect(upTo: 1 << 20)
            collected = body
            let data = Data(buffer: body)
            guard NotificationXML.rootName(data) != "Error" else { return Self.response(response, head: head, body: nil, bytes: body) }
            event.eTag = NotificationXML.values(of: "ETag", in: data).first
            event.size = try await objectSize(event, endpoint: endpoint)
        default:
            break
        }
        await notifications.raise(event)
        if let collected { return Self.response(response, head: head, body: nil, bytes: collected) }
        return try await Self.answer(response, head: head)
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
