import Foundation
import LambentControl
import LambentModel
import LambentStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs invocations: finds a warm environment of the function version's current revision or
/// starts one, hands it the event, waits for the outcome within the function's timeout, and
/// writes Lambda's START/END/REPORT lines.
///
/// What it stands on, each behind a seam: a `SandboxDriver` (how environments are isolated),
/// a `LanguageRuntimeRegistry` (what they run), a `WarmPool` (which are idle), a
/// `ConcurrencyLimiter` and a `StartGate` (how many run and start), an `InvocationObserver`
/// (metrics) and a `LogSink` (logs). Entry points do not call it directly: the server's
/// `InvocationService` resolves the function and calls `invoke`.
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
        /// Where environments' ages and idle times are read (reported durations are always measured).
        public var clock: LifecycleClock
        /// How functions reach the platform's API; nil: they do not (unit tests).
        public var platform: PlatformAccess?

        public init(
            agentPath: String, stateDirectory: URL, region: String, initLimit: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(600), maxLifetime: Duration = .seconds(7200),
            network: NetworkMode = .outbound, vpcNetwork: NetworkMode = .host, clock: LifecycleClock = .continuous,
            platform: PlatformAccess? = nil
        ) {
            self.platform = platform
            self.agentPath = agentPath
            self.stateDirectory = stateDirectory
            self.region = region
            self.initLimit = initLimit
            self.idleTimeout = idleTimeout
            self.maxLifetime = maxLifetime
            self.network = network
            self.vpcNetwork = vpcNetwork
            self.clock = clock
        }

        /// How often idle environments are checked against the two limits.
        var reapInterval: Duration { min(idleTimeout / 4, maxLifetime / 4, .seconds(1)) }
    }

    let configuration: Configuration
    let driver: any SandboxDriver
    let runtimes: LanguageRuntimeRegistry
    let logSink: LogSink
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let pool = WarmPool()
    let provisioned = ProvisionedTargets()
    /// Concurrency accounting (account limit, reservations).
    public let limiter: ConcurrencyLimiter
    let observer: any InvocationObserver
    let startGate: StartGate

    public init(
        configuration: Configuration, driver: any SandboxDriver, runtimes: LanguageRuntimeRegistry, logSink: LogSink,
        logger: Logger, limiter: ConcurrencyLimiter = ConcurrencyLimiter(accountLimit: 1000),
        observer: any InvocationObserver = NoInvocationObserver(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        startLimit: Int = StartGate.defaultLimit(cores: System.coreCount)
    ) {
        self.configuration = configuration
        self.limiter = limiter
        self.observer = observer
        self.driver = driver
        self.runtimes = runtimes
        self.logSink = logSink
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.startGate = StartGate(limit: startLimit)
        try? FileManager.default.createDirectory(at: configuration.stateDirectory, withIntermediateDirectories: true)
    }

    /// Number of live environments (all states).
    public var environmentCount: Int { pool.count }

    /// What every function with environments or invocations is doing now, by name.
    public func activity() -> [FunctionActivity] {
        var byFunction: [String: FunctionActivity] = [:]
        for environment in pool.environments {
            var entry = byFunction[environment.functionName] ?? FunctionActivity(function: environment.functionName)
            switch environment.state {
            case .starting: entry.starting += 1
            case .initializing: entry.initializing += 1
            case .idle: entry.idle += 1
            case .busy: entry.busy += 1
            case .draining: entry.draining += 1
            case .gone: break
            }
            if environment.provisionedFor != nil {
                if case .idle = environment.state { entry.provisioned += 1 }
                if case .busy = environment.state {
                    entry.provisioned += 1
                    entry.provisionedBusy += 1
                }
            }
            byFunction[environment.functionName] = entry
        }
        for (function, count) in limiter.inFlight() {
            byFunction[function, default: FunctionActivity(function: function)].concurrentExecutions = count
        }
        return byFunction.values.sorted { $0.function < $1.function }
    }

    static func key(for function: FunctionRecord) -> EnvironmentKey {
        EnvironmentKey(function: function.configuration.versionID, revisionID: function.configuration.revisionId)
    }

    // MARK: Invoke

    /// Runs one synchronous invocation. Throws for what the caller gets as an API error
    /// (throttling, an environment that cannot start); a function's own failure, a timeout or
    /// a runtime exit is a result with `functionError` set.
    public func invoke(_ request: InvokeRequest) async throws(LambdaError) -> InvokeResult {
        var request = request
        let name = request.function.name
        let permit: ConcurrencyLimiter.Permit
        switch limiter.acquire(function: name, reserved: request.function.reservedConcurrency) {
        case .admitted(let admitted):
            permit = admitted
            request.concurrencyAtAdmission = admitted.concurrency
        case .throttled(let reason):
            observer.throttled(function: name, reason: reason.rawValue)
            throw LambdaError.throttled(reason: reason.rawValue)
        }
        // A streamed response holds its permit until the stream ends.
        var streaming = false
        defer { if !streaming { limiter.release(permit) } }
        let limiter = self.limiter
        let releasePermit: @Sendable () -> Void = { limiter.release(permit) }
        let requestID = request.requestID ?? RandomID.uuid()
        let key = Self.key(for: request.function)
        let context = TraceContext.start(header: request.traceHeader, active: request.function.configuration.tracingConfig.mode == "Active")
        var trace = context.sampled
            ? InvocationTrace(context: context, queuedAt: request.queuedAtMs.map { UInt64(max(0, $0)) * 1_000_000 },
                              admitted: InvocationTrace.now())
            : nil
        // A warm environment whose runtime died after its last invocation never starts this
        // one (`.notDelivered`); Lambda would have replaced it, so run it in a fresh environment.
        if let environment = pool.takeIdle(key),
           let result = await run(request, requestID: requestID, in: environment, context: context, trace: trace,
                                  onStreamEnd: releasePermit) {
            streaming = result.stream != nil
            return result
        }
        if provisioned.isProvisioned(key) { observer.spilledOver(function: name) }
        do {
            try await startGate.acquire()
        } catch {
            // The caller went away while waiting for its turn to start an environment.
            throw LambdaError.service("the invocation was cancelled before it started")
        }
        trace?.initStart = InvocationTrace.now()
        let environment: Environment
        do {
            environment = try await startEnvironment(for: request, key: key)
        } catch {
            startGate.release()
            throw error
        }
        let readiness = await waitReady(environment, requestID: requestID, request: request)
        startGate.release()
        trace?.initEnd = InvocationTrace.now()
        if case .failure(let result) = readiness {
            return result
        }
        if let result = await run(request, requestID: requestID, in: environment, context: context, trace: trace,
                                  onStreamEnd: releasePermit) {
            streaming = result.stream != nil
            return result
        }
        return InvokeResult(requestID: requestID,
                            payload: Self.errorPayload(.runtimeExitedWithoutReason(requestID: requestID)),
                            functionError: PlatformErrorType.unhandled, logTail: nil,
                            executedVersion: request.function.configuration.version)
    }

    /// Runs one invocation in a ready environment; nil when the runtime died before it took it.
    /// A streamed response returns as soon as it starts; its end is handled (END and REPORT
    /// lines, the environment back to the pool, then `onStreamEnd`) when the runtime ends it.
    private func run(_ request: InvokeRequest, requestID: String, in environment: Environment, context: TraceContext,
                     trace: InvocationTrace?, onStreamEnd: @escaping @Sendable () -> Void) async -> InvokeResult? {
        var trace = trace
        let config = request.function.configuration

        let invocation = Invocation(
            requestID: requestID,
            deadlineMs: clockMilliseconds() + UInt64(config.timeout) * 1000,
            invokedFunctionARN: request.invokedFunctionARN,
            traceID: context.runtimeHeader,
            clientContext: request.clientContext,
            cognitoIdentity: nil,
            payload: request.payload)
        let started = ContinuousClock.now
        trace?.invokeStart = InvocationTrace.now()
        let (outcome, tailStart) = await environment.invoke(
            invocation, timeout: .seconds(Int64(config.timeout)), collectTail: request.wantsLogTail)
        if case .streamStarted(let stream) = outcome {
            Task { [trace] in
                let (end, tail) = await environment.streamEnded()
                let result = self.finish(request, requestID: requestID, in: environment, outcome: end, tailStart: tail, started: started,
                                         trace: trace)
                stream.finish(InvocationCompletion(
                    functionError: result.functionError, errorBody: result.functionError == nil ? nil : result.payload,
                    logTail: result.logTail))
                onStreamEnd()
            }
            return InvokeResult(requestID: requestID, payload: ByteBuffer(), functionError: nil, logTail: nil,
                                executedVersion: config.version, stream: stream)
        }
        if case .notDelivered = outcome { return nil }
        return finish(request, requestID: requestID, in: environment, outcome: outcome, tailStart: tailStart, started: started,
                      trace: trace)
    }

    /// The end of an invocation: its answer, the END and REPORT lines, metrics, and the
    /// environment back to the pool.
    private func finish(_ request: InvokeRequest, requestID: String, in environment: Environment, outcome: Environment.Outcome,
                        tailStart: [String], started: ContinuousClock.Instant, trace: InvocationTrace?) -> InvokeResult {
        var trace = trace
        trace?.invokeEnd = InvocationTrace.now()
        let config = request.function.configuration
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
            functionError = PlatformErrorType.unhandled
            maxMemoryKB = memory
        case .exited(let reason), .notDelivered(let reason):
            payload = Self.errorPayload(.runtimeExited(requestID: requestID, reason: reason))
            functionError = PlatformErrorType.unhandled
        case .streamStarted:
            preconditionFailure("a stream's end is never another stream")
        case .timedOut:
            payload = Self.errorPayload(.timedOut(requestID: requestID, seconds: config.timeout))
            functionError = PlatformErrorType.unhandled
        }

        var tail = tailStart
        let initMicros = environment.takeInitDuration()
        let status: PlatformLog.Status = if case .timedOut = outcome { .timeout } else { functionError == nil ? .success : .error }
        let platformLines = environment.platformLog.end(
            requestID: requestID, status: status, timeoutSeconds: config.timeout, durationMs: durationMs, memorySizeMB: config.memorySize,
            maxMemoryUsedMB: Self.megabytes(peakBytes: environment.sandbox.peakMemoryBytes(), agentKB: maxMemoryKB),
            initDurationMs: initMicros.map { Double($0) / 1000 }, time: LambdaClock.isoTimestamp())
        environment.emitPlatform(platformLines, tail: &tail)
        trace?.end = InvocationTrace.now()
        observer.invoked(Self.summary(of: request, requestID: requestID, coldStart: initMicros != nil, outcome: Self.metricsOutcome(outcome),
                                      durationMs: durationMs, trace: trace))

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

    static func summary(of request: InvokeRequest, requestID: String, coldStart: Bool, outcome: InvocationOutcome, durationMs: Double,
                        trace: InvocationTrace? = nil) -> InvocationSummary {
        let config = request.function.configuration
        // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        let arnParts = request.invokedFunctionARN.split(separator: ":", omittingEmptySubsequences: false)
        return InvocationSummary(
            function: config.functionName, requestID: requestID, qualifier: arnParts.count > 7 ? String(arnParts[7]) : nil, executedVersion: config.version,
            coldStart: coldStart, outcome: outcome, durationSeconds: durationMs / 1000,
            billedMilliseconds: durationMs > 0 ? LogFormat.billedMilliseconds(durationMs) : 0, memorySizeMB: config.memorySize,
            architecture: config.architectures.first ?? "x86_64", concurrency: request.concurrencyAtAdmission, trace: trace)
    }

    static func metricsOutcome(_ outcome: Environment.Outcome) -> InvocationOutcome {
        switch outcome {
        case .response: .success
        case .functionError: .functionError
        case .timedOut: .timeout
        case .exited, .notDelivered, .streamStarted: .runtimeError
        }
    }

    private enum Readiness {
        case ready
        case failure(InvokeResult)
    }

    private func waitReady(_ environment: Environment, requestID: String, request: InvokeRequest) async -> Readiness {
        let config = request.function.configuration
        let outcome = await environment.waitUntilReady(limit: TimeAmount(configuration.initLimit), eventLoop: eventLoopGroup.any())
        func failed(_ payload: ByteBuffer, lines: [String]) -> Readiness {
            environment.emit(lines)
            observer.initialized(function: config.functionName, durationSeconds: 0, succeeded: false)
            observer.invoked(Self.summary(of: request, requestID: requestID, coldStart: true, outcome: .runtimeError, durationMs: 0))
            return .failure(InvokeResult(requestID: requestID, payload: payload, functionError: PlatformErrorType.unhandled,
                                         logTail: nil, executedVersion: config.version))
        }
        switch outcome {
        case .ready(let micros):
            observer.initialized(function: config.functionName, durationSeconds: Double(micros) / 1_000_000, succeeded: true)
            return .ready
        case .failed(let errorType, let body):
            let type = errorType.isEmpty ? PlatformErrorType.runtimeUnknown : errorType
            return failed(body, lines: [LogFormat.initFailed(errorType: type)])
        case .exited(let reason):
            let error = Self.initExitError(requestID: requestID, reason: reason, launch: environment.launch)
            return failed(Self.errorPayload(error), lines: [LogFormat.initFailed(errorType: error.errorType)])
        case .timedOut:
            let seconds = Int(configuration.initLimit.components.seconds)
            return failed(Self.errorPayload(.timedOut(requestID: requestID, seconds: seconds)),
                          lines: [LogFormat.initTimedOut(seconds: seconds)])
        }
    }

    /// A runtime that exited during init: `Runtime.InvalidEntrypoint` when its command could
    /// not be started at all (the agent reports Go's `fork/exec <path>: <reason>`), else
    /// `Runtime.ExitError`.
    static func initExitError(requestID: String, reason: String, launch: RuntimeLaunch) -> PlatformError {
        guard reason.hasPrefix("fork/exec ") else { return .runtimeExited(requestID: requestID, reason: reason) }
        if reason.hasSuffix("no such file or directory"), let message = launch.missingEntrypointMessage {
            return .invalidEntrypoint(requestID: requestID, detail: message)
        }
        return .invalidEntrypoint(requestID: requestID, detail: reason)
    }

    // MARK: Pool

    private func release(_ environment: Environment) {
        guard !environment.isGone else { return }
        let now = configuration.clock.now()
        environment.markUsed(at: now)
        // Provisioned environments are kept for as long as their configuration wants them.
        let tooOld = environment.provisionedFor == nil && now - environment.createdAt >= configuration.maxLifetime
        if tooOld || !pool.putIdle(environment) { environment.retire() }
    }

    /// Retires idle environments unused for `idleTimeout` or older than `maxLifetime`
    /// (scale to zero). Returns how many it retired.
    @discardableResult
    func reapIdle(now: ContinuousClock.Instant) -> Int {
        let idleTimeout = configuration.idleTimeout
        let maxLifetime = configuration.maxLifetime
        let victims = pool.removeIdle { environment in
            environment.provisionedFor == nil
                && (now - environment.lastUsed >= idleTimeout || now - environment.createdAt >= maxLifetime)
        }
        for environment in victims { environment.retire() }
        return victims.count
    }

    /// Called once an environment is destroyed: forgets it and tears its sandbox down.
    func forget(_ environment: Environment) {
        pool.forget(environment)
        if let target = environment.provisionedFor { provisionedEnvironmentGone(environment, target: target) }
        let sandbox = environment.sandbox
        let diagnostics = configuration.stateDirectory.appendingPathComponent("\(environment.id).stderr").path
        let logger = self.logger
        let pool = self.pool
        Task.detached {
            await sandbox.tearDown()
            Self.removeDiagnostics(diagnostics, environment: environment.id, logger: logger)
            pool.tornDown()
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

    /// Retires the environments of `functionName` (of one version when `version` is given)
    /// that were not started from `keepingRevision`: idle ones now, busy ones when their
    /// invocation ends.
    public func retireEnvironments(of functionName: String, version: FunctionVersion? = nil, keepingRevision: String? = nil) {
        let victims = pool.environments { environment in
            environment.key.function.functionName == functionName
                && (version == nil || environment.key.function.version == version)
                && environment.key.revisionID != keepingRevision
        }
        for environment in victims { environment.retire() }
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
                self.reapIdle(now: self.configuration.clock.now())
            }
        }
        await shutdown()
    }

    /// Retires every environment; in-flight invocations finish first (up to their timeouts).
    public func shutdown() async {
        for environment in pool.beginShutdown() { environment.retire() }
        // Wait until every environment is gone (busy ones end at their deadline at the latest)
        // and torn down (processes reaped, cgroups removed).
        while !pool.isEmpty {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Helpers

    static func errorPayload(_ error: PlatformError) -> ByteBuffer {
        let object = ["errorType": error.errorType, "errorMessage": error.errorMessage]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return ByteBuffer(bytes: data)
    }
}

extension Invoker: FunctionChangeListener {
    public func functionChanged(_ function: FunctionVersionID, revisionID: String) {
        retireEnvironments(of: function.functionName, version: function.version, keepingRevision: revisionID)
    }

    public func functionVersionDeleted(_ function: FunctionVersionID) {
        _ = provisioned.removeAll { $0 == function }
        retireEnvironments(of: function.functionName, version: function.version)
    }

    public func functionDeleted(_ functionName: String) {
        _ = provisioned.removeAll { $0.functionName == functionName }
        retireEnvironments(of: functionName)
    }

    public func reservedConcurrencyChanged(total: Int) {
        limiter.setReservedTotal(total)
    }
}
