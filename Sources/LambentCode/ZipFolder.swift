import Foundation
import ZIPFoundation

/// A folder's files as a deployment package (the folder itself not included), for
/// `lambent deploy` and the console's inline editor.
public enum ZipFolder {
    public static func zip(_ folder: URL) throws -> [UInt8] {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-zip-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: destination) }
        try FileManager.default.zipItem(at: folder, to: destination, shouldKeepParent: false)
        return [UInt8](try Data(contentsOf: destination))
    }

    /// A package holding the given files (relative paths) and nothing else.
    public static func zip(files: [String: Data]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (path, contents) in files {
            let file = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: file)
        }
        return try zip(folder)
    }
}
