import NIOCore

/// One invocation that the server hands to an execution environment.
///
/// The agent serves it to the runtime as the answer to
/// `GET /2018-06-01/runtime/invocation/next`; every field maps to one
/// `Lambda-Runtime-*` response header, and ``payload`` is the response body, verbatim.
public struct Invocation: Sendable, Equatable {
    /// The request id (`Lambda-Runtime-Aws-Request-Id`).
    public var requestID: String
    /// The invocation's deadline in Unix epoch milliseconds (`Lambda-Runtime-Deadline-Ms`).
    public var deadlineMs: UInt64
    /// The ARN the caller invoked, qualifier included (`Lambda-Runtime-Invoked-Function-Arn`).
    public var invokedFunctionARN: String
    /// The X-Ray trace header (`Lambda-Runtime-Trace-Id`); `""` when there is none.
    public var traceID: String
    /// The client context JSON (`Lambda-Runtime-Client-Context`); the header is omitted when `nil`.
    public var clientContext: String?
    /// The Cognito identity JSON (`Lambda-Runtime-Cognito-Identity`); the header is omitted when `nil`.
    public var cognitoIdentity: String?
    /// The event bytes, never re-encoded.
    public var payload: ByteBuffer

    /// Creates an invocation.
    public init(
        requestID: String,
        deadlineMs: UInt64,
        invokedFunctionARN: String,
        traceID: String,
        clientContext: String?,
        cognitoIdentity: String?,
        payload: ByteBuffer
    ) {
        self.requestID = requestID
        self.deadlineMs = deadlineMs
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.payload = payload
    }
}

/// A message on the control channel between `lambent serve` and one `lambent-agent`.
///
/// The channel is one stream socket (a socketpair end inherited as fd 3 today, vsock
/// later). ``ControlMessageEncoder`` and ``ControlMessageDecoder`` put these on the wire.
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandlers([
///     ByteToMessageHandler(ControlMessageDecoder()),
///     MessageToByteHandler(ControlMessageEncoder()),
/// ])
/// channel.writeAndFlush(ControlMessage.invoke(invocation), promise: nil)
/// ```
public enum ControlMessage: Sendable, Equatable {
    // MARK: server → agent

    /// Run this invocation. It is queued in the agent if the runtime is not yet asking
    /// for one (at most one is queued).
    case invoke(Invocation)
    /// Kill the runtime's process group and exit.
    case shutdown

    // MARK: agent → server

    /// The runtime asked for its first invocation: init is done. The duration runs from
    /// just before the runtime was spawned.
    case ready(initDurationMicros: UInt64)
    /// The runtime posted `/runtime/init/error`. `errorType` is the
    /// `Lambda-Runtime-Function-Error-Type` header, `""` when absent.
    case initError(errorType: String, body: ByteBuffer)
    /// The runtime posted the invocation's response. `maxMemoryKB` is the runtime
    /// process's peak RSS (VmHWM) when the response arrived.
    case response(requestID: String, body: ByteBuffer, maxMemoryKB: UInt64)
    /// The invocation failed: the runtime posted `/error`, or its response was refused
    /// (for example `Function.ResponseSizeTooLarge`).
    case invokeError(requestID: String, errorType: String, body: ByteBuffer, maxMemoryKB: UInt64)
    /// Raw bytes the runtime wrote to stdout or stderr.
    case log(ByteBuffer)
    /// The runtime exited; `reason` is worded as Go words it and AWS prints it:
    /// `exit status 1`, `signal: killed`, `signal: segmentation fault`.
    case exited(reason: String)
    /// The runtime asked for its next invocation again (every `/next` after the first, which
    /// sends `ready`): the previous invocation is over for the runtime, and an invocation
    /// sent from now on is delivered rather than lost if the runtime dies.
    case nextRequested
    /// The runtime began posting the invocation's response in the streaming response mode
    /// (`Lambda-Runtime-Function-Response-Mode: streaming`); `contentType` is the POST's
    /// `Content-Type`. ``streamChunk(_:)`` frames follow as the runtime writes, and a
    /// ``response(requestID:body:maxMemoryKB:)`` with an empty body (or an
    /// ``invokeError(requestID:errorType:body:maxMemoryKB:)`` for an error trailer, a
    /// broken or oversized stream) ends it.
    case streamStarted(requestID: String, contentType: String)
    /// Bytes of the streamed response, in order, as the runtime wrote them.
    case streamChunk(ByteBuffer)
}
