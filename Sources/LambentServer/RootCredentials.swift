import Foundation
import LambentAuth

/// The server's root access key: from `LAMBENT_ACCESS_KEY_ID`/`LAMBENT_SECRET_ACCESS_KEY`,
/// or generated on first start and kept in `<data-dir>/credentials.json` (mode 0600).
public struct RootCredentials: Sendable {
    public var key: AccessKey
    /// True when this start generated the key (so the server prints it, once).
    public var isNew: Bool

    public static func load(dataDirectory: URL, environment: [String: String]) throws -> RootCredentials {
        if let id = environment["LAMBENT_ACCESS_KEY_ID"], let secret = environment["LAMBENT_SECRET_ACCESS_KEY"],
           !id.isEmpty, !secret.isEmpty {
            return RootCredentials(key: AccessKey(accessKeyID: id, secretAccessKey: secret), isNew: false)
        }
        let path = dataDirectory.appendingPathComponent("credentials.json")
        if let data = FileManager.default.contents(atPath: path.path) {
            let stored = try JSONDecoder().decode(Stored.self, from: data)
            return RootCredentials(key: AccessKey(accessKeyID: stored.accessKeyID, secretAccessKey: stored.secretAccessKey), isNew: false)
        }
        let key = AccessKey(accessKeyID: "LKIA" + randomString(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                            secretAccessKey: randomString(40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
        let data = try JSONEncoder().encode(Stored(accessKeyID: key.accessKeyID, secretAccessKey: key.secretAccessKey))
        // Created with 0600 from the start, so the secret is never readable by others.
        let fd = open(path.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw POSIXError(.EIO) }
        return RootCredentials(key: key, isNew: true)
    }

    private struct Stored: Codable {
        var accessKeyID: String
        var secretAccessKey: String
    }

    private static func randomString(_ length: Int, alphabet: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = Array(alphabet)
        return String((0..<length).map { _ in characters[Int.random(in: 0..<characters.count, using: &generator)] })
    }
}
