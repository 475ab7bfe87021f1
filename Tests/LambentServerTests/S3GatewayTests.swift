import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import LambentServer

/// The S3 front end's own logic: addressing, which operation a request is, bucket names,
/// notification configurations and event records, and bodies checked as they stream.
@Suite("S3 gateway")
struct S3GatewayTests {
    @Test func pathStyleAndVirtualHostedAddresses() {
        let path = S3Address(path: "/photos/uploads/a%20b.jpg", host: "127.0.0.1:9550")
        #expect(path.bucket == "photos")
        #expect(path.rawKey == "uploads/a%20b.jpg")
        #expect(path.key == "uploads/a b.jpg")
        #expect(path.backendPath == "/photos/uploads/a%20b.jpg")
        let virtual = S3Address(path: "/uploads/a.jpg", host: "photos.s3.localhost:9550")
        #expect(virtual.bucket == "photos")
        #expect(virtual.backendPath == "/photos/uploads/a.jpg")
        #expect(S3Address(path: "/", host: "photos.s3.us-east-1.localhost").bucket == "photos")
        #expect(S3Address(path: "/", host: "s3.localhost:9550").bucket == nil)
        #expect(S3Address(path: "/photos", host: nil).hasKey == false)
    }

    @Test func operations() {
        func operation(_ method: HTTPRequest.Method, _ path: String, _ query: String = "", copy: Bool = false) -> S3Operation {
            var headers = HTTPFields()
            if copy { headers[HTTPField.Name("x-amz-copy-source")!] = "/b/k" }
            return S3Operation(method: method, address: S3Address(path: path, host: nil), query: S3Query(query).names, headers: headers)
        }
        #expect(operation(.get, "/") == .listBuckets)
        #expect(operation(.put, "/b") == .createBucket)
        #expect(operation(.put, "/b", "notification") == .putBucketNotification)
        #expect(operation(.get, "/b", "list-type=2&prefix=a") == .listObjects)
        #expect(operation(.post, "/b", "delete") == .deleteObjects)
        #expect(operation(.put, "/b/k") == .putObject)
        #expect(operation(.put, "/b/k", copy: true) == .copyObject)
        #expect(operation(.put, "/b/k", "partNumber=1&uploadId=x") == .uploadPart)
        #expect(operation(.post, "/b/k", "uploads") == .createMultipartUpload)
        #expect(operation(.post, "/b/k", "uploadId=x") == .completeMultipartUpload)
        #expect(operation(.get, "/b/k", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00") == .getObject)
        #expect(operation(.delete, "/b/k") == .deleteObject)
        #expect(operation(.put, "/b/k", "tagging") == .otherObjectOperation("tagging"))
        #expect(operation(.put, "/b/k").isDataPlane)
        #expect(!operation(.put, "/b").isDataPlane)
        #expect(!operation(.put, "/b", "notification").isDataPlane)
        #expect(!operation(.get, "/").isDataPlane)
    }

    @Test func byteSearchOfTheCredentialScope() {
        #expect(S3Address.contains("AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/s3/aws4_request, SignedHeaders=host", "/s3/aws4_request"))
        #expect(!S3Address.contains("AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/lambda/aws4_request", "/s3/aws4_request"))
        #expect(S3Address.contains("/s3/aws4_request", "/s3/aws4_request"))
        #expect(!S3Address.contains("/s3/aws4_reques", "/s3/aws4_request"))
        #expect(S3Address.contains("//s3/aws4_request", "/s3/aws4_request"))
        #expect(!S3Address.contains("", "/s3/aws4_request"))
    }

    @Test func bucketNames() {
        for valid in ["abc", "my-bucket.photos", "a1b2c3", String(repeating: "a", count: 63)] { #expect(BucketNames.isValid(valid)) }
        for invalid in ["ab", "A_B", "-abc", "abc-", "a..b", "192.168.1.1", "xn--abc", String(repeating: "a", count: 64)] {
            #expect(!BucketNames.isValid(invalid))
        }
    }

    @Test func presigningParametersAreDroppedFromTheForwardedQuery() {
        let raw = "versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00&X-Amz-Expires=60"
        #expect(S3Query.withoutPresigning(raw) == "versionId=3")
    }

    @Test func notificationXMLRoundTrip() throws {
        let xml = """
            <NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:000000000000:events</Queue>
                <Event>s3:ObjectCreated:*</Event><Event>s3:ObjectRemoved:Delete</Event>
                <Filter><S3Key><FilterRule><Name>prefix</Name><Value>up/</Value></FilterRule>
                <FilterRule><Name>SUFFIX</Name><Value>.jpg</Value></FilterRule></S3Key></Filter></QueueConfiguration>
              <CloudFunctionConfiguration><CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:f</CloudFunction>
                <Event>s3:ObjectCreated:Put</Event></CloudFunctionConfiguration>
            </NotificationConfiguration>
            """
        let (configuration, unsupported) = try NotificationXML.parse(Data(xml.utf8))
        #expect(unsupported.isEmpty)
        #expect(configuration.targets.count == 2)
        let queue = configuration.targets[0]
        #expect(queue.rules == [.init(name: "Prefix", value: "up/"), .init(name: "Suffix", value: ".jpg")])
        #expect(queue.matches(eventName: "ObjectCreated:Copy", key: "up/a.jpg"))
        #expect(queue.matches(eventName: "ObjectRemoved:Delete", key: "up/a.jpg"))
        #expect(!queue.matches(eventName: "ObjectRemoved:DeleteMarkerCreated", key: "up/a.jpg"))
        #expect(!queue.matches(eventName: "ObjectCreated:Put", key: "down/a.jpg"))
        #expect(!queue.matches(eventName: "ObjectCreated:Put", key: "up/a.png"))
        #expect(!configuration.targets[1].id.isEmpty)
        let rendered = NotificationXML.render(configuration)
        #expect(try NotificationXML.parse(Data(rendered.utf8)).0 == configuration)
        #expect(try NotificationXML.parse(Data("<NotificationConfiguration/>".utf8)).0.targets.isEmpty)
        #expect(throws: S3Error.self) { try NotificationXML.parse(Data("<nope".utf8)) }
    }

    @Test func eventKeysAreFormEncodedAsS3Writes() {
        #expect(BucketNotifications.eventKey("a@b") == "a%40b")
        #expect(BucketNotifications.eventKey("uploads/my photo+1.jpg") == "uploads/my+photo%2B1.jpg")
        #expect(BucketNotifications.eventKey("café") == "caf%C3%A9")
    }

    @Test func overlappingEvents() {
        #expect(BucketNotifications.eventsOverlap(["s3:ObjectCreated:*"], ["s3:ObjectCreated:Put"]))
        #expect(BucketNotifications.eventsOverlap(["s3:ObjectCreated:Put"], ["s3:ObjectCreated:Put"]))
        #expect(!BucketNotifications.eventsOverlap(["s3:ObjectCreated:*"], ["s3:ObjectRemoved:*"]))
    }

    @Test func bodyWithAMatchingHashStreamsAndAMismatchFailsBeforeItsLastBuffer() async throws {
        let pieces = [ByteBuffer(string: "hello "), ByteBuffer(string: "world")]
        let good = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        var received: [String] = []
        for try await buffer in S3UploadBody(source: RequestBody(asyncSequence: Pieces(pieces)), check: .sha256(good), failure: .init()) {
            received.append(String(buffer: buffer))
        }
        #expect(received == ["hello ", "world"])
        let problem = S3UploadBody.Problem()
        var delivered: [String] = []
        await #expect(throws: S3Error.self) {
            for try await buffer in S3UploadBody(source: RequestBody(asyncSequence: Pieces(pieces)),
                                                 check: .sha256(String(repeating: "0", count: 64)), failure: problem) {
                delivered.append(String(buffer: buffer))
            }
        }
        #expect(delivered == ["hello "])
        #expect(problem.value?.code == "XAmzContentSHA256Mismatch")
    }

    @Test func unsignedChunkedBodyIsDecodedAcrossBufferBoundaries() async throws {
        let framed = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
        let pieces = stride(from: 0, to: framed.utf8.count, by: 3).map { start in
            ByteBuffer(bytes: Array(framed.utf8)[start..<min(start + 3, framed.utf8.count)])
        }
        var decoded = ""
        for try await buffer in S3UploadBody(source: RequestBody(asyncSequence: Pieces(pieces)), check: .chunked(nil, trailer: true),
                                             failure: .init()) {
            decoded += String(buffer: buffer)
        }
        #expect(decoded == "hello world")
    }

    @Test func truncatedChunkedBodyFails() async {
        let pieces = [ByteBuffer(string: "5\r\nhel")]
        await #expect(throws: S3Error.self) {
            for try await _ in S3UploadBody(source: RequestBody(asyncSequence: Pieces(pieces)), check: .chunked(nil, trailer: false),
                                            failure: .init()) {}
        }
    }
}

/// Buffers as an async sequence.
private struct Pieces: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]
    init(_ buffers: [ByteBuffer]) { self.buffers = buffers }
    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        mutating func next() async throws -> ByteBuffer? { rest.popFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffers[...]) }
}
