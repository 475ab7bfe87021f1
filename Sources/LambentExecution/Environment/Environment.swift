#if canImport(Glibc)
import Glibc
#endif
import LambentControl
import LambentStore
import Logging
import NIOCore
import Synchronization

/// One execution environment: a sandboxed agent and runtime serving one function version,
/// one invocation at a time. The state machine decides; this class performs its actions:
/// sending frames, resuming waiters, destroying the sandbox.
final class Environment: Sendable {
    /// How an invocation ended.
    enum Outcome: Sendable {
        case response(ByteBuffer, maxMemoryKB: UInt64)
        case functionError(type: String, body: ByteBuffer, maxMemoryKB: UInt64)
        case exited(reason: String)
        /// The runtime died before it took the invocation (it crashed after its previous
        /// one): the invocation never started and can run elsewhere.
        case notDelivered(reason: String)
        case timedOut
        /// The runtime began a streamed response: its chunks follow in the stream, and
        /// ``streamEnded()`` gives the outcome that ends it.
        case streamStarted(ResponseStream)
    }

    /// How initialization ended.
    enum InitOutcome: Sendable {
        case ready(initDurationMicros: UInt64)
        case failed(errorType: String, body: ByteBuffer)
        case exited(reason: String)
        case timedOut
    }

    let id: String
    let key: EnvironmentKey
    var functionName: String { key.function.functionName }
    let logGroup: String
    let logStream: String
    /// How platform records are written: the function's `LoggingConfig` at the revision the environment runs.
    let platformLog: PlatformLog
    let sandbox: any Sandbox
    /// How the runtime was started (for reporting a command that could not be).
    let launch: RuntimeLaunch
    private let channel: Mutex<Channel?>
    private let core: Mutex<Core>
    private let logSink: LogSink
    private let logger: Logger
    private let onGone: @Sendable (Environment) -> Void

    private struct Core {
        var machine = EnvironmentStateMachine()
        var initWaiter: CheckedContinuation<InitOutcome, Never>?
        var initOutcome: InitOutcome?
        var invokeWaiter: CheckedContinuation<Outcome, Never>?
        /// The current invocation's streamed response, from its start to its end.
        var stream: ResponseStream?
        /// Whoever waits for the end of the streamed response, or the end if it came first.
        var endWaiter: CheckedContinuation<Outcome, Never>?
        var endedOutcome: Outcome?
        var timer: Scheduled<Void>?
        /// Lines logged by the current invocation (for `LogType: Tail`), when asked for.
        var tail: [String]?
        /// An unfinished last line of runtime output.
        var partialLine: [UInt8] = []
        var invocationCount = 0
        var initDurationMicros: UInt64?
        var lastUsed: ContinuousClock.Instant?
    }

    init(
        id: String, key: EnvironmentKey, logGroup: String, logStream: String, platformLog: PlatformLog = .text,
        sandbox: any Sandbox, launch: RuntimeLaunch, createdAt: ContinuousClock.Instant, logSink: LogSink, logger: Logger,
        provisionedFor: String? = nil, onGone: @escaping @Sendable (Environment) -> Void
    ) {
        self.id = id
        self.provisionedFor = provisionedFor
        self.key = key
        self.logGroup = logGroup
        self.logStream = logStream
        self.platformLog = platformLog
        self.sandbox = sandbox
        self.launch = launch
        self.createdAt = createdAt
        self.channel = Mutex(nil)
        self.core = Mutex(Core())
        self.logSink = logSink
        self.logger = logger
        self.onGone = onGone
    }

    /// When the environment was started.
    let createdAt: ContinuousClock.Instant

    /// The provisioned-concurrency configuration the environment was started for (never
    /// reclaimed as idle, replaced when it dies); nil for on-demand environments.
    let provisionedFor: String?

    /// Attaches the control channel; called in the channel's initializer, before it reads.
    func attach(_ channel: Channel) {
        self.channel.withLock { $0 = channel }
        _ = transition(.attached)
    }

    /// Applies an event under the lock; logs it when the state machine refuses it.
    private func transition(_ event: EnvironmentStateMachine.Event) -> EnvironmentStateMachine.Action {
        transition(event) { _, _ in () }.action
    }

    /// Applies an event and, under the same lock, `perform` with the action that came out
    /// (`.none` for an event the state does not allow, which changes nothing and is logged
    /// once the lock is released).
    private func transition<Result: Sendable>(
        _ event: EnvironmentStateMachine.Event,
        _ perform: (inout Core, EnvironmentStateMachine.Action) -> Result
    ) -> (action: EnvironmentStateMachine.Action, result: Result) {
        typealias Applied = (action: EnvironmentStateMachine.Action, result: Result,
                             refused: EnvironmentStateMachine.IllegalTransition?)
        let applied = core.withLock { (core: inout Core) -> Applied in
            let action: EnvironmentStateMachine.Action
            var refused: EnvironmentStateMachine.IllegalTransition?
            do throws(EnvironmentStateMachine.IllegalTransition) {
                action = try core.machine.handle(event)
            } catch {
                action = .none
                refused = error
            }
            return (action, perform(&core, action), refused)
        }
        if let refused = applied.refused { logRefused(refused) }
        return (applied.action, applied.result)
    }

    private func logRefused(_ refused: EnvironmentStateMachine.IllegalTransition) {
        logger.notice("environment ignored an event its state does not allow", metadata: [
            "lambent.environment": "\(id)", "lambent.state": "\(refused.state)", "lambent.event": "\(refused.event)",
        ])
    }

    /// When the environment last finished an invocation (its start, before the first).
    var lastUsed: ContinuousClock.Instant { core.withLock { $0.lastUsed ?? createdAt } }

    /// Records the end of an invocation, for idle reaping.
    func markUsed(at instant: ContinuousClock.Instant) {
        core.withLock { $0.lastUsed = instant }
    }

    var isGone: Bool { core.withLock { $0.machine.state == .gone } }

    /// The lifecycle state right now.
    var state: EnvironmentStateMachine.State { core.withLock { $0.machine.state } }

    /// Whether this is the environment's first invocation (so its REPORT carries Init Duration).
    func takeInitDuration() -> UInt64? {
        core.withLock { core in
            core.invocationCount += 1
            return core.invocationCount == 1 ? core.initDurationMicros : nil
        }
    }

    // MARK: Initialization

    /// Waits until the runtime is ready (or failed), at most `limit`.
    func waitUntilReady(limit: TimeAmount, eventLoop: EventLoop) async -> InitOutcome {
        let timer = eventLoop.scheduleTask(in: limit) { [weak self] in
            guard let self else { return }
            self.initTimedOut()
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let finished: InitOutcome? = core.withLock { core in
                if let outcome = core.initOutcome { return outcome }
                core.initWaiter = continuation
                return nil
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }

    private func initTimedOut() {
        finishInit(.initFailed, outcome: .timedOut)
    }

    private func finishInit(_ event: EnvironmentStateMachine.Event, outcome: InitOutcome) {
        let (action, waiter) = transition(event) { core, action -> CheckedContinuation<InitOutcome, Never>? in
            guard action != .none else { return nil }
            if case .ready(let micros) = outcome { core.initDurationMicros = micros }
            core.initOutcome = outcome
            defer { core.initWaiter = nil }
            return core.initWaiter
        }
        switch action {
        case .initSucceeded:
            sandbox.initFinished()
            waiter?.resume(returning: outcome)
        case .failInitAndDestroy:
            // Destroyed before the caller hears of it: nothing can hand it out again meanwhile.
            destroy()
            waiter?.resume(returning: outcome)
        default:
            break
        }
    }

    // MARK: Invocation

    /// Runs one invocation; the environment must be idle and taken out of the pool.
    func invoke(_ invocation: Invocation, timeout: TimeAmount, collectTail: Bool) async -> (Outcome, tail: [String]) {
        let start = platformLog.start(requestID: invocation.requestID, version: key.function.version.rawValue,
                                      time: LambdaClock.isoTimestamp())
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let (action, channel) = transition(.invoke(requestID: invocation.requestID)) { core, action -> Channel? in
                if action == .sendInvoke {
                    core.invokeWaiter = continuation
                    core.tail = collectTail ? start : nil
                }
                return self.channel.withLock { $0 }
            }
            guard action == .sendInvoke, let channel else {
                // Retired or gone between the pool and here: the invocation never started.
                continuation.resume(returning: .notDelivered(reason: "environment retired"))
                return
            }
            emit(start)
            let requestID = invocation.requestID
            let timer = channel.eventLoop.scheduleTask(in: timeout) { [weak self] in
                guard let self else { return }
                self.complete(.timedOut(requestID: requestID), outcome: .timedOut)
            }
            core.withLock { $0.timer = timer }
            channel.writeAndFlush(ControlMessage.invoke(invocation), promise: nil)
        }
        if case .streamStarted = outcome { return (outcome, []) }
        return (outcome, takeTail())
    }

    /// Waits for the end of the streamed response that ``invoke(_:timeout:collectTail:)``
    /// answered `.streamStarted` for: the runtime's end of the stream, an error, an exit or
    /// the timeout.
    func streamEnded() async -> (Outcome, tail: [String]) {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let ended = core.withLock { core -> Outcome? in
                if let outcome = core.endedOutcome {
                    core.endedOutcome = nil
                    return outcome
                }
                core.endWaiter = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
        return (outcome, takeTail())
    }

    private func takeTail() -> [String] {
        core.withLock { core in
            defer { core.tail = nil }
            return core.tail ?? []
        }
    }

    /// The runtime began streaming the current invocation's response: the invocation's
    /// waiter gets the stream now; the outcome comes when the stream ends.
    private func streamStarted(requestID: String, contentType: String) {
        guard let channel = channel.withLock({ $0 }) else { return }
        let stream = ResponseStream(contentType: contentType, channel: channel)
        let waiter = core.withLock { core -> CheckedContinuation<Outcome, Never>? in
            let current = core.machine.state == .busy(requestID: requestID) || core.machine.state == .draining(requestID: requestID)
            guard current, let waiter = core.invokeWaiter else { return nil }
            core.invokeWaiter = nil
            core.stream = stream
            return waiter
        }
        waiter?.resume(returning: .streamStarted(stream))
    }

    private func complete(_ event: EnvironmentStateMachine.Event, outcome: Outcome) {
        let (action, waiter) = transition(event) { core, action -> CheckedContinuation<Outcome, Never>? in
            guard action != .none else { return nil }
            core.timer?.cancel()
            core.timer = nil
            if let waiter = core.invokeWaiter {
                core.invokeWaiter = nil
                return waiter
            }
            // A streamed response ends: its chunks stop here, and its waiter gets the outcome.
            guard core.stream != nil else { return nil }
            core.stream = nil
            if let waiter = core.endWaiter {
                core.endWaiter = nil
                return waiter
            }
            core.endedOutcome = outcome
            return nil
        }
        switch action {
        case .finishInvoke:
            waiter?.resume(returning: outcome)
        case .finishInvokeThenDestroy, .failInvokeAndDestroy:
            destroy()
            waiter?.resume(returning: outcome)
        case .rerunAndDestroy:
            var reason = "exit status 1"
            if case .exited(let exitReason) = outcome { reason = exitReason }
            destroy()
            waiter?.resume(returning: .notDelivered(reason: reason))
        case .failInitAndDestroy:
            // The runtime exited before it was ready.
            finishInitAfterExit(outcome)
        case .destroy:
            destroy()
        default:
            break
        }
    }

    private func finishInitAfterExit(_ outcome: Outcome) {
        var reason = "exit status 1"
        if case .exited(let exitReason) = outcome { reason = exitReason }
        let waiter = core.withLock { core in
            core.initOutcome = .exited(reason: reason)
            defer { core.initWaiter = nil }
            return core.initWaiter
        }
        destroy()
        waiter?.resume(returning: .exited(reason: reason))
    }

    /// Marks the environment for destruction once its current work is done (or now, if idle).
    func retire() {
        if transition(.retire) == .destroy { destroy() }
    }

    // MARK: Control channel

    /// Handles one frame from the agent (called on the channel's event loop).
    func received(_ message: ControlMessage) {
        switch message {
        case .log(let bytes):
            appendOutput(bytes)
        case .ready(let micros):
            finishInit(.ready, outcome: .ready(initDurationMicros: micros))
        case .nextRequested:
            _ = transition(.nextRequested)
        case .initError(let errorType, let body):
            flushPartialLine()
            finishInit(.initFailed, outcome: .failed(errorType: errorType, body: body))
        case .response(let requestID, let body, let maxMemoryKB):
            flushPartialLine()
            complete(.completed(requestID: requestID), outcome: .response(body, maxMemoryKB: maxMemoryKB))
        case .invokeError(let requestID, let errorType, let body, let maxMemoryKB):
            flushPartialLine()
            complete(.completed(requestID: requestID), outcome: .functionError(type: errorType, body: body, maxMemoryKB: maxMemoryKB))
        case .exited(let reason):
            flushPartialLine()
            runtimeExited(reason: reason)
        case .streamStarted(let requestID, let contentType):
            streamStarted(requestID: requestID, contentType: contentType)
        case .streamChunk(let bytes):
            core.withLock { $0.stream }?.yield(bytes)
        case .invoke, .shutdown:
            logger.warning("agent sent a server-side frame", metadata: ["lambent.environment": "\(id)"])
        }
    }

    /// The control channel closed: the agent (and so the sandbox) is gone.
    func channelClosed() {
        runtimeExited(reason: "signal: killed")
        destroy()
    }

    private func runtimeExited(reason: String) {
        complete(.exited, outcome: .exited(reason: reason))
    }

    /// Kills the sandbox and reports the environment gone (idempotent).
    func destroy() {
        let channel = self.channel.withLock { channel -> Channel? in
            defer { channel = nil }
            return channel
        }
        guard let channel else { return }
        sandbox.destroy()
        channel.close(promise: nil)
        onGone(self)
    }

    // MARK: Logs

    private func appendOutput(_ bytes: ByteBuffer) {
        let lines = core.withLock { core -> [String] in
            var lines: [String] = []
            let view = bytes.readableBytesView
            var start = view.startIndex
            for index in view.indices where view[index] == UInt8(ascii: "\n") {
                core.partialLine.append(contentsOf: view[start..<index])
                lines.append(String(decoding: core.partialLine, as: UTF8.self))
                core.partialLine.removeAll(keepingCapacity: true)
                start = view.index(after: index)
            }
            core.partialLine.append(contentsOf: view[start...])
            // A runaway line without newlines is cut into 256 KB events, as CloudWatch does.
            if core.partialLine.count > 262_144 {
                lines.append(String(decoding: core.partialLine, as: UTF8.self))
                core.partialLine.removeAll(keepingCapacity: true)
            }
            core.tail?.append(contentsOf: lines)
            return lines
        }
        emit(lines)
    }

    private func flushPartialLine() {
        let line = core.withLock { core -> String? in
            guard !core.partialLine.isEmpty else { return nil }
            defer { core.partialLine.removeAll(keepingCapacity: true) }
            let line = String(decoding: core.partialLine, as: UTF8.self)
            core.tail?.append(line)
            return line
        }
        if let line { emit([line]) }
    }

    /// Writes lines to the environment's log stream.
    func emit(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        let now = Int64(clockMilliseconds())
        logSink.append(lines.map { FunctionLogEvent(group: logGroup, stream: logStream, timestamp: now, message: $0) })
    }

    /// Appends platform lines that also belong to the invocation's tail (END, REPORT).
    func emitPlatform(_ lines: [String], tail: inout [String]) {
        tail.append(contentsOf: lines)
        emit(lines)
    }
}

/// Wall-clock milliseconds since the Unix epoch.
func clockMilliseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
}

