import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Invoke's checks that come before any environment starts (real invocations are e2e tests).
@Suite("InvokeRoutes")
struct InvokeRoutesTests {
    static let path = "/2015-03-31/functions/hello/invocations"

    @Test("refuses payloads over 6 MB with RequestTooLargeException")
    func tooLarge() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            var payload = Array(#"{"data":""#.utf8)
            payload += [UInt8](repeating: UInt8(ascii: "x"), count: 6_291_456)
            payload += Array(#""}"#.utf8)
            let response = try await client.send(.post, Self.path, body: payload)
            #expect(response.status == .contentTooLarge)
            let error = try response.awsError()
            #expect(error.type == "RequestTooLargeException")
            #expect(error.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
        }
    }

    @Test("refuses payloads that are not JSON with InvalidRequestContentException")
    func notJSON() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            _ = try await client.send(.get, "/2015-03-31/functions/hello") // now Active
            let response = try await client.send(.post, Self.path, body: Array("not json at all".utf8))
            #expect(response.status == .badRequest)
            let error = try response.awsError()
            #expect(error.type == "InvalidRequestContentException")
            #expect(error.isUser)
            #expect(error.message?.hasPrefix("Could not parse request body into json: Could not parse payload into json: ") == true)
        }
    }

    @Test("DryRun answers 204 without running anything")
    func dryRun() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            let response = try await client.send(.post, Self.path, body: Array("{}".utf8),
                                                 headers: [("X-Amz-Invocation-Type", "DryRun")])
            #expect(response.status == .noContent)
            #expect(response.headers[HTTPField.Name("X-Amz-Executed-Version")!] == "$LATEST")
        }
    }

    @Test("refuses unknown invocation and log types", arguments: [
        ("X-Amz-Invocation-Type", "Sometimes", "invocationType"),
        ("X-Amz-Log-Type", "Everything", "logType"),
    ])
    func unknownTypes(_ header: String, _ value: String, _ field: String) async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            let response = try await client.send(.post, Self.path, body: Array("{}".utf8), headers: [(header, value)])
            #expect(response.status == .badRequest)
            let error = try response.awsError()
            #expect(error.type == "ValidationException")
            #expect(error.message?.hasPrefix("1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint:") == true)
        }
    }

    @Test("an unknown function is ResourceNotFoundException")
    func unknownFunction() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.post, "/2015-03-31/functions/nobody/invocations", body: Array("{}".utf8))
            #expect(response.status == .notFound)
            #expect(try response.awsError().message == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody:$LATEST")
        }
    }
}
