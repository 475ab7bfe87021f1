import NIOCore

/// One piece of a response as it is produced.
public enum InvocationEvent: Sendable {
    case chunk(ByteBuffer)
    /// Always the last event.
    case completed(InvocationCompletion)
}

/// How an invocation ended, known once its response has been produced: the error type for
/// `X-Amz-Function-Error` and the log tail for `X-Amz-Log-Result`.
public struct InvocationCompletion: Sendable, Equatable {
    /// `Unhandled` when the function (or its environment) failed.
    public var functionError: String?
    /// The error document when the function failed after its stream began (its error
    /// trailer, a timeout, an exit); nil otherwise. A buffered response's error document is
    /// its body.
    public var errorBody: ByteBuffer?
    /// The invocation's log lines (START to REPORT), when the caller asked for them.
    public var logTail: [String]?

    public init(functionError: String? = nil, errorBody: ByteBuffer? = nil, logTail: [String]? = nil) {
        self.functionError = functionError
        self.errorBody = errorBody
        self.logTail = logTail
    }
}

/// A response the runtime streams (`Lambda-Runtime-Function-Response-Mode: streaming`): its
/// chunks as they arrive from the environment, then one ``InvocationEvent/completed(_:)``.
///
/// It holds a few chunks at most. When the reader falls behind, the environment's control
/// channel stops being read, the agent stops reading the runtime's connection and the
/// runtime's writes block, so a slow client slows the function instead of filling memory.
/// A reader that goes away (a client that disconnected) ends that: later chunks are dropped
/// and the function runs on to its end.
public struct ResponseStream: AsyncSequence, Sendable {
    public typealias Element = InvocationEvent
    typealias Producer = NIOAsyncSequenceProducer<
        InvocationEvent, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ReadControl
    >

    /// The `Content-Type` the runtime gave its response.
    public let contentType: String
    let sequence: Producer
    let source: Producer.Source
    /// The control channel of the environment that produces the chunks.
    let channel: Channel

    /// A stream fed by the environment behind `channel`.
    init(contentType: String, channel: Channel) {
        let made = Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false,
            delegate: ReadControl(channel: channel))
        self.contentType = contentType
        self.sequence = made.sequence
        self.source = made.source
        self.channel = channel
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        public mutating func next() async -> InvocationEvent? {
            await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: sequence.makeAsyncIterator())
    }

    /// Passes on a chunk; called on the control channel's event loop. Reading pauses while
    /// the reader is behind.
    func yield(_ chunk: ByteBuffer) {
        if source.yield(.chunk(chunk)) == .stopProducing {
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    /// Ends the stream with the invocation's completion.
    func finish(_ completion: InvocationCompletion) {
        _ = source.yield(.completed(completion))
        source.finish()
    }

    /// Turns the control channel's reading back on when the reader wants more, or has gone.
    struct ReadControl: NIOAsyncSequenceProducerDelegate {
        let channel: Channel

        func produceMore() {
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }

        func didTerminate() {
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }
}
