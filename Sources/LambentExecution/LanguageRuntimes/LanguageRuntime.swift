/// A language runtime: what a function of a Lambda runtime id (`python3.12`,
/// `provided.al2023`, …) needs inside its sandbox besides its code: files to mount, the
/// command the agent starts, and variables of its own.
///
/// Runtimes are chosen by id from a `LanguageRuntimeRegistry`. Adding a language is adding
/// a type that conforms here (and a folder next to `Python/` and `Provided/`); nothing in
/// the invoker or the sandbox drivers changes.
public protocol LanguageRuntime: Sendable {
    /// The Lambda runtime ids this runtime serves.
    var identifiers: [String] { get }
    /// Whether this host can run it at all (CreateFunction refuses runtimes it cannot).
    var isAvailable: Bool { get }
    /// Prepares the runtime for a function (installing its files on first use) and says how
    /// to start it.
    func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch
}

/// What a language runtime is told about the function it is to start.
public struct RuntimeRequest: Sendable, Equatable {
    /// The Lambda runtime id, e.g. `nodejs22.x`.
    public var runtimeID: String
    /// The function's `Handler`.
    public var handler: String
    /// The function's memory, in MB (Node.js sizes its heap from it, as on AWS).
    public var memoryMB: Int
    /// The host directory mounted at /var/task.
    public var codeDirectory: String?
    /// The host directory mounted at /opt (the function's layers), if any.
    public var layersDirectory: String?
    /// The function's own environment variables (Node.js reads `NODE_OPTIONS` to decide its
    /// flags, as AWS's bootstrap does).
    public var environment: [String: String]

    public init(runtimeID: String, handler: String, memoryMB: Int = 128, codeDirectory: String? = nil,
                layersDirectory: String? = nil, environment: [String: String] = [:]) {
        self.runtimeID = runtimeID
        self.handler = handler
        self.memoryMB = memoryMB
        self.codeDirectory = codeDirectory
        self.layersDirectory = layersDirectory
        self.environment = environment
    }
}

/// How a language runtime starts inside a sandbox.
public struct RuntimeLaunch: Sendable, Equatable {
    /// Host directories the runtime needs, e.g. its client library at /var/runtime.
    public var mounts: [SandboxMount]
    /// The runtime's command, with paths as seen inside the sandbox.
    public var command: [String]
    /// Variables of the runtime's own (`PYTHONPATH`, `AWS_EXECUTION_ENV`, …), set after
    /// Lambda's and the function's.
    public var variables: [String: String]
    /// Variables the runtime sets only where the function does not (`NODE_PATH`, which AWS's
    /// Node.js bootstrap sets only when it is empty).
    public var defaultVariables: [String: String]
    /// What the caller is told when the command does not exist (`Runtime.InvalidEntrypoint`);
    /// nil reports the exec error itself, as Lambda does for its managed runtimes.
    public var missingEntrypointMessage: String?

    public init(mounts: [SandboxMount] = [], command: [String], variables: [String: String] = [:],
                defaultVariables: [String: String] = [:], missingEntrypointMessage: String? = nil) {
        self.mounts = mounts
        self.command = command
        self.variables = variables
        self.defaultVariables = defaultVariables
        self.missingEntrypointMessage = missingEntrypointMessage
    }
}

/// The language runtimes a server offers, by Lambda runtime id.
///
/// ```swift
/// let runtimes = LanguageRuntimeRegistry.standard(runtimesDirectory: dir, logger: logger)
/// let launch = try await runtimes.provision(RuntimeRequest(runtimeID: "python3.12", handler: "app.handler"))
/// ```
public struct LanguageRuntimeRegistry: Sendable {
    private let byIdentifier: [String: any LanguageRuntime]
    private let ordered: [any LanguageRuntime]

    public init(_ runtimes: [any LanguageRuntime]) {
        ordered = runtimes
        var byIdentifier: [String: any LanguageRuntime] = [:]
        for runtime in runtimes {
            for identifier in runtime.identifiers where byIdentifier[identifier] == nil {
                byIdentifier[identifier] = runtime
            }
        }
        self.byIdentifier = byIdentifier
    }

    /// The runtime serving `identifier`, if any.
    public func runtime(for identifier: String) -> (any LanguageRuntime)? {
        byIdentifier[identifier]
    }

    /// Every runtime id this host can run, in registration order.
    public var runnableIdentifiers: [String] {
        ordered.filter(\.isAvailable).flatMap(\.identifiers)
    }

    /// Prepares the runtime for a function; `.runtimeUnavailable` when none serves its id.
    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        guard let runtime = byIdentifier[request.runtimeID] else {
            throw SandboxError(.runtimeUnavailable, "this server has no runtime \(request.runtimeID)")
        }
        return try await runtime.provision(request)
    }
}
