import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("LambentRoutes")
struct LambentRoutesTests {
    @Test("health needs no signature")
    func health() async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, "/lambent/v1/health")
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "ok\n")
        }
    }

    @Test("code links refuse malformed keys and tokens", arguments: [
        "/lambent/v1/code/not-a-digest?token=abc",
        "/lambent/v1/code/\(String(repeating: "a", count: 64))",
        "/lambent/v1/code/\(String(repeating: "a", count: 64))?token=\(String(repeating: "0", count: 64))",
        "/lambent/v1/code/\(String(repeating: "A", count: 64))?token=x",
    ])
    func codeRefused(_ uri: String) async throws {
        try await ServerHarness.run { client in
            let response = try await client.unsigned(.get, uri)
            #expect(response.status == .forbidden)
        }
    }

    @Test("function logs need a signature")
    func logsSigned() async throws {
        try await ServerHarness.run { client in
            #expect(try await client.unsigned(.get, "/lambent/v1/logs/fn").status == .forbidden)
            let response = try await client.send(.get, "/lambent/v1/logs/fn")
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
    }
}
