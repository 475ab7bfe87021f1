import Foundation
import LambentServer
import Testing

@Suite("RootCredentials")
struct RootCredentialsTests {
    static func withDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    @Test("the environment's key wins and nothing is written")
    func fromEnvironment() throws {
        try Self.withDirectory { directory in
            let credentials = try RootCredentials.load(
                dataDirectory: directory,
                environment: ["LAMBENT_ACCESS_KEY_ID": "LKIATEST", "LAMBENT_SECRET_ACCESS_KEY": "shh"])
            #expect(credentials.key.accessKeyID == "LKIATEST")
            #expect(credentials.key.secretAccessKey == "shh")
            #expect(!credentials.isNew)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("credentials.json").path))
        }
    }

    @Test("a key is generated once, kept with mode 0600, and read back")
    func generated() throws {
        try Self.withDirectory { directory in
            let first = try RootCredentials.load(dataDirectory: directory, environment: ["LAMBENT_ACCESS_KEY_ID": ""])
            #expect(first.isNew)
            #expect(first.key.accessKeyID.hasPrefix("LKIA"))
            #expect(first.key.accessKeyID.count == 20)
            #expect(first.key.secretAccessKey.count == 40)
            let path = directory.appendingPathComponent("credentials.json").path
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == 0o600)

            let second = try RootCredentials.load(dataDirectory: directory, environment: [:])
            #expect(!second.isNew)
            #expect(second.key == first.key)
        }
    }
}
