import Foundation
import LambentModel
import Logging

/// Provisions the Java runtimes (`java17`, `java21`, `java25`): a host JDK, and Lambent's own
/// runtime (`runtime-clients/java/`, embedded in the server: `EmbeddedClient.java`): the
/// `com.amazonaws.services.lambda.runtime` interfaces functions compile against, and the
/// runtime client, compiled once with the host's `javac` into
/// `<runtimes>/java-client-<digest>/classes` and mounted read-only at /var/runtime. JSON goes
/// through Debian's Jackson (`libjackson2-databind-java`), as AWS's runtime uses Jackson.
///
/// `javaNN` runs on a host JDK of major NN (`/usr/lib/jvm/*`), else on the nearest newer one
/// (Java runs older bytecode), else on the newest there is; the server logs the substitution.
/// The same folder holds `lambent-lambda-java-core.jar`, the interfaces alone, to compile
/// functions against where AWS's aws-lambda-java-core cannot be downloaded.
///
/// The command line is AWS's java runtimes': serial GC, tiered compilation stopped at C1,
/// class data sharing, and a heap of 85 % of the function's memory (at least all but 240 MB).
public actor JavaRuntime: LanguageRuntime {
    /// A JDK on the host: its `java`, resolved (no /etc/alternatives links, which the sandbox lacks).
    struct JDK: Sendable, Equatable {
        var home: String
        var major: Int
        var java: String { "\(home)/bin/java" }
        var javac: String { "\(home)/bin/javac" }
        var jar: String { "\(home)/bin/jar" }
    }

    static let jvmDirectory = "/usr/lib/jvm"
    static let jackson = ["jackson-databind", "jackson-core", "jackson-annotations"].map { "/usr/share/java/\($0).jar" }
    static let mainClass = "lambent.runtime.Main"

    private let runtimesDirectory: URL
    private let logger: Logger
    private var jdks: [JDK]?
    private var announced: Set<String> = []
    private var compiled: String?
    private var compiling: Task<String, any Error>?

    public init(runtimesDirectory: URL, logger: Logger) {
        self.runtimesDirectory = runtimesDirectory
        self.logger = logger
    }

    public nonisolated var identifiers: [String] { LambdaRuntime.java }

    /// A JDK with `javac`, and Jackson.
    public nonisolated var isAvailable: Bool {
        !Self.discoverJDKs().isEmpty && Self.jackson.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        guard let wanted = Int(request.runtimeID.dropFirst("java".count)) else {
            throw SandboxError(.runtimeUnavailable, "\(request.runtimeID) is not a Java runtime")
        }
        if jdks == nil { jdks = Self.discoverJDKs() }
        guard let jdk = Self.choose(major: wanted, from: jdks ?? []) else {
            throw SandboxError(.runtimeUnavailable, "no JDK in \(Self.jvmDirectory) (apt-get install default-jdk-headless libjackson2-databind-java)")
        }
        if !announced.contains(request.runtimeID) {
            announced.insert(request.runtimeID)
            logger.notice("\(request.runtimeID) runs on the JDK in \(jdk.home) (Java \(jdk.major))",
                          metadata: ["lambent.runtime": "\(request.runtimeID)"])
        }
        let client = try await compileClient(with: jdk)
        var mounts = [SandboxMount(host: client, sandbox: "/var/runtime")]
        // Debian's JDKs keep their configuration in /etc (lib/jvm.cfg, conf/* are links there).
        let configuration = "/etc/java-\(jdk.major)-openjdk"
        if FileManager.default.fileExists(atPath: configuration) {
            mounts.append(SandboxMount(host: configuration, sandbox: configuration))
        }
        return RuntimeLaunch(
            mounts: mounts,
            command: Self.command(java: jdk.java, memoryMB: request.memoryMB, handler: request.handler),
            variables: ["AWS_EXECUTION_ENV": "AWS_Lambda_\(request.runtimeID)"])
    }

    /// AWS's java runtimes' command line.
    static func command(java: String, memoryMB: Int, handler: String) -> [String] {
        let heapKB = max(Int((Double(memoryMB) * 1024 * 0.85).rounded(.up)), (memoryMB - 240) * 1024)
        return [java, "-XX:MaxHeapSize=\(heapKB)k", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:+TieredCompilation",
                "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.io=ALL-UNNAMED", "-XX:+ErrorFileToStderr",
                "-cp", (["/var/runtime/classes"] + jackson).joined(separator: ":"), mainClass, handler]
    }

    /// The JDK of `major`, else the nearest newer, else the newest.
    static func choose(major: Int, from jdks: [JDK]) -> JDK? {
        jdks.first { $0.major == major }
            ?? jdks.filter { $0.major > major }.min { $0.major < $1.major }
            ?? jdks.max { $0.major < $1.major }
    }

    /// The JDKs (with `javac`) in /usr/lib/jvm, by the major version their `release` file names.
    static func discoverJDKs() -> [JDK] {
        let manager = FileManager.default
        guard let entries = try? manager.contentsOfDirectory(atPath: jvmDirectory) else { return [] }
        var found: [JDK] = []
        for entry in entries.sorted() {
            let home = URL(fileURLWithPath: "\(jvmDirectory)/\(entry)").resolvingSymlinksInPath().path
            guard !found.contains(where: { $0.home == home }),
                  manager.isExecutableFile(atPath: "\(home)/bin/java"), manager.isExecutableFile(atPath: "\(home)/bin/javac"),
                  let release = try? String(contentsOfFile: "\(home)/release", encoding: .utf8),
                  let major = majorVersion(release: release) else { continue }
            found.append(JDK(home: home, major: major))
        }
        return found
    }

    /// 17 for a `release` file with `JAVA_VERSION="17.0.15"` (and 8 for "1.8.0_…").
    static func majorVersion(release: String) -> Int? {
        guard let line = release.split(separator: "\n").first(where: { $0.hasPrefix("JAVA_VERSION=") }) else { return nil }
        let parts = line.dropFirst("JAVA_VERSION=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: ".")
        guard let first = parts.first.flatMap({ Int($0) }) else { return nil }
        return first == 1 && parts.count > 1 ? Int(parts[1]) : first
    }

    // MARK: Client

    /// Compiles the embedded client once per server build (with any JDK: it targets Java 17),
    /// and packs the interfaces into `lambent-lambda-java-core.jar`. Cold starts that arrive
    /// meanwhile wait for the one compilation.
    private func compileClient(with jdk: JDK) async throws(SandboxError) -> String {
        if let compiled { return compiled }
        let task = compiling ?? Task { [runtimesDirectory, logger] () async throws -> String in
            let directory = try EmbeddedClient.java.install(into: runtimesDirectory)
            let marker = "\(directory)/classes/lambent/runtime/Main.class"
            if FileManager.default.fileExists(atPath: marker) { return directory }
            logger.notice("compiling Lambent's Java runtime into \(directory) (first use)")
            let staging = "\(directory)/.classes-\(UUID().uuidString)"
            let sources = EmbeddedClient.java.files.map { "\(directory)/\($0.name)" }
            let javac = try await HostCommand.runOffPool(
                [jdk.javac, "--release", "17", "-nowarn", "-d", staging, "-cp", JavaRuntime.jackson.joined(separator: ":")] + sources)
            guard javac.status == 0 else {
                throw SandboxError(.runtimeUnavailable, "could not compile Lambent's Java runtime: \(javac.text.suffix(800))")
            }
            let jar = try await HostCommand.runOffPool(
                [jdk.jar, "cf", "\(staging)/lambent-lambda-java-core.jar", "-C", staging, "com/amazonaws/services/lambda/runtime"])
            guard jar.status == 0 else {
                throw SandboxError(.runtimeUnavailable, "could not pack lambent-lambda-java-core.jar: \(jar.text.suffix(800))")
            }
            let manager = FileManager.default
            try? manager.removeItem(atPath: "\(directory)/lambent-lambda-java-core.jar")
            try manager.moveItem(atPath: "\(staging)/lambent-lambda-java-core.jar", toPath: "\(directory)/lambent-lambda-java-core.jar")
            if !manager.fileExists(atPath: marker) {
                try? manager.removeItem(atPath: "\(directory)/classes")
                try manager.moveItem(atPath: staging, toPath: "\(directory)/classes")
            } else {
                try? manager.removeItem(atPath: staging)
            }
            return directory
        }
        compiling = task
        defer { compiling = nil }
        do {
            let directory = try await task.value
            compiled = directory
            return directory
        } catch let error as SandboxError {
            throw error
        } catch {
            throw SandboxError(.runtimeUnavailable, "could not prepare Lambent's Java runtime: \(error)")
        }
    }
}
