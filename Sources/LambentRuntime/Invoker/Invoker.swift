import Foundation
import LambentControl
import LambentModel
import LambentStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs invocations: finds a warm environment of the function's current revision or starts
/// one, hands it the event, waits for the outcome within the function's timeout, and writes
/// Lambda's START/END/REPORT lines.
///
/// ```swift
/// let result = try await invoker.invoke(InvokeRequest(function: record, codeDirectory: dir, payload: body,
///                                                     clientContext: nil, wantsLogTail: false,
///                                                     invokedFunctionARN: record.configuration.functionArn))
/// ```
public final class Invoker: Service, Sendable {
    public struct Configuration: Sendable {
        /// The agent executable.
        public var agentPath: String
        /// Where environments' diagnostics files go.
        public var stateDirectory: URL
        public var region: String
        /// How long a runtime may take to initialize (Lambda: 10 s).
        public var initLimit: Duration
        /// How long an environment stays warm without invocations before it is reclaimed.
        public var idleTimeout: Duration
        /// How long an environment lives at most; it is retired between invocations after that.
        public var maxLifetime: Duration
        /// The network of functions without a VpcConfig, and of functions with one.
        public var network: NetworkMode
        public var vpcNetwork: NetworkMode

        public init(
            agentPath: String, stateDirectory: URL, region: String, initLimit: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(600), maxLifetime: Duration = .seconds(7200),
            network: NetworkMode = .outbound, vpcNetwork: NetworkMode = .host
        ) {
            self.agentPath = agentPath
            self.stateDirectory = stateDirectory
            self.region = region
            self.initLimit = initLimit
            self.idleTimeout = idleTimeout
            self.maxLifetime = maxLifetime
            self.network = network
            self.vpcNetwork = vpcNetwork
        }

        /// How often idle environments are checked against the two limits.
        var reapInterval: Duration { min(idleTimeout / 4, maxLifetime / 4, .seconds(1)) }
    }

    private let configuration: Configuration
    private let driver: any SandboxDriver
    private let python: PythonRuntime
    private let logSink: LogSink
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let pools = Mutex(Pools())
    /// Concurrency accounting (account limit, reservations).
    public let limiter: ConcurrencyLimiter
    private let observer: any InvocationObserver
    private let startGate = StartGate(limit: StartGate.defaultLimit(cores: System.coreCount))

    private struct Pools {
        /// Idle environments by key (function name + revision), most recently used last.
        var idle: [String: [Environment]] = [:]
        /// Every live environment by id.
        var all: [String: Environment] = [:]
        var isShuttingDown = false
        /// Destroyed environments whose processes and cgroups are still being cleaned up.
        var cleaningUp = 0
    }

    public init(
        configuration: Configuration, driver: any SandboxDriver, python: PythonRuntime, logSink: LogSink,
        logger: Logger, limiter: ConcurrencyLimiter = ConcurrencyLimiter(accountLimit: 1000),
        observer: any InvocationObserver = NoInvocationObserver(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.limiter = limiter
        self.observer = observer
        self.driver = driver
        self.python = python
        self.logSink = logSink
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        try? FileManager.default.createDirectory(at: configuration.stateDirectory, withIntermediateDirectories: true)
    }

    /// Number of live environments (all states).
    public var environmentCount: Int { pools.withLock { $0.all.count } }

    /// What every function with environments or invocations is doing now, by name.
    public func activity() -> [FunctionActivity] {
        var byFunction: [String: FunctionActivity] = [:]
        let environments = pools.withLock { Array($0.all.values) }
        for environment in environments {
            var entry = byFunction[environment.functionName] ?? FunctionActivity(function: environment.functionName)
            switch environment.state {
            case .starting: entry.starting += 1
            case .initializing: entry.initializing += 1
            case .idle: entry.idle += 1
            case .busy: entry.busy += 1
            case .draining: entry.draining += 1
            case .gone: break
            }
            byFunction[environment.functionName] = entry
        }
        for (function, count) in limiter.inFlight() {
            byFunction[function, default: FunctionActivity(function: function)].concurrentExecutions = count
        }
        return byFunction.values.sorted { $0.function < $1.function }
    }

    static func key(for function: FunctionRecord) -> String {
        "\(function.name)@\(function.configuration.revisionId)"
    }

    // MARK: Invoke

    public func invoke(_ request: InvokeRequest) async throws(LambdaError) -> InvokeResult {
        let name = request.function.name
        let permit: ConcurrencyLimiter.Permit
        switch limiter.acquire(function: name, reserved: request.function.reservedConcurrency) {
        case .admitted(let admitted):
            permit = admitted
        case .throttled(let reason):
            observer.throttled(function: name, reason: reason.rawValue)
            throw LambdaError.throttled(reason: reason.rawValue)
        }
        defer { limiter.release(permit) }
        let requestID = UUID().uuidString.lowercased()
        // A warm environment whose runtime died after its last invocation never starts this
        // one; Lambda would have replaced it, so run the invocation in a fresh environment.
        if let environment = takeIdle(key: Self.key(for: request.function)),
           let result = await run(request, requestID: requestID, in: environment) {
            return result
        }
        await startGate.acquire()
        let environment: Environment
        do {
            environment = try await startEnvironment(for: request, key: Self.key(for: request.function))
        } catch {
            startGate.release()
            throw error
        }
        let readiness = await waitReady(environment, requestID: requestID, config: request.function.configuration)
        startGate.release()
        if case .failure(let result) = readiness {
            return result
        }
        return await run(request, requestID: requestID, in: environment)
            ?? InvokeResult(requestID: requestID,
                            payload: Self.errorPayload(type: "Runtime.ExitError",
                                                       message: "RequestId: \(requestID) Error: Runtime exited without providing a reason"),
                            functionError: "Unhandled", logTail: nil, executedVersion: request.function.configuration.version)
    }

    /// Runs one invocation in a ready environment; nil when the runtime died before it took it.
    private func run(_ request: InvokeRequest, requestID: String, in environment: Environment) async -> InvokeResult? {
        let config = request.function.configuration

        let invocation = Invocation(
            requestID: requestID,
            deadlineMs: clockMilliseconds() + UInt64(config.timeout) * 1000,
            invokedFunctionARN: request.invokedFunctionARN,
            traceID: Self.traceID(),
            clientContext: request.clientContext,
            cognitoIdentity: nil,
            payload: request.payload)
        let started = ContinuousClock.now
        let (outcome, tailStart) = await environment.invoke(
            invocation, timeout: .seconds(Int64(config.timeout)), collectTail: request.wantsLogTail)
        let elapsed = ContinuousClock.now - started
        let durationMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15

        var payload: ByteBuffer
        var functionError: String?
        var maxMemoryKB: UInt64 = 0
        switch outcome {
        case .response(let body, let memory):
            payload = body
            maxMemoryKB = memory
        case .functionError(_, let body, let memory):
            payload = body
            functionError = "Unhandled"
            maxMemoryKB = memory
        case .exited(let reason):
            payload = Self.errorPayload(type: "Runtime.ExitError",
                                        message: "RequestId: \(requestID) Error: Runtime exited with error: \(reason)")
            functionError = "Unhandled"
        case .notDelivered:
            return nil
        case .timedOut:
            payload = Self.errorPayload(type: "Sandbox.Timedout",
                                        message: LogFormat.timeoutMessage(requestID: requestID, seconds: config.timeout))
            functionError = "Unhandled"
        }

        var tail = tailStart
        var platformLines: [String] = []
        if case .timedOut = outcome {
            platformLines.append("\(Self.isoTimestamp()) \(requestID) Task timed out after \(config.timeout).00 seconds")
        }
        let initMicros = environment.takeInitDuration()
        platformLines.append(LogFormat.end(requestID: requestID))
        platformLines.append(LogFormat.report(
            requestID: requestID, durationMs: durationMs, memorySizeMB: config.memorySize,
            maxMemoryUsedMB: Self.megabytes(peakBytes: environment.process.cgroup?.peakMemoryBytes(), agentKB: maxMemoryKB),
            initDurationMs: initMicros.map { Double($0) / 1000 }))
        environment.emitPlatform(platformLines, tail: &tail)
        observer.invoked(function: config.functionName, coldStart: initMicros != nil, outcome: Self.metricsOutcome(outcome),
                         durationSeconds: durationMs / 1000)

        release(environment)
        return InvokeResult(
            requestID: requestID, payload: payload, functionError: functionError,
            logTail: request.wantsLogTail ? tail : nil, executedVersion: config.version)
    }

    /// Max Memory Used: the cgroup's peak when there is one, else the runtime's own peak RSS.
    static func megabytes(peakBytes: UInt64?, agentKB: UInt64) -> Int {
        if let peakBytes, peakBytes > 0 { return Int((peakBytes + (1 << 20) - 1) >> 20) }
        return Int((agentKB + 1023) / 1024)
    }

    static func metricsOutcome(_ outcome: Environment.Outcome) -> InvocationOutcome {
        switch outcome {
        case .response: .success
        case .functionError: .functionError
        case .timedOut: .timeout
        case .exited, .notDelivered: .runtimeError
        }
    }

    private enum Readiness {
        case ready
        case failure(InvokeResult)
    }

    private func waitReady(_ environment: Environment, requestID: String, config: FunctionConfiguration) async -> Readiness {
        let outcome = await environment.waitUntilReady(limit: TimeAmount(configuration.initLimit), eventLoop: eventLoopGroup.any())
        func failed(_ payload: ByteBuffer, lines: [String]) -> Readiness {
            environment.emit(lines)
            observer.initialized(function: config.functionName, durationSeconds: 0, succeeded: false)
            observer.invoked(function: config.functionName, coldStart: true, outcome: .runtimeError, durationSeconds: 0)
            return .failure(InvokeResult(requestID: requestID, payload: payload, functionError: "Unhandled",
                                         logTail: nil, executedVersion: config.version))
        }
        switch outcome {
        case .ready(let micros):
            observer.initialized(function: config.functionName, durationSeconds: Double(micros) / 1_000_000, succeeded: true)
            return .ready
        case .failed(let errorType, let body):
            let type = errorType.isEmpty ? "Runtime.Unknown" : errorType
            return failed(body, lines: ["INIT_REPORT Init Duration: n/a\tPhase: init\tStatus: error\tError Type: \(type)"])
        case .exited(let reason):
            return failed(Self.errorPayload(type: "Runtime.ExitError",
                                            message: "RequestId: \(requestID) Error: Runtime exited with error: \(reason)"),
                          lines: ["INIT_REPORT Init Duration: n/a\tPhase: init\tStatus: error\tError Type: Runtime.ExitError"])
        case .timedOut:
            let seconds = configuration.initLimit.components.seconds
            return failed(Self.errorPayload(type: "Sandbox.Timedout",
                                            message: "RequestId: \(requestID) Error: Task timed out after \(seconds).00 seconds"),
                          lines: ["INIT_REPORT Init Duration: \(seconds * 1000).00 ms\tPhase: init\tStatus: timeout"])
        }
    }

    // MARK: Pool

    private func takeIdle(key: String) -> Environment? {
        pools.withLock { pools in
            while let environment = pools.idle[key]?.popLast() {
                if !environment.isGone { return environment }
            }
            return nil
        }
    }

    private func release(_ environment: Environment) {
        guard !environment.isGone else { return }
        let now = ContinuousClock.now
        environment.markUsed(at: now)
        let tooOld = now - environment.createdAt >= configuration.maxLifetime
        let retire = pools.withLock { pools -> Bool in
            if pools.isShuttingDown || tooOld { return true }
            pools.idle[environment.key, default: []].append(environment)
            return false
        }
        if retire { environment.retire() }
    }

    /// Retires idle environments unused for `idleTimeout` or older than `maxLifetime`
    /// (scale to zero). Returns how many it retired.
    @discardableResult
    func reapIdle(now: ContinuousClock.Instant) -> Int {
        let idleTimeout = configuration.idleTimeout
        let maxLifetime = configuration.maxLifetime
        let victims = pools.withLock { pools -> [Environment] in
            var victims: [Environment] = []
            for (key, environments) in pools.idle {
                var keep: [Environment] = []
                for environment in environments {
                    if now - environment.lastUsed >= idleTimeout || now - environment.createdAt >= maxLifetime {
                        victims.append(environment)
                    } else {
                        keep.append(environment)
                    }
                }
                pools.idle[key] = keep.isEmpty ? nil : keep
            }
            return victims
        }
        for environment in victims { environment.retire() }
        return victims.count
    }

    private func forget(_ environment: Environment) {
        pools.withLock { pools in
            pools.all[environment.id] = nil
            pools.idle[environment.key]?.removeAll { $0 === environment }
            if pools.idle[environment.key]?.isEmpty == true { pools.idle[environment.key] = nil }
            pools.cleaningUp += 1
        }
        // Give the kernel a moment to finish the sandbox, then reap it; bwrap exits as soon as its
        // namespace's init is gone.
        let process = environment.process
        let driver = self.driver
        let diagnostics = configuration.stateDirectory.appendingPathComponent("\(environment.id).stderr").path
        let logger = self.logger
        Task.detached {
            // Stop asking once reaped: the pid may belong to a new child a moment later.
            for attempt in 0..<200 {
                if Syscalls.reap(process.pid) { break }
                // The outer process exits by itself once the sandbox's init is gone; make sure.
                if attempt == 20 { Syscalls.kill(process.pid) }
                try? await Task.sleep(for: .milliseconds(50))
            }
            // The cgroup empties once the kernel has finished the namespace's processes.
            for _ in 0..<100 {
                if process.cgroup?.remove() ?? true { break }
                process.cgroup?.killAll()
                try? await Task.sleep(for: .milliseconds(50))
            }
            for helper in process.helpers {
                for _ in 0..<100 {
                    if Syscalls.reap(helper) { break }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            Self.removeDiagnostics(diagnostics, environment: environment.id, logger: logger)
            driver.release(process)
            self.pools.withLock { $0.cleaningUp -= 1 }
        }
    }

    /// Deletes an environment's diagnostics files (the sandbox tool's and agent's stderr, and
    /// its network helper's), logging what they held first.
    private static func removeDiagnostics(_ path: String, environment: String, logger: Logger) {
        for file in [path, path + ".network"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                logger.debug("environment diagnostics", metadata: [
                    "lambent.environment": "\(environment)", "lambent.file": "\(file)", "lambent.text": "\(text)",
                ])
            }
            if getenv("LAMBENT_KEEP_DIAGNOSTICS") == nil { unlink(file) }
        }
    }

    /// Retires every environment of a function that does not serve `currentRevision`
    /// (all of them when nil): idle ones now, busy ones when their invocation ends.
    public func retire(functionName: String, keepingRevision currentRevision: String? = nil) {
        let keep = currentRevision.map { "\(functionName)@\($0)" }
        let victims = pools.withLock { pools in
            pools.all.values.filter { $0.functionName == functionName && $0.key != keep }
        }
        for environment in victims { environment.retire() }
    }

    // MARK: Cold start

    private func startEnvironment(for request: InvokeRequest, key: String) async throws(LambdaError) -> Environment {
        let config = request.function.configuration
        if pools.withLock({ $0.isShuttingDown }) {
            throw LambdaError(status: 503, type: "ServiceException", message: "Lambent is shutting down", isUserError: false)
        }
        let runtime: PythonRuntime.Provisioned
        do {
            runtime = try await python.provision(config.runtime)
        } catch {
            throw LambdaError.service(error.message)
        }
        let environmentID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let logStream = "\(Self.logDate())/[\(config.version)]\(environmentID)"
        let names = ResourceNames(region: configuration.region, accountID: "")
        var variables = request.function.configuration.environment.variables
        let reserved: [String: String] = [
            "AWS_LAMBDA_FUNCTION_NAME": config.functionName,
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(config.memorySize),
            "AWS_LAMBDA_LOG_GROUP_NAME": names.logGroup(config.functionName),
            "AWS_LAMBDA_LOG_STREAM_NAME": logStream,
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_REGION": configuration.region,
            "AWS_DEFAULT_REGION": configuration.region,
            "AWS_EXECUTION_ENV": "AWS_Lambda_\(config.runtime)",
            "TZ": ":UTC",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            "PYTHONPATH": "/var/runtime",
            "HOME": "/tmp",
        ]
        variables.merge(reserved) { _, platform in platform }

        let spec = SandboxSpec(
            environmentID: environmentID, codeDirectory: request.codeDirectory, runtimeDirectory: runtime.directory,
            agentPath: configuration.agentPath,
            runtimeCommand: [runtime.interpreter, "-m", "awslambdaric", config.handler],
            environment: variables, memoryMB: config.memorySize, ephemeralStorageMB: config.ephemeralStorage.size,
            diagnosticsPath: configuration.stateDirectory.appendingPathComponent("\(environmentID).stderr").path,
            network: config.isInVPC ? configuration.vpcNetwork : configuration.network)
        let process: SandboxProcess
        do {
            let driver = self.driver
            process = try await Self.spawner.runIfActive { try driver.launch(spec) }
        } catch let error as SandboxError {
            throw LambdaError.service("could not start an execution environment: \(error.message)")
        } catch {
            throw LambdaError.service("could not start an execution environment: \(error)")
        }
        let environment = Environment(
            id: environmentID, key: key, functionName: config.functionName,
            logGroup: names.logGroup(config.functionName), logStream: logStream, process: process,
            driver: driver, logSink: logSink,
            logger: logger, onGone: { [weak self] gone in self?.forget(gone) })
        pools.withLock { $0.all[environmentID] = environment }
        do {
            _ = try await ClientBootstrap(group: eventLoopGroup)
                .channelInitializer { channel in
                    environment.attach(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(ControlMessageDecoder()),
                            MessageToByteHandler(ControlMessageEncoder()),
                            ControlChannelHandler(environment: environment),
                        ])
                    }
                }
                .withConnectedSocket(process.controlFD)
                .get()
        } catch {
            driver.destroy(process)
            Syscalls.close(process.controlFD)
            forget(environment)
            throw LambdaError.service("could not connect to the execution environment: \(error)")
        }
        logger.debug("environment started", metadata: [
            "lambent.function": "\(config.functionName)", "lambent.environment": "\(environmentID)",
        ])
        return environment
    }

    // MARK: Lifecycle

    public func run() async throws {
        let interval = configuration.reapInterval
        await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                self.reapIdle(now: .now)
            }
        }
        await shutdown()
    }

    /// Retires every environment; in-flight invocations finish first (up to their timeouts).
    public func shutdown() async {
        let all = pools.withLock { pools in
            pools.isShuttingDown = true
            return Array(pools.all.values)
        }
        for environment in all { environment.retire() }
        // Wait until every environment is gone (busy ones end at their deadline at the latest)
        // and cleaned up (processes reaped, cgroups removed).
        while pools.withLock({ !$0.all.isEmpty || $0.cleaningUp > 0 }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Helpers

    /// The one thread that starts sandboxes. bwrap's `--die-with-parent` (PR_SET_PDEATHSIG)
    /// fires when the *thread* that spawned it exits, and Swift's and Dispatch's worker
    /// threads come and go; this thread lives as long as the process.
    static let spawner: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    static func errorPayload(type: String, message: String) -> ByteBuffer {
        let object = ["errorType": type, "errorMessage": message]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return ByteBuffer(bytes: data)
    }

    /// An X-Ray trace header: `Root=1-<8 hex seconds>-<24 hex random>;Parent=<16 hex>;Sampled=0`.
    static func traceID() -> String {
        func hex(_ value: UInt64, digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let seconds = UInt64(clockMilliseconds() / 1000)
        let random = hex(UInt64.random(in: 0..<(1 << 32)), digits: 8) + hex(UInt64.random(in: 0...UInt64.max), digits: 16)
        return "Root=1-\(hex(seconds, digits: 8))-\(random);Parent=\(hex(UInt64.random(in: 0...UInt64.max), digits: 16));Sampled=0"
    }

    static func logDate() -> String {
        let parts = LambdaTimestamp.format(Date()).prefix(10).split(separator: "-")
        return parts.joined(separator: "/")
    }

    static func isoTimestamp() -> String {
        let text = LambdaTimestamp.format(Date())
        return String(text.prefix(23)) + "Z"
    }
}

extension TimeAmount {
    /// The same span as a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Feeds the agent's frames to its environment.
final class ControlChannelHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ControlMessage
    let environment: Environment

    init(environment: Environment) { self.environment = environment }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        environment.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        environment.channelClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
