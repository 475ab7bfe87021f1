import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("AWSErrorMiddleware")
struct AWSErrorMiddlewareTests {
    @Test("user errors carry x-amzn-ErrorType and {\"Type\":\"User\",\"message\":…}")
    func userError() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.get, "/2015-03-31/functions/missing")
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.headers[HTTPField.Name("x-amzn-ErrorType")!] == "ResourceNotFoundException")
            let body = try response.json()
            #expect(Set(body.keys) == ["Type", "message"])
            #expect(body["Type"] as? String == "User")
            #expect(body["message"] as? String == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing")
        }
    }

    @Test("validation errors carry no Type")
    func validationError() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.get, "/2015-03-31/functions?MaxItems=0")
            #expect(response.status == .badRequest)
            let error = try response.awsError()
            #expect(error.type == "ValidationException")
            #expect(!error.isUser)
            #expect(error.message == "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
        }
    }

    @Test("unknown routes are UnknownOperationException", arguments: [
        (HTTPRequest.Method.get, "/2015-03-31/nothing-here"),
        (.post, "/2099-01-01/functions"),
        (.patch, "/2015-03-31/functions/fn"),
    ])
    func unknownRoute(_ method: HTTPRequest.Method, _ path: String) async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(method, path)
            #expect(response.status == .notFound)
            let error = try response.awsError()
            #expect(error.type == "UnknownOperationException")
            #expect(error.message == "Unknown operation \(method.rawValue) \(path)")
        }
    }

    @Test("malformed JSON bodies are a 400, not a 500")
    func malformedJSON() async throws {
        try await ServerHarness.run { client in
            let response = try await client.send(.post, "/2015-03-31/functions", body: Array("{not json".utf8))
            #expect(response.status == .badRequest)
            #expect(try response.awsError().type != nil)
        }
    }
}
