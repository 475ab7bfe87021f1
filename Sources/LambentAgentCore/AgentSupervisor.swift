import Glibc
import LambentControl
import NIOCore

/// The agent's one owner of state: it runs the ``InvocationStateMachine``, performs its
/// actions, forwards the runtime's output and talks to the server.
///
/// Every method runs on ``eventLoop``, the agent's only event loop.
final class AgentSupervisor: @unchecked Sendable {
    // SAFETY: all mutable state is touched only on `eventLoop` (asserted in the entry
    // points); the agent has exactly one event loop, shared by every channel.

    /// What ``nextRequested(by:)`` tells the handler.
    enum NextResult {
        case deliver(Invocation)
        case parked
        case rejected(RuntimeAPIError)
    }

    let eventLoop: EventLoop
    /// Only the supervisor changes it: the Runtime API handler asks through `nextRequested`,
    /// `postStarted` and the `report…` methods.
    private(set) var stateMachine = InvocationStateMachine()
    private var control: Channel?
    private var process: RuntimeProcess?
    /// Pipe fds that may still be read directly; -1 once their channel closed (the fd
    /// number may then be reused).
    private var logFDs: [CInt] = []
    /// Duplicates of the pipes' read ends, kept for the end: NIO closes a pipe channel when
    /// it sees the writers hang up, and on a loaded machine the runtime's last output can
    /// arrive together with that hang-up and be left unread in the pipe. These read it.
    private var finalDrainFDs: [CInt] = []
    private var parkedNext: RuntimeAPIHandler?
    private var spawnStart: NIODeadline = .now()
    private let exitPromise: EventLoopPromise<Int32>
    private var exiting = false
    private var outbox: [(ControlMessage, (@Sendable () -> Void)?)] = []
    private var drainingLogs = false
    /// Runtime API connections whose reading stopped until the control channel can take
    /// more of a streamed response.
    private var pausedConnections: [Channel] = []

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.exitPromise = eventLoop.makePromise()
    }

    /// Completes with the agent's exit status once it has finished talking to the server.
    var exitFuture: EventLoopFuture<Int32> { exitPromise.futureResult }

    func attach(control: Channel) {
        self.control = control
    }

    func markSpawnStart() {
        spawnStart = .now()
    }

    func attach(process: RuntimeProcess) {
        self.process = process
        logFDs = [process.stdoutFD, process.stderrFD]
        finalDrainFDs = logFDs.map { fcntl($0, F_DUPFD_CLOEXEC, 3) }.filter { $0 >= 0 }
    }

    // MARK: Runtime API

    func nextRequested(by handler: RuntimeAPIHandler) -> NextResult {
        eventLoop.assertInEventLoop()
        switch stateMachine.nextRequested() {
        case .deliver(let invocation):
            sendAfterLogs(.nextRequested)
            return .deliver(invocation)
        case .park:
            sendAfterLogs(.nextRequested)
            parkedNext = handler
            return .parked
        case .reportReadyAndDeliver(let invocation):
            reportReady()
            return .deliver(invocation)
        case .reportReadyAndPark:
            reportReady()
            parkedNext = handler
            return .parked
        case .reject(let error):
            return .rejected(error)
        case .none, .accept, .refuseInvocation:
            preconditionFailure("unexpected action for /next")
        }
    }

    /// The runtime began a POST (a response, an invocation error, an init error): whether the
    /// state allows it. nil for routes that are not such a POST.
    func postStarted(_ route: RuntimeAPIRoute) -> InvocationStateMachine.Action? {
        eventLoop.assertInEventLoop()
        switch route {
        case .response(let id): return stateMachine.responseStarted(requestID: id)
        case .error(let id): return stateMachine.errorStarted(requestID: id)
        case .initError: return stateMachine.initErrorStarted()
        case .next, .methodNotAllowed, .notFound: return nil
        }
    }

    func parkedNextCancelled(by handler: RuntimeAPIHandler) {
        eventLoop.assertInEventLoop()
        guard parkedNext === handler else { return }
        parkedNext = nil
        _ = stateMachine.parkedNextCancelled()
    }

    func reportResponse(requestID: String, body: ByteBuffer) {
        sendAfterLogs(.response(requestID: requestID, body: body, maxMemoryKB: peakMemoryKB()))
    }

    func reportInvokeError(requestID: String, errorType: String, body: ByteBuffer) {
        sendAfterLogs(.invokeError(requestID: requestID, errorType: errorType, body: body, maxMemoryKB: peakMemoryKB()))
    }

    func reportResponseTooLarge(requestID: String) {
        reportInvokeError(
            requestID: requestID,
            errorType: AgentReportedError.responseTooLargeType,
            body: ByteBuffer(string: AgentReportedError.responseTooLargeBody)
        )
    }

    func reportTruncated(requestID: String) {
        reportInvokeError(
            requestID: requestID,
            errorType: AgentReportedError.truncatedResponseType,
            body: ByteBuffer(string: AgentReportedError.truncatedResponseBody)
        )
    }

    /// A response posted with a response mode other than `streaming`: the invocation fails.
    func reportInvalidResponseMode(requestID: String) {
        reportInvokeError(requestID: requestID, errorType: AgentReportedError.invalidResponseModeType, body: ByteBuffer())
    }

    func reportStreamTooLarge(requestID: String) {
        reportInvokeError(
            requestID: requestID,
            errorType: AgentReportedError.responseTooLargeType,
            body: ByteBuffer(string: AgentReportedError.streamTooLargeBody)
        )
    }

    /// The runtime began a streamed response.
    func reportStreamStarted(requestID: String, contentType: String) {
        sendInOrder(.streamStarted(requestID: requestID, contentType: contentType))
    }

    /// Passes on a piece of a streamed response. While the control channel cannot take more,
    /// the runtime's connection is not read, so the runtime's writes block: a stream is never
    /// held whole, here or in the server.
    func forwardStreamChunk(_ bytes: ByteBuffer, from connection: Channel) {
        eventLoop.assertInEventLoop()
        sendInOrder(.streamChunk(bytes))
        guard let control, !control.isWritable else { return }
        try? connection.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        pausedConnections.append(connection)
    }

    /// The control channel's writability changed: paused connections read again once it can
    /// take more.
    func controlWritabilityChanged(isWritable: Bool) {
        eventLoop.assertInEventLoop()
        guard isWritable, !pausedConnections.isEmpty else { return }
        let connections = pausedConnections
        pausedConnections = []
        for connection in connections {
            try? connection.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    func reportInitError(errorType: String, body: ByteBuffer) {
        sendAfterLogs(.initError(errorType: errorType, body: body))
    }

    private func reportReady() {
        let micros = (NIODeadline.now() - spawnStart).nanoseconds / 1000
        sendAfterLogs(.ready(initDurationMicros: UInt64(max(0, micros))))
    }

    // MARK: Server

    func controlMessageReceived(_ message: ControlMessage) {
        eventLoop.assertInEventLoop()
        switch message {
        case .invoke(let invocation):
            switch stateMachine.invocationArrived(invocation) {
            case .deliver(let invocation):
                let handler = parkedNext
                parkedNext = nil
                handler?.deliver(invocation)
            case .refuseInvocation(let invocation):
                sendAfterLogs(.invokeError(
                    requestID: invocation.requestID,
                    errorType: AgentReportedError.busyType,
                    body: ByteBuffer(string: AgentReportedError.busyBody),
                    maxMemoryKB: peakMemoryKB()
                ))
            default:
                break
            }
        case .shutdown:
            stop()
        case .ready, .initError, .response, .invokeError, .log, .exited, .nextRequested, .streamStarted, .streamChunk:
            // Agent-to-server messages have no meaning here; ignore rather than die.
            break
        }
    }

    /// The control channel reached EOF or failed: the server is gone.
    func controlClosed() {
        eventLoop.assertInEventLoop()
        control = nil
        stop()
    }

    /// Kills the runtime's process group and exits 0.
    func stop() {
        guard !exiting else { return }
        exiting = true
        process?.killGroup()
        exitPromise.succeed(0)
    }

    // MARK: Runtime process

    // TODO: backpressure: stop reading the pipes while the control channel is not writable.
    func logReceived(_ bytes: ByteBuffer) {
        send(.log(bytes))
    }

    func logPipeClosed(fd: CInt) {
        logFDs.removeAll { $0 == fd }
    }

    /// The runtime exited with `waitStatus`: report it, then exit.
    func runtimeExited(waitStatus: Int32) {
        eventLoop.assertInEventLoop()
        guard !exiting else { return }
        runtimeFailed(reason: ExitReason.describe(waitStatus: waitStatus))
    }

    /// The runtime is gone (or never started): send `exited(reason)`, then exit.
    func runtimeFailed(reason: String) {
        guard !exiting else { return }
        exiting = true
        // The environment is ending: give the last output more time to be read (a loaded
        // machine can hold the event loop back longer than a response may wait).
        sendAfterLogs(.exited(reason: reason), budget: Self.exitLogDrainBudget) {
            // Anything the runtime left behind in its group goes with it.
            self.process?.killGroup()
            self.exitPromise.succeed(0)
        }
    }

    private func send(_ message: ControlMessage) {
        control?.writeAndFlush(message, promise: nil)
    }

    /// Sends `message` now, or after the messages waiting for the runtime's output, keeping
    /// the order of everything sent this way and through ``sendAfterLogs(_:budget:then:)``.
    private func sendInOrder(_ message: ControlMessage) {
        if drainingLogs {
            outbox.append((message, nil))
        } else {
            send(message)
        }
    }

    private func peakMemoryKB() -> UInt64 {
        process?.peakMemoryKB() ?? 0
    }

    /// Sends `message` once the runtime's pipes hold no unread bytes, so the server sees
    /// an invocation's log lines before its end. Messages sent this way keep their order.
    ///
    /// The pipes belong to NIO channels, which must do the reading themselves (reading
    /// behind their back breaks their readiness bookkeeping); so while a pipe is readable
    /// the message waits for the next event-loop turn, up to ``logDrainBudget``.
    private func sendAfterLogs(
        _ message: ControlMessage, budget: TimeAmount = logDrainBudget, then done: (@Sendable () -> Void)? = nil
    ) {
        outbox.append((message, done))
        guard !drainingLogs else { return }
        drainingLogs = true
        waitForQuietPipes(deadline: .now() + budget)
    }

    private func waitForQuietPipes(deadline: NIODeadline) {
        if NIODeadline.now() < deadline, logFDs.contains(where: isReadable) {
            eventLoop.execute { self.waitForQuietPipes(deadline: deadline) }
            return
        }
        drainingLogs = false
        if exiting { drainRemainingOutput() }
        let messages = outbox
        outbox = []
        for (message, done) in messages {
            guard let control else {
                done?()
                continue
            }
            control.writeAndFlush(message).whenComplete { _ in done?() }
        }
    }

    /// Sends whatever the runtime wrote that its pipe channels did not read, then closes the
    /// duplicates (only once the runtime is gone: nothing writes any more, and nothing else
    /// reads these pipes on this event loop meanwhile).
    private func drainRemainingOutput() {
        for fd in finalDrainFDs {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                send(.log(ByteBuffer(bytes: buffer[0..<count])))
            }
            close(fd)
        }
        finalDrainFDs = []
    }

    /// How long an event frame may wait for the runtime's output to be read.
    static let logDrainBudget = TimeAmount.milliseconds(100)
    /// How long the `exited` frame may wait for the runtime's last output.
    static let exitLogDrainBudget = TimeAmount.seconds(1)

    private func isReadable(_ fd: CInt) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0 && poller.revents & Int16(POLLIN) != 0
    }
}
