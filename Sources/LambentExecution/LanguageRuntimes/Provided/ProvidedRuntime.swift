/// Lambda's OS-only runtimes (`provided.al2023`, `provided.al2`): the function brings its own
/// runtime client as an executable `bootstrap` at the root of its package, which the agent
/// starts as is. It talks to the Runtime API at `AWS_LAMBDA_RUNTIME_API` like any client.
///
/// AWS also looks for `/opt/bootstrap` (a layer's) when the package has none; Lambent will
/// once layers exist. There is no `AWS_EXECUTION_ENV` for these runtimes, as on AWS.
public struct ProvidedRuntime: LanguageRuntime {
    public init() {}

    public var identifiers: [String] { ["provided.al2023", "provided.al2"] }

    /// Needs nothing of the host: the function's bootstrap is all there is.
    public var isAvailable: Bool { true }

    /// Where Lambda runs the function's own runtime from.
    public static let bootstrapPath = "/var/task/bootstrap"

    public func provision(_ runtimeID: String, handler: String) async throws(SandboxError) -> RuntimeLaunch {
        RuntimeLaunch(command: [Self.bootstrapPath],
                      missingEntrypointMessage: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
    }
}
