import Testing

@testable import LambentServer

@Suite("Image references")
struct ImageReferenceTests {
    @Test("registry, repository, tag and digest are read apart; loopback registries are plain HTTP")
    func parses() throws {
        let tagged = try ImageReference("127.0.0.1:5000/fn/base:v1")
        #expect(tagged.registry == "127.0.0.1:5000" && tagged.repository == "fn/base" && tagged.tag == "v1")
        #expect(tagged.isLoopback && tagged.description == "127.0.0.1:5000/fn/base:v1")
        let untagged = try ImageReference("123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
        #expect(untagged.description == "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest" && !untagged.isLoopback)
        let pinned = try ImageReference("localhost:5000/app@sha256:abc")
        #expect(pinned.digest == "sha256:abc" && pinned.repositoryPath == "localhost:5000/app")
    }

    @Test("what is not an image reference is refused before any tool sees it", arguments: [
        "", "not an image", "--help/x", "registry-only", "r/app@md5:x", "r/app:", "r/a;rm -rf /",
    ])
    func refuses(_ uri: String) {
        #expect(throws: ImageStore.Failure.self) { try ImageReference(uri) }
    }
}
