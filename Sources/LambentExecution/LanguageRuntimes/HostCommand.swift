import Foundation

/// Runs the host's programs that provision runtimes: pip, and interpreters asked their version.
public enum HostCommand {
    /// Runs a command on a thread of its own: pip can take seconds, and the cooperative
    /// pool (two threads on a 2-core machine) must keep serving invocations meanwhile.
    public static func runOffPool(_ argv: [String]) async throws -> (status: Int32, text: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(argv) })
            }
        }
    }

    /// Runs a command to its end; its status and its output and errors together.
    public static func run(_ argv: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
