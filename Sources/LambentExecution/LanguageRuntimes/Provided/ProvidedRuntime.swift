import Foundation

/// Lambda's OS-only runtimes (`provided.al2023`, `provided.al2`): the function brings its own
/// runtime client as an executable `bootstrap` at the root of its package, which the agent
/// starts as is. It talks to the Runtime API at `AWS_LAMBDA_RUNTIME_API` like any client.
///
/// As on AWS, a package without a bootstrap runs a layer's (`/opt/bootstrap`). There is no
/// `AWS_EXECUTION_ENV` for these runtimes, as on AWS.
public struct ProvidedRuntime: LanguageRuntime {
    public init() {}

    public var identifiers: [String] { ["provided.al2023", "provided.al2"] }

    /// Needs nothing of the host: the function's bootstrap is all there is.
    public var isAvailable: Bool { true }

    /// Where Lambda runs the function's own runtime from.
    public static let bootstrapPath = "/var/task/bootstrap"
    /// Where Lambda looks next: a layer's bootstrap.
    public static let layerBootstrapPath = "/opt/bootstrap"

    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        RuntimeLaunch(command: [Self.bootstrap(for: request)],
                      missingEntrypointMessage: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
    }

    /// The package's bootstrap, or the layers' when the package has none and they do.
    static func bootstrap(for request: RuntimeRequest) -> String {
        let exists = { (directory: String?) in
            directory.map { FileManager.default.fileExists(atPath: "\($0)/bootstrap") } ?? false
        }
        return !exists(request.codeDirectory) && exists(request.layersDirectory) ? layerBootstrapPath : bootstrapPath
    }
}
