import Foundation
import LambentExecution
import LambentModel
import LambentStore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An asynchronous invocation waiting in Lambent's event queue (`lambent:async`), as the
/// queue engine keeps it: durable before `Invoke` answers 202.
struct AsyncEvent: Codable, Sendable, Equatable {
    var requestID: String
    var function: String
    var qualifier: String?
    /// The event's JSON text.
    var payload: String
    /// When `Invoke` queued it (epoch milliseconds).
    var queuedAt: Int64
    /// Times the function ran it (`approximateInvokeCount`).
    var invokes = 0
    /// Times it was throttled or hit a platform error (backoff grows with it).
    var throttles = 0
    /// The caller's `X-Amzn-Trace-Id`, carried to the invocation.
    var traceHeader: String?
}

extension AsyncEvent {
    /// The event as JSON, the shape `Codable` gives it, written by hand: this runs once per
    /// `Event` invocation, before the 202.
    var json: String {
        var fields = [
            "\"function\":\(JSONText.quoted(function))", "\"invokes\":\(invokes)", "\"payload\":\(JSONText.quoted(payload))",
        ]
        if let qualifier { fields.append("\"qualifier\":\(JSONText.quoted(qualifier))") }
        fields += ["\"queuedAt\":\(queuedAt)", "\"requestID\":\(JSONText.quoted(requestID))", "\"throttles\":\(throttles)"]
        if let traceHeader { fields.append("\"traceHeader\":\(JSONText.quoted(traceHeader))") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// Puts events in the queue; used by `InvocationService` for `InvocationType: Event`.
struct EventQueue: Sendable {
    static let name = "lambent:async"

    let store: any Store
    let signals: QueueSignals
    var metrics: QueueMetrics?

    func ensureQueue() async throws {
        _ = try await store.createQueue(QueueRecord(name: Self.name, attributes: ["MessageRetentionPeriod": "1209600"],
                                                    createdTimestamp: 0, lastModifiedTimestamp: 0))
    }

    /// Appends an event, due after `delayMillis`; returns once it is durable.
    func enqueue(_ event: AsyncEvent, delayMillis: Int64 = 0, now: Int64) async throws {
        let body = event.json
        let message = OutgoingMessage(
            body: body, envelope: MessageEnvelope(messageID: RandomID.uuid(), md5OfBody: "", senderID: "lambda"),
            delaySeconds: 0)
        _ = try await store.send([message], to: Self.name, now: now + delayMillis)
        signals.signal(Self.name)
    }
}

/// Runs queued events: takes them from the event queue, invokes the function through the
/// `InvocationService`, retries function errors after AWS's delays (1 min, then 2 min, scaled
/// by `retryBase`) up to `MaximumRetryAttempts`, retries throttles and platform errors with
/// backoff until `MaximumEventAgeInSeconds`, and sends the outcome to the configured destinations.
/// An event is deleted from the queue only after its retry or its destination record is queued,
/// so a crash repeats work, never loses it (at least once).
final class AsyncDispatcher: Service, Sendable {
    let events: EventQueue
    let invocations: InvocationService
    let functions: FunctionService
    let queues: QueueService
    let names: ResourceNames
    let logger: Logger
    /// The first retry delay of a failed event (AWS: one minute); the second is twice that.
    let retryBase: Duration
    let metrics: QueueMetrics?
    let maxInFlight: Int
    private let inFlight = Mutex(0)

    init(events: EventQueue, invocations: InvocationService, functions: FunctionService, queues: QueueService, names: ResourceNames,
         logger: Logger, retryBase: Duration, metrics: QueueMetrics? = nil, maxInFlight: Int = 64) {
        self.metrics = metrics
        self.events = events
        self.invocations = invocations
        self.functions = functions
        self.queues = queues
        self.names = names
        self.logger = logger
        self.retryBase = retryBase
        self.maxInFlight = maxInFlight
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// How long an event stays hidden while it runs: longer than any function's timeout.
    static let leaseSeconds = 960

    func run() async throws {
        try await events.ensureQueue()
        // Nothing runs before this loop: whatever was in flight at a crash is due again.
        _ = try await events.store.releaseInFlight(queue: EventQueue.name, now: now)
        if maxInFlight == 0 {
            // `--async-concurrency 0`: events are accepted and kept, not run.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let free = self.maxInFlight - self.inFlight.withLock { $0 }
                if free <= 0 {
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
                let messages: [ReceivedMessage]
                do {
                    messages = try await self.events.store.receive(
                        from: EventQueue.name, limit: min(free, 10), visibilityTimeout: Self.leaseSeconds, now: self.now, deadLetter: nil)
                } catch {
                    // Shutting down: the store read was cancelled, nothing went wrong.
                    if Task.isCancelled || error is CancellationError { break }
                    self.logger.error("could not read the event queue", metadata: ["lambent.error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if messages.isEmpty {
                    let current = self.now
                    let next = (try? await self.events.store.nextVisibleTime(queue: EventQueue.name, now: current)) ?? nil
                    await self.events.signals.wait(for: EventQueue.name, milliseconds: max(1, min(1_000, (next ?? current + 1_000) - current)))
                    continue
                }
                for message in messages {
                    self.inFlight.withLock { $0 += 1 }
                    Task {
                        await self.process(message)
                        self.inFlight.withLock { $0 -= 1 }
                    }
                }
            }
        }
    }

    private func process(_ message: ReceivedMessage) async {
        guard var event = try? JSONDecoder().decode(AsyncEvent.self, from: Data(message.body.utf8)) else {
            logger.error("dropping an unreadable queued event")
            _ = try? await events.store.deleteMessage(queue: EventQueue.name, receipt: message.receipt)
            return
        }
        let config = (try? await functions.eventInvokeConfig(function: event.function, qualifier: event.qualifier)) ?? nil
        let maxAge = Int64(config?.maximumEventAgeInSeconds ?? 21_600) * 1000
        let maxRetries = config?.maximumRetryAttempts ?? 2
        metrics?.eventAge(event.function, milliseconds: now - event.queuedAt)
        do {
            if now - event.queuedAt > maxAge {
                try await finish(event, message: message, config: config, outcome: .failure(condition: "EventAgeExceeded", response: nil))
                return
            }
            let reply: InvocationReply
            switch await run(event) {
            case .success(let answer):
                reply = answer
            case .failure(let error) where error.status == 429 || error.status >= 500:
                // Throttled or the platform failed: back off (1 s doubling up to 5 min) and try again.
                event.throttles += 1
                let delay = min(Int64(1_000) << min(event.throttles - 1, 9), 300_000) * scaleMillis / 60_000
                if now + delay - event.queuedAt > maxAge {
                    try await finish(event, message: message, config: config, outcome: .failure(condition: "EventAgeExceeded", response: nil))
                } else {
                    try await retry(event, message: message, after: max(delay, 1))
                }
                return
            case .failure(let error):
                // The function is gone or cannot run this event: nothing to retry.
                logger.warning("dropping an event", metadata: ["lambent.function": "\(event.function)", "lambent.error": "\(error.message)"])
                _ = try await events.store.deleteMessage(queue: EventQueue.name, receipt: message.receipt)
                return
            }
            guard case .completed(let result) = reply else { return }
            let (body, completion) = try await result.collect()
            event.invokes += 1
            let response = InvocationOutcomeRecord(executedVersion: result.executedVersion, functionError: completion.functionError,
                                                   payload: String(buffer: body))
            if completion.functionError == nil {
                try await finish(event, message: message, config: config, outcome: .success(response))
            } else if event.invokes <= maxRetries {
                let delay = Int64(event.invokes) * scaleMillis
                if now + delay - event.queuedAt > maxAge {
                    try await finish(event, message: message, config: config, outcome: .failure(condition: "EventAgeExceeded", response: response))
                } else {
                    try await retry(event, message: message, after: delay)
                }
            } else {
                try await finish(event, message: message, config: config, outcome: .failure(condition: "RetriesExhausted", response: response))
            }
        } catch {
            // Left in the queue: it becomes visible again when its lease ends.
            logger.error("could not process an event", metadata: ["lambent.function": "\(event.function)", "lambent.error": "\(error)"])
        }
    }

    /// Runs the event once, synchronously.
    private func run(_ event: AsyncEvent) async -> Result<InvocationReply, LambdaError> {
        do {
            return .success(try await invocations.invoke(InvocationRequest(
                target: InvocationTarget(function: event.function, qualifier: event.qualifier), type: .requestResponse,
                payload: ByteBuffer(string: event.payload), requestID: event.requestID, traceHeader: event.traceHeader,
                queuedAtMs: event.queuedAt)))
        } catch {
            return .failure(error)
        }
    }

    private var scaleMillis: Int64 {
        let components = retryBase.components
        return max(1, components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }

    private func retry(_ event: AsyncEvent, message: ReceivedMessage, after delay: Int64) async throws {
        try await events.enqueue(event, delayMillis: delay, now: now)
        metrics?.event(event.function, outcome: "retried")
        _ = try await events.store.deleteMessage(queue: EventQueue.name, receipt: message.receipt)
    }

    struct InvocationOutcomeRecord {
        var executedVersion: String
        var functionError: String?
        var payload: String
    }

    enum Outcome {
        case success(InvocationOutcomeRecord)
        case failure(condition: String, response: InvocationOutcomeRecord?)
    }

    /// Sends the invocation record to the destination the outcome calls for, then deletes the event.
    private func finish(_ event: AsyncEvent, message: ReceivedMessage, config: FunctionEventInvokeConfig?, outcome: Outcome) async throws {
        let destination: String?
        let condition: String
        let response: InvocationOutcomeRecord?
        switch outcome {
        case .success(let record):
            metrics?.event(event.function, outcome: "succeeded")
            destination = config?.destinationConfig?.onSuccess?.destination
            condition = "Success"
            response = record
        case .failure(let failureCondition, let record):
            metrics?.event(event.function, outcome: "failed")
            destination = config?.destinationConfig?.onFailure?.destination
            condition = failureCondition
            response = record
            logger.info("asynchronous invocation failed", metadata: [
                "lambent.function": "\(event.function)", "lambent.request": "\(event.requestID)", "lambent.condition": "\(condition)"])
        }
        if let destination {
            let record = invocationRecord(event, condition: condition, response: response)
            do {
                try await deliver(record, to: destination)
            } catch {
                metrics?.destinationFailed(event.function)
                logger.warning("could not deliver to a destination", metadata: [
                    "lambent.destination": "\(destination)", "lambent.error": "\(error)"])
            }
        }
        if case .failure(_, let record) = outcome {
            await sendToDeadLetterQueue(event, response: record)
        }
        _ = try await events.store.deleteMessage(queue: EventQueue.name, receipt: message.receipt)
    }

    /// The function's `DeadLetterConfig` queue gets the original event, with `RequestID`,
    /// `ErrorCode` and `ErrorMessage` attributes, as Lambda sends it.
    private func sendToDeadLetterQueue(_ event: AsyncEvent, response: InvocationOutcomeRecord?) async {
        guard let record = try? await functions.resolve(event.function, qualifier: event.qualifier).record,
              let target = record.configuration.deadLetterConfig?.targetArn, let name = queues.queueName(arn: target) else { return }
        do {
            guard let queue = try await events.store.queue(named: name) else { throw SQSError.queueDoesNotExist }
            var errorMessage = "Unknown error"
            if let payload = response?.payload, case .string(let text)? = JSONValue.parse(payload)?["errorMessage"] { errorMessage = text }
            let attributes: [String: MessageAttributeValue] = [
                "RequestID": MessageAttributeValue(dataType: "String", stringValue: event.requestID),
                "ErrorCode": MessageAttributeValue(dataType: "Number", stringValue: "200"),
                "ErrorMessage": MessageAttributeValue(dataType: "String", stringValue: errorMessage),
            ]
            let message = try queues.outgoing(QueueService.Outgoing(body: event.payload, attributes: attributes), queue: queue)
            _ = try await queues.send([message], to: queue)
        } catch {
            metrics?.deadLetterFailed(event.function)
            logger.warning("could not send to the dead-letter queue", metadata: ["lambent.queue": "\(target)", "lambent.error": "\(error)"])
        }
    }

    private func deliver(_ record: String, to destination: String) async throws {
        switch try EventInvokeRules.destinationKind(destination, names: names) {
        case .queue(let name):
            guard let queue = try await events.store.queue(named: name) else { throw SQSError.queueDoesNotExist }
            let message = try queues.outgoing(QueueService.Outgoing(body: record, attributes: [:]), queue: queue)
            _ = try await queues.send([message], to: queue)
        case .function(let reference):
            let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
            try await events.enqueue(AsyncEvent(requestID: RandomID.uuid(), function: parts[0],
                                                qualifier: parts.count > 1 ? parts[1] : nil, payload: record, queuedAt: now), now: now)
        }
    }

    /// AWS's invocation record: version, timestamp, requestContext, requestPayload, responseContext, responsePayload.
    func invocationRecord(_ event: AsyncEvent, condition: String, response: InvocationOutcomeRecord?) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let arn = names.functionARN(event.function, qualifier: event.qualifier ?? FunctionVersion.latest.rawValue)
        func json(_ text: String) -> Any {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
        }
        var record: [String: Any] = [
            "version": "1.0",
            "timestamp": formatter.string(from: Date()),
            "requestContext": ["requestId": event.requestID, "functionArn": arn, "condition": condition,
                               "approximateInvokeCount": max(event.invokes, 1)] as [String: Any],
            "requestPayload": json(event.payload),
        ]
        if let response {
            var context: [String: Any] = ["statusCode": 200, "executedVersion": response.executedVersion]
            if let error = response.functionError { context["functionError"] = error }
            record["responseContext"] = context
            record["responsePayload"] = json(response.payload)
        }
        let data = (try? JSONSerialization.data(withJSONObject: record, options: [.withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
