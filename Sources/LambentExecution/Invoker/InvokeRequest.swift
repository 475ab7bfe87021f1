import LambentStore
import NIOCore

/// A synchronous invocation, as the API hands it to the invoker.
public struct InvokeRequest: Sendable {
    public var function: FunctionRecord
    /// Host directory of the function's unpacked code.
    public var codeDirectory: String
    /// Host directory of the function's merged layers, mounted at /opt; nil without layers.
    public var layersDirectory: String?
    public var payload: ByteBuffer
    public var clientContext: String?
    public var wantsLogTail: Bool
    /// The ARN the caller used (with its qualifier, if any), passed to the runtime.
    public var invokedFunctionARN: String
    /// The request id to run under (an asynchronous event keeps the one `Invoke` answered
    /// with); nil draws a new one.
    public var requestID: String?
    /// The caller's `X-Amzn-Trace-Id`, if any.
    public var traceHeader: String?
    /// When an asynchronous event was queued, in milliseconds since the epoch.
    public var queuedAtMs: Int64?
    /// The function's executions in flight, this one included, when the invoker admitted it.
    public internal(set) var concurrencyAtAdmission = 0

    public init(function: FunctionRecord, codeDirectory: String, payload: ByteBuffer, clientContext: String?,
                wantsLogTail: Bool, invokedFunctionARN: String, layersDirectory: String? = nil, requestID: String? = nil,
                traceHeader: String? = nil, queuedAtMs: Int64? = nil) {
        self.requestID = requestID
        self.traceHeader = traceHeader
        self.queuedAtMs = queuedAtMs
        self.function = function
        self.codeDirectory = codeDirectory
        self.layersDirectory = layersDirectory
        self.payload = payload
        self.clientContext = clientContext
        self.wantsLogTail = wantsLogTail
        self.invokedFunctionARN = invokedFunctionARN
    }
}

/// What an invocation returns to the caller.
public struct InvokeResult: Sendable {
    public var requestID: String
    public var payload: ByteBuffer
    /// `Unhandled` when the function (or its environment) failed.
    public var functionError: String?
    /// The invocation's log lines (START to REPORT) when the caller asked for the tail.
    public var logTail: [String]?
    public var executedVersion: String
    /// The response as the runtime streams it, when it does (then `payload` is empty, and
    /// `functionError` and `logTail` come with the stream's end).
    public var stream: ResponseStream?

    init(requestID: String, payload: ByteBuffer, functionError: String?, logTail: [String]?, executedVersion: String,
         stream: ResponseStream? = nil) {
        self.requestID = requestID
        self.payload = payload
        self.functionError = functionError
        self.logTail = logTail
        self.executedVersion = executedVersion
        self.stream = stream
    }
}
