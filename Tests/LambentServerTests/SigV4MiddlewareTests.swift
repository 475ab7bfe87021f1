import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambentAuth
import Testing

@Suite("SigV4Middleware")
struct SigV4MiddlewareTests {
    static let listPath = "/2015-03-31/functions"

    @Test("accepts a request signed with the server's key")
    func signed() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.get, Self.listPath)
            #expect(response.status == .ok)
        }
    }

    @Test("refuses an unsigned request with MissingAuthenticationTokenException")
    func unsigned() async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, Self.listPath)
            #expect(response.status == .forbidden)
            let error = try response.awsError()
            #expect(error.type == "MissingAuthenticationTokenException")
            #expect(error.message == "Missing Authentication Token")
        }
    }

    @Test("refuses an unknown access key with UnrecognizedClientException")
    func wrongKey() async throws {
        try await ServerHarness.run { client in
            let stranger = AccessKey(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            let response = try await client.send(.get, Self.listPath, signingKey: stranger)
            #expect(response.status == .forbidden)
            let error = try response.awsError()
            #expect(error.type == "UnrecognizedClientException")
            #expect(error.message == "The security token included in the request is invalid.")
        }
    }

    static let signatureMismatch = "The request signature we calculated does not match the signature you provided. "
        + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

    @Test("refuses a signature made with the wrong secret with InvalidSignatureException")
    func wrongSecret() async throws {
        try await ServerHarness.run { client in
            let forged = AccessKey(accessKeyID: client.key.accessKeyID, secretAccessKey: "not-the-secret")
            let response = try await client.send(.get, Self.listPath, signingKey: forged)
            #expect(response.status == .forbidden)
            let error = try response.awsError()
            #expect(error.type == "InvalidSignatureException")
            #expect(error.message == Self.signatureMismatch)
        }
    }

    @Test("refuses a request whose body changed after signing")
    func tamperedBody() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.post, "/2015-03-31/functions", json: ["FunctionName": "a"]) { _, body in
                body = Array(#"{"FunctionName":"b"}"#.utf8)
            }
            #expect(response.status == .forbidden)
            #expect(try response.awsError().type == "InvalidSignatureException")
        }
    }

    @Test("refuses a request whose path changed after signing")
    func tamperedPath() async throws {
        try await ServerHarness.run { client in
            let signed = SigV4Signer(key: client.key, region: "us-east-1", service: "lambda").sign(
                method: "GET", path: "/2015-03-31/functions", query: "", headers: [("host", "localhost")], body: [UInt8](), date: .now)
            var headers = HTTPFields()
            for header in signed { headers.append(HTTPField(name: HTTPField.Name(header.name)!, value: header.value)) }
            let response = try await client.client.execute(uri: "/2015-03-31/functions/other", method: .get, headers: headers)
            #expect(response.status == .forbidden)
            #expect(try response.awsError().type == "InvalidSignatureException")
        }
    }

    @Test("answers authentication errors without \"Type\": \"User\"")
    func errorBodyShape() async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, Self.listPath)
            #expect(response.headers[.contentType] == "application/json")
            #expect(try Set(response.json().keys) == ["message"])
        }
    }

    @Test("checks the signature before routing")
    func unsignedUnknownRoute() async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, "/2015-03-31/nothing-here")
            #expect(response.status == .forbidden)
            #expect(try response.awsError().type == "MissingAuthenticationTokenException")
        }
    }
}
