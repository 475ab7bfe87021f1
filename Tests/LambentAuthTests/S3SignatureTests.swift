import Crypto
import Foundation
import Testing

@testable import LambentAuth

/// S3's flavour of SigV4: the path encoded once, the declared payload hash, and the chunk
/// signatures of `aws-chunked` bodies — checked against AWS's own worked example
/// ("Signature Calculations for the Authorization Header: Transferring Payload in Multiple
/// Chunks", Amazon S3 API reference).
@Suite("S3 signatures")
struct S3SignatureTests {
    static let key = AccessKey(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 20130524T000000Z
    static let date = Date(timeIntervalSince1970: 1_369_353_600)

    static let verifier = SigV4Verifier(services: ["s3"], lookup: { $0 == key.accessKeyID ? key : nil }, now: { date })

    /// AWS's example request: `PUT /examplebucket/chunkObject.txt`, 66,560 bytes in chunks of
    /// 65,536 and 1,024 bytes of `a`.
    static let request = SignableRequest(
        method: "PUT", path: "/examplebucket/chunkObject.txt", query: "",
        headers: [
            ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Authorization",
             "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                + "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824"),
        ])

    @Test func seedSignatureOfAWSExample() throws {
        let verified = try Self.verifier.verifyS3(Self.request, declaredPayloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        #expect(verified.accessKeyID == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.service == "s3")
    }

    @Test func chunkSignaturesOfAWSExample() throws {
        var chain = try Self.verifier.verifyS3(Self.request, declaredPayloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD").chunks
        let first = [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        let second = [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        let firstVerified = chain.verify(chunkHash: SHA256.hash(data: first),
                                         signature: "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648".utf8)
        let secondVerified = chain.verify(chunkHash: SHA256.hash(data: second),
                                          signature: "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497".utf8)
        let lastVerified = chain.verify(chunkHash: SHA256.hash(data: [UInt8]()),
                                        signature: "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9".utf8)
        #expect(firstVerified && secondVerified && lastVerified)
    }

    @Test func alteredOrReorderedChunksFail() throws {
        let chain = try Self.verifier.verifyS3(Self.request, declaredPayloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD").chunks
        var altered = chain
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        bytes[100] = UInt8(ascii: "b")
        let alteredVerified = altered.verify(chunkHash: SHA256.hash(data: bytes),
                                             signature: "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648".utf8)
        #expect(!alteredVerified)
        // The second chunk's signature does not verify as the first: each signs its predecessor.
        var reordered = chain
        let reorderedVerified = reordered.verify(chunkHash: SHA256.hash(data: [UInt8](repeating: UInt8(ascii: "a"), count: 1024)),
                                                 signature: "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497".utf8)
        #expect(!reorderedVerified)
    }

    @Test func s3PathIsEncodedOnceWithDotsAndEmptySegmentsKept() {
        var out: [UInt8] = []
        CanonicalRequest.appendS3Path("/bucket/a%20b/./c//d%2Be@f", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "/bucket/a%20b/./c//d%2Be%40f")
        var standard: [UInt8] = []
        CanonicalRequest.appendCanonicalPath("/bucket/a%20b", to: &standard)
        #expect(String(decoding: standard, as: UTF8.self) == "/bucket/a%2520b")
    }

    @Test func signerAndVerifierAgreeOnS3Paths() throws {
        var signer = SigV4Signer(key: Self.key, region: "us-east-1", service: "s3")
        signer.s3Paths = true
        let path = "/photos/uploads/caf%C3%A9%20one.jpg"
        let headers: [(name: String, value: String)] = [("host", "localhost"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        let added = signer.sign(method: "GET", path: path, query: "", headers: headers, body: [UInt8](), date: Self.date)
        let request = SignableRequest(method: "GET", path: path, query: "", headers: headers + added)
        #expect(throws: Never.self) { try Self.verifier.verifyS3(request, declaredPayloadHash: "UNSIGNED-PAYLOAD") }
        #expect(throws: SigV4Error.self) {
            try Self.verifier.verifyS3(request, declaredPayloadHash: SigV4Verifier.emptyPayloadHashForTests)
        }
    }
}

/// S3's Signature Version 2 query authentication, against AWS's documented example
/// (`GET /johnsmith/photos/puppy.jpg`, expiring 1175139620).
@Suite("S3 SigV2 presigned URLs")
struct SigV2PresignedTests {
    static let key = AccessKey(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
    static let before = Date(timeIntervalSince1970: 1_175_139_000)

    static func verify(method: String = "GET", path: String = "/johnsmith/photos/puppy.jpg", query: String = query,
                       now: Date = before) throws(SigV4Error) -> String {
        try SigV2Presigned.verify(method: method, resourcePath: path, query: query, headers: [("Host", "johnsmith.s3.amazonaws.com")],
                                  lookup: { $0 == key.accessKeyID ? key : nil }, now: now)
    }

    @Test func awsExampleVerifies() throws {
        #expect(SigV2Presigned.isPresigned(query: Self.query))
        #expect(try Self.verify() == "AKIAIOSFODNN7EXAMPLE")
    }

    @Test func anotherMethodPathOrSubresourceFails() {
        #expect(throws: SigV4Error.signatureDoesNotMatch) { try Self.verify(method: "PUT") }
        #expect(throws: SigV4Error.signatureDoesNotMatch) { try Self.verify(path: "/johnsmith/photos/kitten.jpg") }
        #expect(throws: SigV4Error.signatureDoesNotMatch) { try Self.verify(query: Self.query + "&response-content-type=text%2Fhtml") }
    }

    @Test func expiredOrUnknownKeyFails() {
        #expect(throws: SigV4Error.presignedRequestExpired) { try Self.verify(now: Date(timeIntervalSince1970: 1_175_139_621)) }
        #expect(throws: SigV4Error.unrecognizedClient) {
            try Self.verify(query: Self.query.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAOTHER"))
        }
    }
}

extension SigV4Verifier {
    static let emptyPayloadHashForTests = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}
