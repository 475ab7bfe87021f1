import Foundation
import Testing

@testable import LambentAuth

/// Browser-based uploads' signatures: the form's `policy` field, as sent, signed with SigV4's key
/// (`x-amz-signature`) or Signature Version 2's HMAC-SHA1 (`signature`).
@Suite("POST policy signatures")
struct PostPolicySignatureTests {
    static let key = AccessKey(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let verifier = SigV4Verifier(services: ["s3"], lookup: { $0 == key.accessKeyID ? key : nil })
    static let credential = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"

    /// AWS's worked example (sigv4-post-example): the policy with CRLF line ends, base64.
    static let awsPolicy = """
        eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9
        """

    /// botocore's `generate_presigned_post("sigv4examplebucket", "user/user1/photo.jpg")` with the
    /// clock at 2015-12-29T00:00:00Z.
    static let botocorePolicy = """
        eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2lndjRleGFtcGxlYnVja2V0In0sIHsia2V5IjogInVzZXIvdXNlcjEvcGhvdG8uanBnIn0sIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNUExFLzIwMTUxMjI5L3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMTUxMjI5VDAwMDAwMFoifV19
        """

    @Test func awsWorkedExampleAndBotocoreVerify() throws {
        #expect(try Self.verifier.verifyPostPolicy(Self.awsPolicy, credential: Self.credential,
                                                   signature: "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e")
                == "AKIAIOSFODNN7EXAMPLE")
        #expect(try Self.verifier.verifyPostPolicy(Self.botocorePolicy, credential: Self.credential,
                                                   signature: "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6")
                == "AKIAIOSFODNN7EXAMPLE")
    }

    @Test func aChangedPolicyOrSignatureOrSecretDoesNotMatch() {
        let signature = "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try Self.verifier.verifyPostPolicy(String(Self.botocorePolicy.dropLast(2)), credential: Self.credential, signature: signature)
        }
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try Self.verifier.verifyPostPolicy(Self.botocorePolicy, credential: Self.credential, signature: String(signature.reversed()))
        }
        let other = SigV4Verifier(services: ["s3"], lookup: { AccessKey(accessKeyID: $0, secretAccessKey: "another secret") })
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try other.verifyPostPolicy(Self.botocorePolicy, credential: Self.credential, signature: signature)
        }
        // The day is part of the key.
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try Self.verifier.verifyPostPolicy(Self.botocorePolicy, credential: "AKIAIOSFODNN7EXAMPLE/20151230/us-east-1/s3/aws4_request",
                                               signature: signature)
        }
    }

    @Test func unknownKeysAndMalformedCredentials() {
        #expect(throws: SigV4Error.unrecognizedClient) {
            try Self.verifier.verifyPostPolicy(Self.botocorePolicy, credential: "AKIAUNKNOWN/20151229/us-east-1/s3/aws4_request",
                                               signature: "00")
        }
        func message(_ credential: String) -> String? {
            do {
                _ = try Self.verifier.verifyPostPolicy(Self.botocorePolicy, credential: credential, signature: "00")
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3")
                == "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        #expect(message("/20151229/us-east-1/s3/aws4_request") == "a non-empty Access Key (AKID) must be provided in the credential.")
        #expect(message("AKIAIOSFODNN7EXAMPLE/2015-12-29/us-east-1/s3/aws4_request")
                == "incorrect date format \"2015-12-29\". This date in the credential must be in the format \"yyyyMMdd\".")
        #expect(message("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/lambda/aws4_request")
                == "incorrect service \"lambda\". This endpoint belongs to \"s3\".")
        #expect(message("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws5_request")
                == "incorrect terminal \"aws5_request\". This endpoint uses \"aws4_request\".")
    }

    @Test func signatureVersion2() throws {
        let policy = "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2lndjRleGFtcGxlYnVja2V0In1dfQ=="
        let lookup: (String) -> AccessKey? = { $0 == Self.key.accessKeyID ? Self.key : nil }
        #expect(try SigV2Presigned.verifyPostPolicy(policy, accessKeyID: "AKIAIOSFODNN7EXAMPLE", signature: "wPsEABlgMF3XR2n47/v3gj9sOII=",
                                                    lookup: lookup) == "AKIAIOSFODNN7EXAMPLE")
        #expect(throws: SigV4Error.signatureDoesNotMatch) {
            try SigV2Presigned.verifyPostPolicy(policy, accessKeyID: "AKIAIOSFODNN7EXAMPLE", signature: "wPsEABlgMF3XR2n47/v3gj9sOIA=",
                                                lookup: lookup)
        }
        #expect(throws: SigV4Error.unrecognizedClient) {
            try SigV2Presigned.verifyPostPolicy(policy, accessKeyID: "AKIAUNKNOWN", signature: "x", lookup: lookup)
        }
    }
}
