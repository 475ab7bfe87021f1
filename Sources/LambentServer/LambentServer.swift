import Foundation
import Hummingbird
import LambentAuth
import LambentModel
import LambentExecution
import LambentStore
import Logging
import ServiceLifecycle

/// Settings of `lambent serve`.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 9550
    public var dataDirectory: URL
    public var runtimesDirectory: URL?
    public var region = "us-east-1"
    public var accountID = "000000000000"
    public var agentPath: String
    public var concurrencyLimit = 1000
    /// How long an idle environment stays warm.
    public var idleTimeout: Duration = .seconds(600)
    /// How long an environment lives at most.
    public var maxLifetime: Duration = .seconds(7200)
    /// Which sandbox runs environments.
    public var sandbox: SandboxChoice = .auto
    /// The network of functions without a VpcConfig (`--network`).
    public var network: NetworkMode = .outbound
    /// The network of functions with a VpcConfig (`--vpc-network`).
    public var vpcNetwork: NetworkMode = .host

    public init(dataDirectory: URL, agentPath: String) {
        self.dataDirectory = dataDirectory
        self.agentPath = agentPath
    }
}

/// `--sandbox`: how environments are isolated.
public enum SandboxChoice: String, Sendable, CaseIterable {
    /// `namespaces` when bubblewrap is installed, else `process` with a loud warning.
    case auto
    /// bubblewrap: namespaces, an unprivileged user, seccomp, cgroups.
    case namespaces
    /// No isolation (development only).
    case process
}

/// Builds and runs one Lambent node: store, log sink, invoker and HTTP API under one
/// `ServiceGroup`, which shuts them down in reverse order on SIGTERM/SIGINT: the HTTP server
/// stops accepting and finishes in-flight requests, then the invoker stops every
/// environment, then the log sink writes what is left.
///
/// ```swift
/// let server = try await LambentServer(configuration: config, logger: logger)
/// try await server.run()
/// ```
public struct LambentServer: Sendable {
    public let configuration: ServerConfiguration
    public let credentials: RootCredentials
    let logger: Logger
    let store: SQLiteStore
    let logSink: LogSink
    let invoker: Invoker
    let metrics = PrometheusMetrics()
    let service: FunctionService
    let invocations: InvocationService
    let blobs: BlobStore
    let codeLinks: CodeLinks
    let names: ResourceNames
    let cgroups: Cgroups?
    let launchers: LauncherPool?
    let tmpVolumes: EphemeralStoragePool?

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let manager = FileManager.default
        let data = configuration.dataDirectory
        try manager.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        credentials = try RootCredentials.load(dataDirectory: data, environment: ProcessInfo.processInfo.environment)
        store = try SQLiteStore(path: data.appendingPathComponent("lambent.sqlite").path)
        blobs = try BlobStore(root: data.appendingPathComponent("blobs"))
        let codeRoot = data.appendingPathComponent("code")
        try manager.createDirectory(at: codeRoot, withIntermediateDirectories: true)
        names = ResourceNames(region: configuration.region, accountID: configuration.accountID)
        logSink = LogSink(store: store, logger: logger)
        let driver: any SandboxDriver
        var bubblewrapError: SandboxError?
        if configuration.sandbox != .process, BubblewrapDriver.locate() == nil {
            bubblewrapError = BubblewrapDriver.missing
        }
        if configuration.sandbox == .process || (configuration.sandbox == .auto && bubblewrapError != nil) {
            logger.warning("""
                SANDBOX DISABLED: functions run as plain processes of this user, with no isolation and no \
                resource limits (--sandbox process\(bubblewrapError.map { "; \($0.message)" } ?? ""))). \
                Never run untrusted code this way.
                """)
            cgroups = nil
            launchers = nil
            tmpVolumes = nil
            driver = ProcessDriver()
        } else {
            if let bubblewrapError { throw bubblewrapError }
            switch Cgroups.detect() {
            case .success(let found):
                let stale = found.removeStale()
                if stale > 0 { logger.notice("removed \(stale) environment cgroups left by a previous run") }
                cgroups = found
            case .failure(let error):
                logger.warning("resource limits are NOT enforced (memory, CPU, processes): \(error.message)")
                cgroups = nil
            }
            var outbound: OutboundNetwork?
            if [configuration.network, configuration.vpcNetwork].contains(.outbound) {
                switch OutboundNetwork.detect() {
                case .success(let found): outbound = found
                case .failure(let error):
                    logger.warning("functions meant to get the default network (outbound only) get NO network: \(error.message)")
                }
            }
            let etc = try SandboxEtc(directory: data.appendingPathComponent("sandbox-etc").path)
            launchers = cgroups.map {
                LauncherPool(cgroups: $0, configuration: .init(launcherPath: configuration.agentPath), logger: logger)
            }
            switch EphemeralStorage.detect(directory: data.appendingPathComponent("tmp").path) {
            case .success(let storage):
                let stale = storage.removeStale()
                if stale > 0 { logger.notice("removed \(stale) /tmp volumes left by a previous run") }
                tmpVolumes = EphemeralStoragePool(storage: storage, logger: logger)
            case .failure(let error):
                logger.warning("""
                    /tmp is a tmpfs, counted against MemorySize: a function filling it can be OOM-killed \
                    instead of getting ENOSPC (\(error.message))
                    """)
                tmpVolumes = nil
            }
            driver = try BubblewrapDriver(cgroups: cgroups, outbound: outbound, etc: etc, launchers: launchers,
                                          tmpVolumes: tmpVolumes)
        }
        let runtimes = configuration.runtimesDirectory ?? data.appendingPathComponent("runtimes")
        let languageRuntimes = LanguageRuntimeRegistry([
            PythonRuntime(runtimesDirectory: runtimes, logger: logger),
            ProvidedRuntime(),
        ])
        invoker = Invoker(
            configuration: .init(agentPath: configuration.agentPath,
                                 stateDirectory: data.appendingPathComponent("environments"),
                                 region: configuration.region, idleTimeout: configuration.idleTimeout,
                                 maxLifetime: configuration.maxLifetime, network: configuration.network,
                                 vpcNetwork: configuration.vpcNetwork),
            driver: driver, runtimes: languageRuntimes,
            logSink: logSink, logger: logger, limiter: ConcurrencyLimiter(accountLimit: configuration.concurrencyLimit),
            observer: metrics.observer)
        service = FunctionService(store: store, blobs: blobs, codeRoot: codeRoot, names: names, changes: invoker,
                                  accountConcurrencyLimit: configuration.concurrencyLimit,
                                  runnableRuntimes: languageRuntimes.runnableIdentifiers, logger: logger)
        invocations = InvocationService(functions: service, invoker: invoker, names: names)
        codeLinks = CodeLinks(secret: credentials.key.secretAccessKey)
    }

    /// The HTTP router with every route and middleware.
    public func router() -> Router<LambentRequestContext> {
        let router = Router(context: LambentRequestContext.self)
        router.add(middleware: AWSErrorMiddleware())
        let key = credentials.key
        router.add(middleware: SigV4Middleware(verifier: SigV4Verifier(
            service: "lambda", lookup: { $0 == key.accessKeyID ? key : nil })))
        FunctionRoutes(service: service, codeLinks: codeLinks).register(on: router)
        InvokeRoutes(invocations: invocations).register(on: router)
        LambentRoutes(store: store, blobs: blobs, codeLinks: codeLinks, names: names).register(on: router)
        MetricsRoutes(metrics: metrics, invoker: invoker).register(on: router)
        return router
    }

    /// The services in start order; a ServiceGroup stops them in reverse, so the launcher
    /// pool outlives the invoker and its groups are gone before the server's own.
    private func services(_ app: some Service) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: logSink)]
        if let launchers { services.append(.init(service: launchers)) }
        if let tmpVolumes { services.append(.init(service: tmpVolumes)) }
        return services + [.init(service: invoker), .init(service: app)]
    }

    /// Runs until SIGTERM or SIGINT.
    public func run(onReady: @escaping @Sendable () -> Void = {}) async throws {
        await service.collectUnusedCode()
        try await service.loadReservations()
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Lambent"),
            onServerRunning: { _ in onReady() },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: services(app),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        cgroups?.removeServerGroup()
    }
}
