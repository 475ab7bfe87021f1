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

    public init(target: InvocationTarget, type: InvocationType = .requestResponse, payload: ByteBuffer,
                clientContext: String? = nil, wantsLogTail: Bool = false, requestID: String? = nil) {
        self.requestID = requestID
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

/// How an invocation ended, known once its response has been produced: the error type for
/// `X-Amz-Function-Error` and the log tail for `X-Amz-Log-Result`.
public struct InvocationCompletion: Sendable, Equatable {
    /// `Unhandled` when the function (or its environment) failed.
    public var functionError: String?
    /// The invocation's log lines (START to REPORT), when the caller asked for them.
    public var logTail: [String]?

    public init(functionError: String? = nil, logTail: [String]? = nil) {
        self.functionError = functionError
        self.logTail = logTail
    }
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

    /// The whole body and the completion.
    public func collect() async throws -> (body: ByteBuffer, completion: InvocationCompletion) {
        if case .buffered(let body, let completion) = body { return (body, completion) }
        var collected = ByteBuffer()
        var completion = InvocationCompletion()
        for try await event in body {
            switch event {
            case .chunk(var chunk): collected.writeBuffer(&chunk)
            case .completed(let end): completion = end
            }
        }
        return (collected, completion)
    }
}

/// One piece of a response as it is produced.
public enum InvocationEvent: Sendable {
    case chunk(ByteBuffer)
    /// Always the last event.
    case completed(InvocationCompletion)
}

/// A response body: whole (the runtime posted one response) or streamed (chunks as the
/// runtime writes them).
public enum InvocationBody: AsyncSequence, Sendable {
    public typealias Element = InvocationEvent

    case buffered(ByteBuffer, InvocationCompletion)
    case streamed(AsyncThrowingStream<InvocationEvent, any Error>)

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pending: [InvocationEvent]
        var stream: AsyncThrowingStream<InvocationEvent, any Error>.AsyncIterator?

        public mutating func next() async throws -> InvocationEvent? {
            if !pending.isEmpty { return pending.removeFirst() }
            return try await stream?.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch self {
        case .buffered(let body, let completion):
            AsyncIterator(pending: [.chunk(body), .completed(completion)], stream: nil)
        case .streamed(let stream):
            AsyncIterator(pending: [], stream: stream.makeAsyncIterator())
        }
    }
}
