import Foundation

/// A fresh directory under /tmp, removed by `cleanUp()`.
struct Scratch {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lambent-code-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func url(_ name: String) -> URL {
        root.appendingPathComponent(name)
    }

    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let url = url(name)
        try Data(bytes).write(to: url)
        return url
    }

    func zip(_ entries: [FixtureEntry], name: String = "code.zip") throws -> URL {
        try write(ZipFixture.make(entries), to: name)
    }

    /// Names in the scratch root, to prove that a failed extraction left nothing behind.
    func contents() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: root.path))
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// Runs a command and returns its standard output; throws on a non-zero exit.
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    struct Failed: Error { var arguments: [String]; var status: Int32 }
    guard process.terminationStatus == 0 else { throw Failed(arguments: arguments, status: process.terminationStatus) }
    return String(decoding: output, as: UTF8.self)
}

func fileMode(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? Int) ?? -1
}
