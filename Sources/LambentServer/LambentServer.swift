import Foundation
import Hummingbird
import LambentAuth
import LambentModel
import LambentExecution
import LambentStore
import Logging
import NIOCore
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
    /// The first retry delay of a failed asynchronous invocation (AWS: 1 minute; the second
    /// is twice this; throttle backoff scales with it too). Shorter for tests and development.
    public var asyncRetryBase: Duration = .seconds(60)
    /// How many asynchronous events run at once (`--async-concurrency`); 0 keeps them queued.
    public var asyncConcurrency = 64
    /// Where function URLs answer (`--url-domain`); nil for `http://<id>.lambda-url.<region>.localhost:<port>/`.
    public var urlDomain: String?
    /// How long functions' own credentials last; nil for `maxLifetime` + 15 minutes, so an
    /// environment's credentials outlive it (`--credentials-lifetime`, for testing expiry).
    public var credentialsLifetime: Duration?
    /// An S3-compatible store objects live in (`--s3-backend`); nil runs SeaweedFS.
    public var s3Backend: S3Backend?
    /// How long the S3 front end waits on the object store without a byte read or written
    /// before it answers 503 and checks the store (`--object-store-timeout`; for tests).
    public var objectStoreTimeout: Duration = .seconds(30)
    /// How long a client may leave its answer unread (the connection unwritable) before the
    /// connection is closed (`StalledClientHandler`; `--stalled-client-timeout`, for tests).
    public var stalledClientTimeout: Duration = .seconds(60)
    /// How long a connection may send nothing while no answer is being written to it (idle
    /// between requests, or a request's head or body that stopped coming) before it is closed
    /// (`--client-idle-timeout`, for tests).
    public var clientIdleTimeout: Duration = .seconds(120)
    /// Whether invocations are recorded as CloudWatch metrics (`--no-cloudwatch-metrics`: not).
    public var cloudWatchMetrics = true
    /// The OpenTelemetry collector sampled invocations' spans go to (`--otlp-endpoint`); nil exports none.
    public var otlpEndpoint: String?
    /// How long a console sign-in lasts (`--console-session-lifetime`).
    public var consoleSessionLifetime: Duration = .seconds(3600)

    /// The base of function URLs.
    public var urlBase: FunctionUrlBase {
        urlDomain.map { FunctionUrlBase(scheme: "https", domain: $0) } ?? .local(port: port)
    }

    public init(dataDirectory: URL, agentPath: String) {
        self.dataDirectory = dataDirectory
        self.agentPath = agentPath
    }
}

/// An existing S3-compatible object store (`--s3-backend URL` and its key).
public struct S3Backend: Sendable {
    public var url: URL
    public var accessKeyID: String
    public var secretAccessKey: String
    public var region: String

    public init(url: URL, accessKeyID: String, secretAccessKey: String, region: String) {
        self.url = url
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
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
    let metrics: PrometheusMetrics
    /// CloudWatch's metrics, per minute, in the store.
    let metricRecorder: MetricRecorder
    /// Spans of sampled invocations, when a collector is configured.
    let traceExporter: TraceExporter?
    /// Signed-in console sessions.
    let consoleSessions: ConsoleSessions
    let service: FunctionService
    let invocations: InvocationService
    let queues: QueueService
    let dispatcher: AsyncDispatcher
    let pollers: SQSPollers
    let mappings: EventSourceMappingService
    let scheduler: SchedulerService
    let rules: RulesService
    let scheduleRunner: ScheduleRunner
    /// The client the S3 front end reaches the object store with.
    let objectClient: ObjectStoreClient
    let objects: any ObjectStore
    let seaweed: SeaweedFS?
    let notifications: BucketNotifications
    let platform: PlatformCredentials
    /// The Unix socket functions' sandboxes reach the server through.
    let platformSocket: String
    let blobs: BlobStore
    let codeLinks: CodeLinks
    let names: ResourceNames
    let cgroups: Cgroups?
    let launchers: LauncherPool?
    let tmpVolumes: EphemeralStoragePool?

    /// Builds a node. `dependencies` are probed from the host when nil (see `ServerDependencies`).
    public init(configuration: ServerConfiguration, logger: Logger, dependencies: ServerDependencies? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let manager = FileManager.default
        let data = configuration.dataDirectory
        try manager.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        credentials = try RootCredentials.load(dataDirectory: data, environment: ProcessInfo.processInfo.environment)
        store = try SQLiteStore(path: data.appendingPathComponent("lambent.sqlite").path)
        blobs = try BlobStore(root: data.appendingPathComponent("blobs"))
        // Files of browser-based uploads a crash left half read.
        try? manager.removeItem(at: Self.uploadSpool(dataDirectory: data))
        let codeRoot = data.appendingPathComponent("code")
        try manager.createDirectory(at: codeRoot, withIntermediateDirectories: true)
        names = ResourceNames(region: configuration.region, accountID: configuration.accountID)
        logSink = LogSink(store: store, logger: logger)
        metricRecorder = MetricRecorder(store: store, logger: logger)
        metrics = PrometheusMetrics(recorder: configuration.cloudWatchMetrics ? metricRecorder : nil)
        consoleSessions = ConsoleSessions(lifetime: configuration.consoleSessionLifetime)
        traceExporter = configuration.otlpEndpoint.map { TraceExporter(endpoint: $0, region: configuration.region, logger: logger) }
        let dependencies = try dependencies ?? ServerDependencies.probe(configuration: configuration, logger: logger)
        cgroups = dependencies.cgroups
        launchers = dependencies.launchers
        tmpVolumes = dependencies.tmpVolumes
        let driver = dependencies.driver
        let languageRuntimes = dependencies.runtimes
        let platform = PlatformCredentials(lifetime: Double(
            configuration.credentialsLifetime?.components.seconds ?? configuration.maxLifetime.components.seconds + 900))
        self.platform = platform
        platformSocket = Self.platformSocketPath(dataDirectory: data)
        let endpointHost = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        invoker = Invoker(
            configuration: .init(agentPath: configuration.agentPath,
                                 stateDirectory: data.appendingPathComponent("environments"),
                                 region: configuration.region, idleTimeout: configuration.idleTimeout,
                                 maxLifetime: configuration.maxLifetime, network: configuration.network,
                                 vpcNetwork: configuration.vpcNetwork,
                                 platform: PlatformAccess(
                                    socketPath: platformSocket, hostEndpoint: "http://\(endpointHost):\(configuration.port)",
                                    credentials: { config in platform.variables(function: config.functionName, role: config.role) })),
            driver: driver, runtimes: languageRuntimes,
            logSink: logSink, logger: logger, limiter: ConcurrencyLimiter(accountLimit: configuration.concurrencyLimit),
            observer: Self.observer(metrics: metrics, traces: traceExporter))
        if configuration.cloudWatchMetrics { metricRecorder.attach(activity: { [invoker] in invoker.activity() }) }
        service = FunctionService(store: store, blobs: blobs, codeRoot: codeRoot, names: names, changes: invoker, provisioning: invoker,
                                  accountConcurrencyLimit: configuration.concurrencyLimit,
                                  runnableRuntimes: languageRuntimes.runnableIdentifiers, logger: logger)
        queues = QueueService(store: store, names: names, logger: logger)
        let events = EventQueue(store: store, signals: queues.signals, metrics: metrics.queues)
        invocations = InvocationService(functions: service, invoker: invoker, names: names, events: events)
        pollers = SQSPollers(queues: queues, names: names, logger: logger)
        pollers.attach(invocations)
        mappings = EventSourceMappingService(store: store, functions: service, queues: queues, pollers: pollers, names: names)
        dispatcher = AsyncDispatcher(events: events, invocations: invocations, functions: service, queues: queues, names: names,
                                     logger: logger, retryBase: configuration.asyncRetryBase, metrics: metrics.queues,
                                     maxInFlight: configuration.asyncConcurrency)
        codeLinks = CodeLinks(secret: credentials.key.secretAccessKey)
        scheduler = SchedulerService(store: store, names: names)
        rules = RulesService(store: store, names: names)
        let targets = EventTargets(invocations: invocations, queues: queues, names: names)
        scheduleRunner = ScheduleRunner(store: store, scheduler: scheduler, rules: rules,
                                        delivery: ScheduleDelivery(targets: targets), logger: logger)
        objectClient = ObjectStoreClient(timeout: configuration.objectStoreTimeout)
        if let backend = configuration.s3Backend {
            seaweed = nil
            objects = ExternalObjectStore(fixed: ObjectStoreEndpoint(
                url: backend.url, key: AccessKey(accessKeyID: backend.accessKeyID, secretAccessKey: backend.secretAccessKey),
                region: backend.region))
        } else {
            let seaweed = SeaweedFS(dataDirectory: data, runtimesDirectory: configuration.runtimesDirectory ?? data.appendingPathComponent("runtimes"),
                                    region: configuration.region, http: objectClient, logger: logger)
            self.seaweed = seaweed
            objects = seaweed
        }
        notifications = BucketNotifications(store: store, functions: service, queues: queues, targets: targets, names: names, logger: logger)
    }

    /// The invoker's observer: the metrics, and the trace exporter when there is one.
    private static func observer(metrics: PrometheusMetrics, traces: TraceExporter?) -> any InvocationObserver {
        guard let traces else { return metrics.observer }
        return InvocationObservers([metrics.observer, traces])
    }

    /// The HTTP router with every route and middleware; with the web console on the server's
    /// port, never on the platform socket functions reach.
    public func router(console: Bool = false) -> Router<LambentRequestContext> {
        let router = Router(context: LambentRequestContext.self)
        let key = credentials.key
        // One endpoint, several services: the credential scope says which one a request is for.
        let platform = self.platform
        let verifier = SigV4Verifier(services: ["lambda", "sqs", "logs", "scheduler", "events", "monitoring"],
                                     lookup: { $0 == key.accessKeyID ? key : platform.session($0)?.key })
        // S3 answers in its own terms (XML errors, streamed bodies): first, before any body is read.
        let s3Verifier = SigV4Verifier(services: ["s3"], lookup: { $0 == key.accessKeyID ? key : platform.session($0)?.key })
        router.add(middleware: S3Gateway(verifier: s3Verifier, rootKey: key, platform: platform, names: names, objects: objects,
                                         http: objectClient, notifications: notifications,
                                         uploadSpool: Self.uploadSpool(dataDirectory: configuration.dataDirectory), logger: logger))
        if console {
            router.add(middleware: Console(
                rootKey: key, sessions: consoleSessions, functions: service, invocations: invocations,
                logs: LogsService(store: store, names: names), cloudWatch: CloudWatchService(store: store, recorder: metricRecorder),
                store: store, mappings: mappings, queues: queues, urlBase: configuration.urlBase, names: names, logger: logger))
        }
        // Function URL traffic is answered first, in HTTP's terms, never by the Lambda API.
        router.add(middleware: FunctionUrlMiddleware(functions: service, invocations: invocations, verifier: verifier, names: names))
        router.add(middleware: AWSErrorMiddleware())
        router.add(middleware: SigV4Middleware(verifier: verifier, platform: platform, names: names))
        FunctionRoutes(service: service, codeLinks: codeLinks).register(on: router)
        FunctionUrlRoutes(service: service, base: configuration.urlBase).register(on: router)
        VersionRoutes(service: service).register(on: router)
        AliasRoutes(service: service).register(on: router)
        TagRoutes(service: service).register(on: router)
        LayerRoutes(service: service, codeLinks: codeLinks).register(on: router)
        PolicyRoutes(service: service).register(on: router)
        ProvisionedConcurrencyRoutes(service: service).register(on: router)
        SettingRoutes(service: service).register(on: router)
        let cloudWatch = CloudWatchRoutes(cloudWatch: CloudWatchService(store: store, recorder: metricRecorder))
        ServiceRoutes(sqs: SQSRoutes(queues: queues), logs: LogsRoutes(logs: LogsService(store: store, names: names)),
                      events: EventsRoutes(rules: rules), cloudWatch: cloudWatch).register(on: router)
        cloudWatch.register(on: router)
        SchedulerRoutes(scheduler: scheduler).register(on: router)
        EventInvokeConfigRoutes(service: service).register(on: router)
        EventSourceMappingRoutes(mappings: mappings).register(on: router)
        InvokeRoutes(invocations: invocations).register(on: router)
        LambentRoutes(store: store, blobs: blobs, codeLinks: codeLinks, names: names).register(on: router)
        MetricsRoutes(metrics: metrics, invoker: invoker, queues: queues).register(on: router)
        return router
    }

    /// The services in start order; a ServiceGroup stops them in reverse, so the launcher
    /// pool outlives the invoker and its groups are gone before the server's own.
    private func services(_ app: some Service) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: objectClient),
                                                                          .init(service: logSink), .init(service: metricRecorder)]
        if let traceExporter { services.append(.init(service: traceExporter)) }
        if let seaweed { services.append(.init(service: seaweed)) }
        if let launchers { services.append(.init(service: launchers)) }
        if let tmpVolumes { services.append(.init(service: tmpVolumes)) }
        return services + [.init(service: invoker), .init(service: dispatcher), .init(service: pollers), .init(service: scheduleRunner),
                           .init(service: app)]
    }

    /// Runs until SIGTERM or SIGINT.
    public func run(onReady: @escaping @Sendable () -> Void = {}) async throws {
        await service.collectUnusedCode()
        try await service.loadReservations()
        try await service.loadFunctionUrls()
        let stallLimit = TimeAmount(configuration.stalledClientTimeout)
        // Hummingbird closes a connection idle this long, unless an answer is being written
        // (a long invocation, a long poll, a stalled reader: `StalledClientHandler`'s).
        let idleLimit = TimeAmount(configuration.clientIdleTimeout)
        // Each connection's own handlers (Hummingbird calls this once per connection).
        let connectionHandlers: @Sendable () -> [any RemovableChannelHandler] = {
            [ExpectContinueHandler(), StalledClientHandler(limit: stallLimit)]
        }
        let app = Application(
            router: router(console: true),
            server: .http1(configuration: .init(additionalChannelHandlers: connectionHandlers(), idleTimeout: idleLimit)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Lambent"),
            onServerRunning: { [service, queues, mappings, logger] _ in
                Task { await queues.runExpiry() }
                Task {
                    do {
                        try await mappings.loadMappings()
                    } catch {
                        logger.error("could not load event source mappings", metadata: ["lambent.error": "\(error)"])
                    }
                }
                // Provisioned environments start once the services they need are running.
                Task {
                    do {
                        try await service.loadProvisionedConcurrency()
                    } catch {
                        logger.error("could not load provisioned concurrency", metadata: ["lambent.error": "\(error)"])
                    }
                }
                onReady()
            },
            logger: logger)
        // Functions' sandboxes reach the server through this socket (their agents serve it on
        // their loopback); it answers like the port, with functions' credentials held to the
        // data plane by the signature middleware.
        try? FileManager.default.removeItem(atPath: platformSocket)
        let platformApp = Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: connectionHandlers(), idleTimeout: idleLimit)),
            configuration: .init(address: .unixDomainSocket(path: platformSocket), serverName: "Lambent"),
            onServerRunning: { [platformSocket] _ in _ = chmod(platformSocket, 0o666) },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: services(app) + [.init(service: platformApp)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        cgroups?.removeServerGroup()
    }

    /// Where browser-based uploads' large files wait while their form is read (`S3PostedFile`).
    static func uploadSpool(dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("s3-uploads")
    }

    /// `<data>/platform.sock`, or a path under /tmp named after the data directory when that
    /// one is longer than a Unix socket's address can be.
    static func platformSocketPath(dataDirectory: URL) -> String {
        let path = dataDirectory.appendingPathComponent("platform.sock").path
        if path.utf8.count < 100 { return path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in dataDirectory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "/tmp/lambent-\(String(hash, radix: 16)).sock"
    }
}
