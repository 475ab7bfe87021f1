import LambentServer
import Testing

@Suite("CodeLinks")
struct CodeLinksTests {
    static let key = String(repeating: "ab", count: 32)

    @Test("tokens are per key and per secret, and only the right one is valid")
    func tokens() {
        let links = CodeLinks(secret: "secret-1")
        let token = links.token(for: Self.key)
        #expect(token.count == 64)
        #expect(token == CodeLinks(secret: "secret-1").token(for: Self.key))
        #expect(links.isValid(token: token, for: Self.key))
        #expect(!links.isValid(token: token, for: String(repeating: "cd", count: 32)))
        #expect(!CodeLinks(secret: "secret-2").isValid(token: token, for: Self.key))
        #expect(!links.isValid(token: String(token.dropLast()), for: Self.key))
        #expect(!links.isValid(token: "", for: Self.key))
    }

    @Test("links use the host the client called, or the default address")
    func url() {
        let links = CodeLinks(secret: "s")
        let token = links.token(for: Self.key)
        #expect(links.url(for: Self.key, host: "lambda.local:9550") == "http://lambda.local:9550/lambent/v1/code/\(Self.key)?token=\(token)")
        #expect(links.url(for: Self.key, host: nil) == "http://127.0.0.1:9550/lambent/v1/code/\(Self.key)?token=\(token)")
    }
}
