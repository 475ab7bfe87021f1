import Foundation

/// A runtime interface client Lambent writes itself (where AWS's cannot be installed here),
/// carried inside the server as text (`runtime-clients/<name>/`, embedded by
/// `scripts/embed-runtime-clients.py`) and written out once per server build.
///
/// ```swift
/// let folder = try EmbeddedClient.nodejs.install(into: runtimesDirectory)   // mounted at /var/runtime
/// ```
struct EmbeddedClient: Sendable {
    /// The client's folder name under runtime-clients/.
    let name: String
    /// A digest of every file, naming the folder the client is written to.
    let digest: String
    /// The client's files, by name.
    let files: [(name: String, text: String)]

    /// Writes the client into `<runtimes>/<name>-client-<digest>/` unless it is there: a
    /// folder per build, so that a newer server never changes files an older one's sandboxes
    /// have mounted. Returns the folder's path.
    func install(into runtimesDirectory: URL) throws(SandboxError) -> String {
        let directory = runtimesDirectory.appendingPathComponent("\(name)-client-\(digest)")
        let manager = FileManager.default
        if files.allSatisfy({ manager.fileExists(atPath: directory.appendingPathComponent($0.name).path) }) {
            return directory.path
        }
        let temporary = runtimesDirectory.appendingPathComponent(".\(name)-client-\(UUID().uuidString)")
        do {
            try manager.createDirectory(at: temporary, withIntermediateDirectories: true)
            for file in files {
                try Data(file.text.utf8).write(to: temporary.appendingPathComponent(file.name))
            }
            try? manager.removeItem(at: directory)
            try manager.moveItem(at: temporary, to: directory)
        } catch {
            try? manager.removeItem(at: temporary)
            // Another server sharing the runtimes directory may have written it meanwhile.
            if files.allSatisfy({ manager.fileExists(atPath: directory.appendingPathComponent($0.name).path) }) {
                return directory.path
            }
            throw SandboxError(.runtimeUnavailable, "could not write the \(name) runtime client to \(directory.path): \(error)")
        }
        return directory.path
    }
}
