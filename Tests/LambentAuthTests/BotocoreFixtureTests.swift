import Foundation
import Testing

@testable import LambentAuth

/// Requests signed by real botocore 1.43 (`Fixtures/botocore/generate.py`), captured as they
/// go on the wire: the Lambda client's own serialisation (ARNs with `%3A`, `%20`,
/// `$LATEST` as `%24LATEST`, query markers), a direct `SigV4Auth` use and a presigned URL.
@Suite("botocore compatibility")
struct BotocoreFixtureTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [[String]]
        var body: String
        var accessKeyID: String
        var secretAccessKey: String
        var region: String

        var testDescription: String { name }

        var request: SignableRequest {
            SignableRequest(method: method, path: path, query: query, headers: headers.map { ($0[0], $0[1]) })
        }

        var key: AccessKey { AccessKey(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey) }

        var isPresigned: Bool { query.contains("X-Amz-Signature=") }
    }

    struct File: Decodable {
        var date: String
        var service: String
        var cases: [Case]
    }

    static let file: File = {
        do {
            return try JSONDecoder().decode(File.self, from: Fixtures.data("botocore/botocore.json"))
        } catch {
            fatalError("botocore.json: \(error)")
        }
    }()

    /// 20260101T000000Z
    static let date = Date(timeIntervalSince1970: 1_767_225_600)

    func verifier(for testCase: Case) -> SigV4Verifier {
        let key = testCase.key
        return SigV4Verifier(
            service: Self.file.service, lookup: { $0 == key.accessKeyID ? key : nil }, now: { Self.date })
    }

    @Test func fixtureDateMatches() {
        #expect(AmzDate(Self.date).iso8601Basic == Self.file.date)
        #expect(Self.file.cases.count >= 10)
    }

    @Test("verifies the request botocore sent", arguments: file.cases)
    func verifies(_ testCase: Case) throws {
        let result = try verifier(for: testCase).verify(testCase.request, body: Array(testCase.body.utf8))
        #expect(result.accessKeyID == testCase.accessKeyID)
        #expect(result.region == testCase.region)
    }

    @Test("rejects a tampered body", arguments: file.cases)
    func tamperedBody(_ testCase: Case) {
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try verifier(for: testCase).verify(testCase.request, body: Array((testCase.body + " ").utf8))
        }
    }

    @Test("rejects a tampered path", arguments: file.cases)
    func tamperedPath(_ testCase: Case) {
        var request = testCase.request
        request.path += "x"
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try verifier(for: testCase).verify(request, body: Array(testCase.body.utf8))
        }
    }

    @Test("rejects a decoded path: %3A and : are different requests", arguments: file.cases)
    func decodedPath(_ testCase: Case) {
        guard let decoded = testCase.path.removingPercentEncoding, decoded != testCase.path else { return }
        var request = testCase.request
        request.path = decoded
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try verifier(for: testCase).verify(request, body: Array(testCase.body.utf8))
        }
    }

    @Test("rejects a tampered query", arguments: file.cases)
    func tamperedQuery(_ testCase: Case) {
        var request = testCase.request
        request.query = request.query.isEmpty ? "MaxItems=1" : "MaxItems=9&" + request.query
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try verifier(for: testCase).verify(request, body: Array(testCase.body.utf8))
        }
    }

    @Test("rejects a wrong secret", arguments: file.cases)
    func wrongSecret(_ testCase: Case) {
        let wrong = AccessKey(accessKeyID: testCase.accessKeyID, secretAccessKey: "not-the-secret")
        let verifier = SigV4Verifier(service: "lambda", lookup: { _ in wrong }, now: { Self.date })
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try verifier.verify(testCase.request, body: Array(testCase.body.utf8))
        }
    }

    @Test("signer reproduces botocore's Authorization header", arguments: file.cases.filter { !$0.isPresigned })
    func signerMatches(_ testCase: Case) throws {
        let headers = testCase.request.headers
        let authorization = try #require(headers.first { $0.name == "Authorization" }?.value)
        let signedNames = try #require(authorization.split(separator: "SignedHeaders=").last?.prefix { $0 != "," })
            .split(separator: ";")
        // botocore signed only the headers present when it signed; later ones (User-Agent,
        // amz-sdk-*) were added afterwards, so sign exactly the signed set.
        let toSign = headers.filter { header in
            signedNames.contains { $0 == header.name.lowercased() } && header.name.lowercased() != "x-amz-date"
        }
        let signer = SigV4Signer(key: testCase.key, region: testCase.region, service: "lambda")
        let added = signer.sign(
            method: testCase.method, path: testCase.path, query: testCase.query, headers: toSign,
            body: Array(testCase.body.utf8), date: Self.date)
        #expect(added.first { $0.name == "Authorization" }?.value == authorization)
        #expect(added.first { $0.name == "X-Amz-Date" }?.value == Self.file.date)
    }

    @Test func awsCLIPercentEncodesColonsInARNs() throws {
        // The AWS CLI v1 (botocore) sends ':' in a function ARN as %3A, and signs it as %253A.
        let arn = try #require(Self.file.cases.first { $0.name == "invoke-arn" })
        #expect(arn.path == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ahello/invocations")
        var canonical: [UInt8] = []
        CanonicalRequest.appendCanonicalPath(arn.path, to: &canonical)
        #expect(
            String(decoding: canonical, as: UTF8.self)
                == "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A000000000000%253Afunction%253Ahello/invocations")
    }
}
