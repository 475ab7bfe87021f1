import Foundation

/// Content-addressed files for deployment packages: `<root>/<sha256-hex>.zip`.
/// Writes go to a temporary file first and are renamed into place, so a reader never sees
/// a partial blob and two writers of the same content agree.
public struct BlobStore: Sendable {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// Where the blob with this key lives.
    public func url(for key: String) -> URL { root.appendingPathComponent("\(key).zip") }

    /// Stores bytes under `key` unless already present.
    public func put(_ bytes: [UInt8], key: String) throws {
        let destination = url(for: key)
        if FileManager.default.fileExists(atPath: destination.path) { return }
        let temporary = root.appendingPathComponent(".\(key).\(UUID().uuidString).tmp")
        try Data(bytes).write(to: temporary)
        if rename(temporary.path, destination.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    /// Removes a blob if present.
    public func remove(key: String) {
        try? FileManager.default.removeItem(at: url(for: key))
    }
}
