import Foundation
import LambentModel
import Logging

/// Provisions the Python runtime: a host Python interpreter, and awslambdaric (the real AWS
/// runtime interface client, from PyPI) with boto3 (which AWS's Python runtimes include)
/// installed once into `<runtimes>/python<X.Y>/` and mounted read-only at /var/runtime.
///
/// Lambda's `python3.N` identifiers map to the host's `python3.N` when it has one, and
/// otherwise to the host's default `python3` (at least 3.9): Lambent runs the code with the
/// interpreter it has rather than refusing a function that almost always works. The server
/// logs which interpreter serves which runtime.
public actor PythonRuntime: LanguageRuntime {
    /// A provisioned runtime: what the sandbox mounts and runs.
    public struct Provisioned: Sendable {
        /// The interpreter, a path that exists both on the host and in the sandbox.
        public var interpreter: String
        /// The interpreter's version, e.g. "3.11".
        public var version: String
        /// Host directory with awslambdaric, mounted at /var/runtime.
        public var directory: String
    }

    private let runtimesDirectory: URL
    private let logger: Logger
    private var provisioned: [String: Provisioned] = [:]
    private var interpreters: [String: (path: String, version: String)]?
    private var fallback: (path: String, version: String)?
    private var installs: [String: Task<Void, any Error>] = [:]

    public init(runtimesDirectory: URL, logger: Logger) {
        self.runtimesDirectory = runtimesDirectory
        self.logger = logger
    }

    /// The interpreter search path: system directories only, since they are what the
    /// sandbox binds (never a home directory).
    static let searchDirectories = ["/usr/bin", "/usr/local/bin"]

    /// Whether some Python ≥ 3.9 exists to run functions with.
    public nonisolated static func hostHasPython() -> Bool {
        searchDirectories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/python3") }
    }

    public nonisolated var identifiers: [String] { LambdaRuntime.python }

    public nonisolated var isAvailable: Bool { Self.hostHasPython() }

    /// awslambdaric at /var/runtime, run as `python -m awslambdaric <handler>`.
    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        let runtimeID = request.runtimeID
        let python = try await provisionInterpreter(runtimeID)
        return RuntimeLaunch(
            mounts: [SandboxMount(host: python.directory, sandbox: "/var/runtime")],
            command: [python.interpreter, "-m", "awslambdaric", request.handler],
            variables: ["PYTHONPATH": "/var/runtime", "AWS_EXECUTION_ENV": "AWS_Lambda_\(runtimeID)"])
    }

    /// The interpreter for a Lambda identifier such as "python3.12", installing awslambdaric if needed.
    public func provisionInterpreter(_ runtime: String) async throws(SandboxError) -> Provisioned {
        let interpreter = try resolveInterpreter(for: runtime)
        if let ready = provisioned[interpreter.version] { return ready }
        let directory = runtimesDirectory.appendingPathComponent("python\(interpreter.version)")
        // boto3 came after awslambdaric: an install without it is done again.
        let marker = directory.appendingPathComponent("boto3").path
        if !FileManager.default.fileExists(atPath: marker) {
            // The actor is reentrant across the install's await: cold starts that arrive
            // meanwhile wait for the one install instead of starting their own.
            let version = interpreter.version
            let install = installs[version] ?? Task { [self] () async throws -> Void in
                let failure: SandboxError? = await self.installReportingFailure(into: directory, pythonVersion: version)
                if let failure { throw failure }
            }
            installs[interpreter.version] = install
            defer { installs[interpreter.version] = nil }
            do {
                try await install.value
            } catch let error as SandboxError {
                throw error
            } catch {
                throw SandboxError(.runtimeUnavailable, "could not install the Python runtime: \(error)")
            }
        }
        try Self.writeLayerPaths(into: directory, pythonVersion: interpreter.version)
        let result = Provisioned(interpreter: interpreter.path, version: interpreter.version, directory: directory.path)
        provisioned[interpreter.version] = result
        return result
    }

    /// Puts layers' Python directories on `sys.path` right after /var/task, where Lambda's
    /// Python runtimes have them (`/opt/python/lib/pythonX.Y/site-packages`, then
    /// `/opt/python`), while `PYTHONPATH` stays `/var/runtime` as functions see it on Lambda:
    /// a `sitecustomize` module beside awslambdaric, which Python imports at startup.
    static func writeLayerPaths(into directory: URL, pythonVersion: String) throws(SandboxError) {
        let text = """
            # Written by Lambent: layers' Python paths, after /var/task, as on AWS Lambda.
            import sys
            sys.path[0:0] = ["/opt/python/lib/python\(pythonVersion)/site-packages", "/opt/python"]

            """
        let file = directory.appendingPathComponent("sitecustomize.py")
        if (try? String(contentsOf: file, encoding: .utf8)) == text { return }
        do {
            try text.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            throw SandboxError(.runtimeUnavailable, "could not write \(file.path): \(error)")
        }
    }

    private func resolveInterpreter(for runtime: String) throws(SandboxError) -> (path: String, version: String) {
        if interpreters == nil { interpreters = Self.discoverInterpreters() }
        let wanted = runtime.replacingOccurrences(of: "python", with: "")
        if let exact = interpreters?[wanted] { return exact }
        if let fallback { return fallback }
        for directory in Self.searchDirectories {
            let path = "\(directory)/python3"
            if let version = Self.version(of: path), let minor = Int(version.split(separator: ".").last ?? ""), minor >= 9 {
                logger.notice("runtimes without a matching host interpreter run on the host's Python \(version)",
                              metadata: ["lambent.runtime": "\(runtime)"])
                fallback = (path, version)
                return (path, version)
            }
        }
        throw SandboxError(.runtimeUnavailable, "no Python 3.9 or later in /usr/bin or /usr/local/bin (apt-get install python3)")
    }

    static func discoverInterpreters() -> [String: (path: String, version: String)] {
        var found: [String: (path: String, version: String)] = [:]
        for directory in searchDirectories {
            for minor in 9...14 {
                let path = "\(directory)/python3.\(minor)"
                if found["3.\(minor)"] == nil, FileManager.default.isExecutableFile(atPath: path) {
                    found["3.\(minor)"] = (path, "3.\(minor)")
                }
            }
        }
        return found
    }

    static func version(of interpreter: String) -> String? {
        let output = try? HostCommand.run([interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        return output?.status == 0 ? output?.text.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    private func installReportingFailure(into directory: URL, pythonVersion: String) async -> SandboxError? {
        logger.notice("installing awslambdaric and boto3 for Python \(pythonVersion) into \(directory.path) (first use; needs PyPI)")
        do {
            try await PyPIInstaller.install(
                ["--python-version", pythonVersion, "--implementation", "cp", "awslambdaric", "boto3"],
                into: directory, what: "the Python runtime") {
                    FileManager.default.fileExists(atPath: $0.appendingPathComponent("boto3").path)
                }
            return nil
        } catch {
            return error
        }
    }
}
