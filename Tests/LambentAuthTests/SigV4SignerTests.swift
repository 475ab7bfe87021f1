import Foundation
import Testing

@testable import LambentAuth

@Suite("SigV4Signer")
struct SigV4SignerTests {
    static let key = AccessKey(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    @Test func addsDateAndAuthorization() {
        let signer = SigV4Signer(key: Self.key, region: "us-east-1", service: "service")
        let added = signer.sign(
            method: "GET", path: "/", query: "", headers: [("Host", "example.amazonaws.com")], body: [UInt8](),
            date: Self.date)
        // Same as the suite's get-vanilla vector.
        #expect(added.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(added[0].value == "20150830T123600Z")
        #expect(
            added[1].value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    }

    @Test func signsPayloadHeaderWhenAsked() {
        let signer = SigV4Signer(key: Self.key, region: "us-east-1", service: "lambda", signPayloadHeader: true)
        let added = signer.sign(
            method: "PUT", path: "/", query: "", headers: [("Host", "h")], body: Array("abc".utf8), date: Self.date)
        #expect(added.map(\.name) == ["X-Amz-Date", "x-amz-content-sha256", "Authorization"])
        #expect(added[1].value == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(added[2].value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"))
    }

    @Test func replacesStaleAuthorizationAndSkipsUnsignedHeaders() {
        let signer = SigV4Signer(key: Self.key, region: "us-east-1", service: "service")
        let added = signer.sign(
            method: "GET", path: "/", query: "",
            headers: [
                ("Host", "example.amazonaws.com"), ("Authorization", "old"), ("X-Amz-Date", "19990101T000000Z"),
                ("User-Agent", "test"), ("X-Amzn-Trace-Id", "Root=1"), ("Connection", "keep-alive"),
            ],
            body: [UInt8](), date: Self.date)
        #expect(added.last?.value.hasSuffix("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") == true)
    }

    @Test func roundTripsThroughTheVerifier() throws {
        let signer = SigV4Signer(key: Self.key, region: "ap-south-1", service: "lambda")
        let path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-south-1%3A000000000000%3Afunction%3Ahello/invocations"
        let query = "Qualifier=%24LATEST&b=%E2%9C%93&a="
        let headers: [(name: String, value: String)] = [
            ("Host", "127.0.0.1:9001"), ("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "Event"),
        ]
        let body = Array(#"{"x":"✓"}"#.utf8)
        let added = signer.sign(method: "POST", path: path, query: query, headers: headers, body: body, date: Self.date)
        let verifier = SigV4Verifier(
            service: "lambda", lookup: { $0 == Self.key.accessKeyID ? Self.key : nil }, now: { Self.date })
        let result = try verifier.verify(
            SignableRequest(method: "POST", path: path, query: query, headers: headers + added), body: body)
        #expect(result.accessKeyID == "AKIDEXAMPLE")
        #expect(result.region == "ap-south-1")
    }

    @Test func accessKeyDescriptionHidesSecret() {
        #expect(!"\(Self.key)".contains(Self.key.secretAccessKey))
    }
}
