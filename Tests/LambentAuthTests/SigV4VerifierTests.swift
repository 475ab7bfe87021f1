import Foundation
import Testing

@testable import LambentAuth

/// Error paths and exact AWS messages of ``SigV4Verifier``.
@Suite("SigV4Verifier")
struct SigV4VerifierTests {
    static let key = AccessKey(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret/key+example")
    /// 20260101T003000Z
    static let now = Date(timeIntervalSince1970: 1_767_225_600 + 1800)
    static let body = Array(#"{"a":1}"#.utf8)

    static func verifier(now: Date = now) -> SigV4Verifier {
        SigV4Verifier(service: "lambda", lookup: { $0 == key.accessKeyID ? key : nil }, now: { now })
    }

    /// A request to `/2015-03-31/functions/fn/invocations` signed at `date`.
    static func signed(
        at date: Date = now, service: String = "lambda", key: AccessKey = key, extraHeaders: [(String, String)] = [],
        signPayloadHeader: Bool = false
    ) -> SignableRequest {
        let headers: [(name: String, value: String)] = [("Host", "localhost:9001")] + extraHeaders
        let signer = SigV4Signer(key: key, region: "eu-west-1", service: service, signPayloadHeader: signPayloadHeader)
        let added = signer.sign(
            method: "POST", path: "/2015-03-31/functions/fn/invocations", query: "", headers: headers, body: body,
            date: date)
        return SignableRequest(
            method: "POST", path: "/2015-03-31/functions/fn/invocations", query: "", headers: headers + added)
    }

    static func replacingAuthorization(_ request: SignableRequest, with value: String) -> SignableRequest {
        var copy = request
        copy.headers = copy.headers.map { $0.name == "Authorization" ? ($0.name, value) : $0 }
        return copy
    }

    static func error(_ request: SignableRequest, body: [UInt8] = body, now: Date = now) -> SigV4Error? {
        do {
            _ = try verifier(now: now).verify(request, body: body)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsAndReturnsKeyAndRegion() throws {
        let result = try Self.verifier().verify(Self.signed(), body: Self.body)
        #expect(result.accessKeyID == "AKIDEXAMPLE")
        #expect(result.region == "eu-west-1")
    }

    @Test func missingAuthentication() {
        let request = SignableRequest(method: "GET", path: "/", query: "", headers: [("Host", "x")])
        let error = Self.error(request)
        #expect(error == .missingAuthenticationToken)
        #expect(error?.awsErrorType == "MissingAuthenticationTokenException")
        #expect(error?.message == "Missing Authentication Token")
        #expect(error?.httpStatus == 403)
    }

    @Test func unknownAccessKey() {
        let other = AccessKey(accessKeyID: "AKIDUNKNOWN", secretAccessKey: "x")
        let error = Self.error(Self.signed(key: other))
        #expect(error?.code == .unrecognizedClient)
        #expect(error?.awsErrorType == "UnrecognizedClientException")
        #expect(error?.message == "The security token included in the request is invalid.")
        #expect(error?.httpStatus == 403)
    }

    @Test func badSignature() {
        let other = AccessKey(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wrong")
        let error = Self.error(Self.signed(key: other))
        #expect(error?.code == .invalidSignature)
        #expect(error?.awsErrorType == "InvalidSignatureException")
        #expect(
            error?.message
                == "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        )
        #expect(error?.httpStatus == 403)
    }

    @Test func signatureExpired() {
        // Signed at 20260101T000000Z, checked at 20260101T003000Z.
        let error = Self.error(Self.signed(at: Date(timeIntervalSince1970: 1_767_225_600)))
        #expect(error?.code == .signatureExpired)
        #expect(error?.awsErrorType == "InvalidSignatureException")
        #expect(
            error?.message
                == "Signature expired: 20260101T000000Z is now earlier than 20260101T001500Z (20260101T003000Z - 15 min.)")
        #expect(error?.httpStatus == 403)
    }

    @Test func signatureNotYetCurrent() {
        let error = Self.error(Self.signed(at: Self.now.addingTimeInterval(15 * 60 + 1)))
        #expect(error?.code == .signatureExpired)
        #expect(
            error?.message
                == "Signature not yet current: 20260101T004501Z is still later than 20260101T004500Z (20260101T003000Z + 15 min.)")
    }

    @Test func skewBoundariesAreInclusive() throws {
        _ = try Self.verifier().verify(Self.signed(at: Self.now.addingTimeInterval(-15 * 60)), body: Self.body)
        _ = try Self.verifier().verify(Self.signed(at: Self.now.addingTimeInterval(15 * 60)), body: Self.body)
    }

    @Test(arguments: [
        (
            "Bearer abc.def",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request",
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request"
        ),
        (
            "AWS4-HMAC-SHA256 FooBar, BazBurp",
            "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 FooBar, BazBurp'"
        ),
        ("AWS5-HMAC-SHA256 Credential=a", "Unsupported AWS 'algorithm': 'AWS5-HMAC-SHA256'."),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host;x-amz-date, Signature=abc",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE'"
        ),
    ])
    func incompleteSignature(header: String, message: String) {
        let error = Self.error(Self.replacingAuthorization(Self.signed(), with: header))
        #expect(error?.code == .incompleteSignature)
        #expect(error?.awsErrorType == "IncompleteSignatureException")
        #expect(error?.httpStatus == 400)
        #expect(error?.message == message)
    }

    @Test func missingDateIsListed() {
        let request = SignableRequest(
            method: "GET", path: "/", query: "", headers: [("Host", "x"), ("Authorization", "AWS4-HMAC-SHA256")])
        #expect(
            Self.error(request)?.message
                == "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
        )
    }

    @Test func malformedDate() {
        var request = Self.signed()
        request.headers = request.headers.map { $0.name == "X-Amz-Date" ? ($0.name, "2026-01-01T00:30:00Z") : $0 }
        let error = Self.error(request)
        #expect(error?.code == .incompleteSignature)
        #expect(
            error?.message
                == "Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    }

    @Test func wrongScope() {
        let header =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/eu-west-1/s3/aws5_request, SignedHeaders=host;x-amz-date, Signature=00"
        let error = Self.error(Self.replacingAuthorization(Self.signed(), with: header))
        #expect(error?.code == .invalidSignature)
        #expect(
            error?.message
                == "Credential should be scoped to correct service: 'lambda'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250101' != '20260101', from '20260101T003000Z'."
        )
    }

    @Test func hostMustBeSigned() {
        let header =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=00"
        let error = Self.error(Self.replacingAuthorization(Self.signed(), with: header))
        #expect(error?.code == .invalidSignature)
        #expect(error?.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    }

    @Test func signedHeaderValueTampered() {
        var request = Self.signed(extraHeaders: [("X-Amz-Invocation-Type", "Event")])
        request.headers = request.headers.map {
            $0.name == "X-Amz-Invocation-Type" ? ($0.name, "RequestResponse") : $0
        }
        #expect(Self.error(request) == .signatureDoesNotMatch)
    }

    @Test func unsignedHeadersMayChange() throws {
        var request = Self.signed()
        request.headers.append(("User-Agent", "anything"))
        request.headers.append(("X-Forwarded-For", "10.0.0.1"))
        _ = try Self.verifier().verify(request, body: Self.body)
    }

    @Test func contentSHA256HeaderMustMatchBody() throws {
        let request = Self.signed(signPayloadHeader: true)
        _ = try Self.verifier().verify(request, body: Self.body)
        #expect(Self.error(request, body: Array("{}".utf8)) == .signatureDoesNotMatch)
    }

    @Test func unsignedPayloadIsTakenLiterally() throws {
        let request = Self.signed(extraHeaders: [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")])
        _ = try Self.verifier().verify(request, body: Array("any body at all".utf8))
    }

    @Test func bogusContentSHA256IsRejected() {
        let request = Self.signed(extraHeaders: [("X-Amz-Content-SHA256", "not-a-hash")])
        #expect(Self.error(request) == .signatureDoesNotMatch)
    }

    @Test func httpDateHeaderFallback() throws {
        // Sign with X-Amz-Date, then send the same instant as a Date header instead.
        var request = Self.signed(extraHeaders: [("Date", "Thu, 01 Jan 2026 00:30:00 GMT")])
        let authorization = request.headers.first { $0.name == "Authorization" }!.value
        #expect(authorization.contains("SignedHeaders=date;host;x-amz-date"))
        request.headers.removeAll { $0.name == "X-Amz-Date" }
        // x-amz-date is signed but now absent, so this must fail...
        #expect(Self.error(request) == .signatureDoesNotMatch)
        // ...while a request signed with only a Date header verifies.
        let header = "Thu, 01 Jan 2026 00:30:00 GMT"
        let canonical = CanonicalRequest(
            method: "GET", rawPath: "/", rawQuery: "", headers: [("Host", "h"), ("Date", header)],
            signedHeaders: ["date", "host"], payloadHash: Hex.encode(SigV4Verifier.sha256([UInt8]())))
        let scope = "20260101/eu-west-1/lambda/aws4_request"
        let signature = SigningKey(
            secretAccessKey: Self.key.secretAccessKey, date: "20260101", region: "eu-west-1", service: "lambda"
        ).signature(for: canonical.stringToSign(timestamp: "20260101T003000Z", scope: scope))
        let dated = SignableRequest(
            method: "GET", path: "/", query: "",
            headers: [
                ("Host", "h"), ("Date", header),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=date;host, Signature=\(String(decoding: signature, as: UTF8.self))"
                ),
            ])
        _ = try Self.verifier().verify(dated, body: [UInt8]())
    }

    @Test func presignedURLExpires() throws {
        let testCase = try #require(BotocoreFixtureTests.file.cases.first { $0.isPresigned })
        let key = testCase.key
        func verify(at date: Date) throws(SigV4Error) {
            _ = try SigV4Verifier(service: "lambda", lookup: { _ in key }, now: { date })
                .verify(testCase.request, body: [UInt8]())
        }
        try verify(at: BotocoreFixtureTests.date.addingTimeInterval(3600))
        #expect(throws: SigV4Error(code: .signatureExpired, message: "Request has expired.")) {
            try verify(at: BotocoreFixtureTests.date.addingTimeInterval(3601))
        }
    }

    @Test func incompletePresignedQuery() {
        let request = SignableRequest(
            method: "GET", path: "/", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T003000Z",
            headers: [("Host", "h")])
        let error = Self.error(request)
        #expect(error?.code == .incompleteSignature)
        #expect(error?.httpStatus == 400)
    }

    @Test func concurrentVerificationsShareTheKeyCache() async throws {
        let verifier = Self.verifier()
        let request = Self.signed()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { _ = try verifier.verify(request, body: Self.body) }
            }
            try await group.waitForAll()
        }
    }
}
