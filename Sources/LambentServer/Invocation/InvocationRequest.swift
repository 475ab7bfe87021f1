import LambentExecution
import LambentModel
import NIOCore

/// What to run: a function reference (name, partial ARN or ARN, maybe with `:qualifier`) and
/// an explicit qualifier (`?Qualifier=`), resolved by the `InvocationService`.
public struct InvocationTarget: Sendable, Equatable {
    public var function: String
    public var qualifier: String?

    public init(function: String, qualifier: String? = nil) {
        self.function = function
        self.qualifier = qualifier
    }
}

/// Lambda's invocation types (`X-Amz-Invocation-Type`).
public enum InvocationType: String, Sendable, CaseIterable {
    /// Synchronous: the caller waits for the response.
    case requestResponse = "RequestResponse"
    /// Asynchronous: queued, answered 202.
    case event = "Event"
    /// Checks only: the function exists and the caller may invoke it.
    case dryRun = "DryRun"
}

/// One invocation as an entry point hands it over.
public struct InvocationRequest: Sendable {
    public var target: InvocationTarget
    public var type: InvocationType
    public var payload: ByteBuffer
    /// The decoded `X-Amz-Client-Context` (JSON), passed to the runtime.
    public var clientContext: String?
    /// Whether the caller wants the last 4 KB of the invocation's log (`LogType: Tail`).
    public var wantsLogTail: Bool
    /// The request id to use (an asynchronous event's); nil draws one.
    public var requestID: String?
    /// The caller's `X-Amzn-Trace-Id`.
    public var traceHeader: String?
    /// When an asynchronous event was queued (epoch milliseconds).
    public var queuedAtMs: Int64?

    public init(target: InvocationTarget, type: InvocationType = .requestResponse, payload: ByteBuffer,
                clientContext: String? = nil, wantsLogTail: Bool = false, requestID: String? = nil, traceHeader: String? = nil,
                queuedAtMs: Int64? = nil) {
        self.requestID = requestID
        self.traceHeader = traceHeader
        self.queuedAtMs = queuedAtMs
        self.target = target
        self.type = type
        self.payload = payload
        self.clientContext = clientContext
        self.wantsLogTail = wantsLogTail
    }
}

/// How the service answered an invocation request.
public enum InvocationReply: Sendable {
    /// `DryRun`: the invocation would be allowed.
    case dryRun(executedVersion: String)
    /// `Event`: the event is durably queued under this request id.
    case queued(requestID: String)
    /// The function ran (successfully or not); its response follows.
    case completed(InvocationResult)
}

/// A function's response. It can be read as a sequence of events, chunks of the body then
/// one completion, so that streaming entry points (`InvokeWithResponseStream`, streaming
/// Function URLs) write each chunk as it comes; buffered entry points `collect()` it.
public struct InvocationResult: Sendable {
    public var requestID: String
    /// The version that ran (`X-Amz-Executed-Version`).
    public var executedVersion: String
    public var body: InvocationBody

    public init(requestID: String, executedVersion: String, body: InvocationBody) {
        self.requestID = requestID
        self.executedVersion = executedVersion
        self.body = body
    }

    /// The whole body and the completion, as a buffered caller (`Invoke`, a BUFFERED URL, an
    /// asynchronous event) gets them. A streamed response over `limit` bytes (the buffered
    /// 6 MB) is an error, `Function.ResponseSizeTooLarge`, as RIE makes it for a streaming
    /// runtime's response to a buffered invoke; one that failed midway answers its error
    /// document.
    public func collect(limit: Int = Limits.runtimeResponseBytes) async throws -> (body: ByteBuffer, completion: InvocationCompletion) {
        if case .buffered(let body, let completion) = body { return (body, completion) }
        var collected = ByteBuffer()
        var oversized = false
        for await event in body {
            switch event {
            case .chunk(var chunk):
                if collected.readableBytes + chunk.readableBytes > limit { oversized = true }
                if !oversized { collected.writeBuffer(&chunk) }
            case .completed(var completion):
                if oversized {
                    completion.functionError = PlatformErrorType.unhandled
                    completion.errorBody = ByteBuffer(string: Self.oversizedBody(limit: limit))
                }
                if completion.functionError != nil, let errorBody = completion.errorBody { return (errorBody, completion) }
                return (collected, completion)
            }
        }
        return (collected, InvocationCompletion())
    }

    static func oversizedBody(limit: Int) -> String {
        "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (\(limit) bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}"
    }
}

/// A response body: whole (the runtime posted one response) or streamed (chunks as the
/// runtime writes them).
public enum InvocationBody: AsyncSequence, Sendable {
    public typealias Element = InvocationEvent

    case buffered(ByteBuffer, InvocationCompletion)
    case streamed(ResponseStream)

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pending: [InvocationEvent]
        var stream: ResponseStream.AsyncIterator?

        public mutating func next() async -> InvocationEvent? {
            if !pending.isEmpty { return pending.removeFirst() }
            return await stream?.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch self {
        case .buffered(let body, var completion):
            // Read as events, a failed response is no payload: its document travels in the
            // completion, as a streamed one's does.
            if completion.functionError != nil {
                completion.errorBody = body
                return AsyncIterator(pending: [.completed(completion)], stream: nil)
            }
            return AsyncIterator(pending: [.chunk(body), .completed(completion)], stream: nil)
        case .streamed(let stream):
            return AsyncIterator(pending: [], stream: stream.makeAsyncIterator())
        }
    }
}
