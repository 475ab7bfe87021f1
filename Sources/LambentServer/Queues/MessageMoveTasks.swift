import Foundation
import LambentModel
import LambentStore
import Synchronization

/// `StartMessageMoveTask`, `ListMessageMoveTasks`, `CancelMessageMoveTask`: redriving a
/// dead-letter queue back to the queues its messages came from (or to one destination), at
/// most `MaxNumberOfMessagesPerSecond`. Tasks live in memory: a restart ends them (the
/// messages not yet moved stay in the dead-letter queue, none is lost: each is sent before it
/// is deleted).
final class MessageMoveTasks: Sendable {
    struct Task: Sendable {
        var handle: String
        var sourceArn: String
        var destinationArn: String?
        var rate: Int?
        var status = "RUNNING"
        var moved = 0
        var toMove: Int
        var started: Int64
        var failure: String?
    }

    private let tasks = Mutex<[String: Task]>([:])

    func start(_ queues: QueueService, sourceArn: String?, destinationArn: String?, rate: Int?) async throws -> String {
        guard let sourceArn else { throw SQSError.missingParameter("SourceArn") }
        guard let sourceName = queues.queueName(arn: sourceArn), let source = try await queues.store.queue(named: sourceName) else {
            throw SQSError(code: "ResourceNotFoundException", status: 404, message: "The resource that you specified for the SourceArn parameter doesn't exist.")
        }
        let sources = try await queues.deadLetterSources(of: sourceName, host: nil)
        if sources.isEmpty { throw SQSError.invalidParameter("Source queue must be configured as a Dead Letter Queue.") }
        var destination: String?
        if let destinationArn {
            guard let name = queues.queueName(arn: destinationArn), try await queues.store.queue(named: name) != nil else {
                throw SQSError(code: "ResourceNotFoundException", status: 404,
                               message: "The resource that you specified for the DestinationArn parameter doesn't exist.")
            }
            destination = name
        }
        if let rate, !(1...500).contains(rate) {
            throw SQSError.invalidParameter("Value \(rate) for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.")
        }
        if tasks.withLock({ $0.values.contains { $0.sourceArn == sourceArn && $0.status == "RUNNING" } }) {
            throw SQSError.invalidParameter("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
        }
        let counts = try await queues.store.counts(queue: source.name, now: queues.now())
        let handle = Data("\(UUID().uuidString)|\(sourceArn)".utf8).base64EncodedString()
        let task = Task(handle: handle, sourceArn: sourceArn, destinationArn: destinationArn, rate: rate,
                        toMove: counts.visible + counts.inFlight + counts.delayed, started: queues.now())
        tasks.withLock { $0[handle] = task }
        _Concurrency.Task { await self.run(handle, source: source.name, destination: destination, queues: queues) }
        return handle
    }

    func list(sourceArn: String?, maxResults: Int?) throws -> [Task] {
        guard let sourceArn else { throw SQSError.missingParameter("SourceArn") }
        let limit = maxResults ?? 1
        guard (1...10).contains(limit) else {
            throw SQSError.invalidParameter("Value \(limit) for parameter MaxResults is invalid. Reason: Must be between 1 and 10.")
        }
        return Array(tasks.withLock { $0.values.filter { $0.sourceArn == sourceArn } }.sorted { $0.started > $1.started }.prefix(limit))
    }

    func cancel(_ handle: String?) throws -> Int {
        guard let handle else { throw SQSError.missingParameter("TaskHandle") }
        return try tasks.withLock { tasks in
            guard var task = tasks[handle] else {
                throw SQSError(code: "ResourceNotFoundException", status: 404, message: "Task does not exist.")
            }
            guard task.status == "RUNNING" else { throw SQSError.invalidParameter("Only active tasks can be cancelled.") }
            task.status = "CANCELLING"
            tasks[handle] = task
            return task.moved
        }
    }

    private func run(_ handle: String, source: String, destination: String?, queues: QueueService) async {
        var status = "COMPLETED"
        var failure: String?
        do {
            while true {
                if tasks.withLock({ $0[handle]?.status }) == "CANCELLING" {
                    status = "CANCELLED"
                    break
                }
                let rate = tasks.withLock { $0[handle]?.rate } ?? 500
                let batch = try await queues.store.receive(from: source, limit: min(10, rate), visibilityTimeout: 30, now: queues.now(),
                                                           deadLetter: nil)
                if batch.isEmpty { break }
                let started = ContinuousClock.now
                for message in batch {
                    guard let target = destination ?? message.deadLetterSourceQueue,
                          let queue = try await queues.store.queue(named: target) else {
                        throw SQSError.invalidParameter("The message's source queue does not exist any more.")
                    }
                    var envelope = message.envelope
                    envelope.messageID = RandomID.uuid()
                    _ = try await queues.send([OutgoingMessage(body: message.body, envelope: envelope, groupID: message.groupID,
                                                               deduplicationID: message.groupID == nil ? nil : envelope.messageID)], to: queue)
                    _ = try await queues.store.deleteMessage(queue: source, receipt: message.receipt)
                    tasks.withLock { $0[handle]?.moved += 1 }
                }
                // At most `rate` messages a second.
                let spent = ContinuousClock.now - started
                let budget = Duration.milliseconds(1000 * batch.count / max(rate, 1))
                if spent < budget { try await _Concurrency.Task.sleep(for: budget - spent) }
            }
        } catch {
            status = "FAILED"
            failure = "\(error)"
        }
        tasks.withLock { tasks in
            tasks[handle]?.status = status
            tasks[handle]?.failure = failure
        }
    }
}
