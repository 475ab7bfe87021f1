import Crypto
import Foundation
import LambentModel
import LambentStore
import Logging

/// SQS on the queue engine: queue URLs and attributes, validation with SQS's words, message
/// digests, long polling. `SQSRoutes` translates the JSON protocol to these calls.
public struct QueueService: Sendable {
    let store: any Store
    let names: ResourceNames
    let signals: QueueSignals
    let moveTasks = MessageMoveTasks()
    let purges = RecentPurges()
    let logger: Logger
    /// Unix epoch milliseconds.
    let now: @Sendable () -> Int64

    public init(store: any Store, names: ResourceNames, logger: Logger,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.store = store
        self.names = names
        self.signals = QueueSignals()
        self.logger = logger
        self.now = now
    }

    // MARK: Names

    func queueURL(_ name: String, host: String?) -> String {
        "http://\(host ?? "127.0.0.1:9550")/\(names.accountID)/\(name)"
    }

    func queueARN(_ name: String) -> String {
        "arn:aws:sqs:\(names.region):\(names.accountID):\(name)"
    }

    /// The queue a `QueueUrl` names: its last path component (a bare name is accepted too).
    func queue(url: String?) async throws -> QueueRecord {
        guard let url, !url.isEmpty else { throw SQSError.missingParameter("QueueUrl") }
        let name = url.split(separator: "/").last.map(String.init) ?? url
        guard QueueRules.isValidName(name), let queue = try await store.queue(named: name) else { throw SQSError.queueDoesNotExist }
        return queue
    }

    /// The queue an SQS ARN of this account and region names.
    func queueName(arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sqs", parts[3] == names.region, parts[4] == names.accountID else { return nil }
        return String(parts[5])
    }

    // MARK: Queues

    func createQueue(name: String?, attributes: [String: String], tags: [String: String], host: String?) async throws -> String {
        guard let name else { throw SQSError.missingParameter("QueueName") }
        // SQS takes booleans in any case ("True" too) and answers them in lower case.
        let fifo = attributes["FifoQueue"]?.lowercased() == "true"
        try QueueRules.validateName(name, fifo: fifo)
        try QueueRules.validate(attributes, creating: true, fifo: fifo)
        try await checkRedrive(attributes)
        let seconds = now() / 1000
        let stored = QueueRules.withDefaults(attributes, fifo: fifo)
        let (queue, created) = try await store.createQueue(
            QueueRecord(name: name, attributes: stored, tags: tags, createdTimestamp: seconds, lastModifiedTimestamp: seconds))
        if !created {
            // Same name: the same attributes make it a no-op, different ones an error.
            for (key, value) in QueueRules.normalized(attributes) where queue.attributes[key] != value {
                throw SQSError(code: "QueueNameExists", queryCode: "QueueAlreadyExists", status: 400,
                               message: "A queue already exists with the same name and a different value for attribute \(key)")
            }
        } else {
            logger.info("queue created", metadata: ["lambent.queue": "\(name)"])
        }
        return queueURL(name, host: host)
    }

    func queueURL(named name: String?, host: String?) async throws -> String {
        guard let name else { throw SQSError.missingParameter("QueueName") }
        guard QueueRules.isValidName(name), try await store.queue(named: name) != nil else { throw SQSError.queueDoesNotExist }
        return queueURL(name, host: host)
    }

    func listQueues(prefix: String?, nextToken: String?, maxResults: Int?, host: String?) async throws -> (urls: [String], nextToken: String?) {
        if let maxResults, !(1...1000).contains(maxResults) {
            throw SQSError.invalidParameter("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
        }
        let after = nextToken.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        let limit = maxResults ?? 1000
        let queues = try await store.listQueues(prefix: prefix ?? "", after: after, limit: limit + 1)
            .filter { QueueRules.isValidName($0.name) }
        let page = queues.prefix(limit)
        let token = queues.count > limit && maxResults != nil ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil
        return (page.map { queueURL($0.name, host: host) }, token)
    }

    /// The attributes named (none: an empty answer, for a queue that exists).
    func attributes(of url: String?, names requested: [String]) async throws -> [String: String] {
        let queue = try await queue(url: url)
        if requested.isEmpty { return [:] }
        let all = requested.contains("All")
        for name in requested where name != "All" && !QueueRules.readable(fifo: queue.isFifo).contains(name) {
            throw SQSError.invalidAttributeName(name)
        }
        let counts = try await store.counts(queue: queue.name, now: now())
        var values = queue.attributes
        values["QueueArn"] = queueARN(queue.name)
        values["CreatedTimestamp"] = String(queue.createdTimestamp)
        values["LastModifiedTimestamp"] = String(queue.lastModifiedTimestamp)
        values["ApproximateNumberOfMessages"] = String(counts.visible)
        values["ApproximateNumberOfMessagesNotVisible"] = String(counts.inFlight)
        values["ApproximateNumberOfMessagesDelayed"] = String(counts.delayed)
        return values.filter { all || requested.contains($0.key) }
    }

    func setAttributes(of url: String?, _ attributes: [String: String]) async throws {
        let queue = try await queue(url: url)
        try QueueRules.validate(attributes, creating: false, fifo: queue.isFifo)
        try await checkRedrive(attributes)
        let seconds = now() / 1000
        _ = try await store.updateQueue(named: queue.name) { current in
            var updated = current
            for (key, value) in attributes {
                // An empty RedrivePolicy removes it.
                if key == "RedrivePolicy" && value.isEmpty { updated.attributes[key] = nil } else { updated.attributes[key] = value }
            }
            updated.lastModifiedTimestamp = seconds
            return updated
        }
    }

    func deleteQueue(_ url: String?) async throws {
        let queue = try await queue(url: url)
        _ = try await store.deleteQueue(named: queue.name)
        signals.signal(queue.name)
        logger.info("queue deleted", metadata: ["lambent.queue": "\(queue.name)"])
    }

    /// Purges; SQS allows one purge of a queue a minute.
    func purgeQueue(_ url: String?) async throws {
        let queue = try await queue(url: url)
        guard purges.begin(queue.name, now: now()) else {
            throw SQSError(code: "PurgeQueueInProgress", queryCode: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403,
                           message: "Only one PurgeQueue operation on \(queue.name) is allowed every 60 seconds.")
        }
        try await store.purgeQueue(named: queue.name)
    }

    func tags(of url: String?) async throws -> [String: String] {
        try await queue(url: url).tags
    }

    /// Adds tags; a queue has at most 50.
    func tag(_ url: String?, tags: [String: String]) async throws {
        let queue = try await queue(url: url)
        guard !tags.isEmpty else { throw SQSError.missingParameter("Tags") }
        _ = try await store.updateQueue(named: queue.name) { current in
            var updated = current
            updated.tags.merge(tags) { _, new in new }
            guard updated.tags.count <= 50 else { throw SQSError.invalidParameter("Too many tags added for queue \(queue.name).") }
            return updated
        }
    }

    func untag(_ url: String?, keys: [String]) async throws {
        let queue = try await queue(url: url)
        _ = try await store.updateQueue(named: queue.name) { current in
            var updated = current
            for key in keys { updated.tags[key] = nil }
            return updated
        }
    }

    /// Queues whose `RedrivePolicy` names this queue as their dead-letter queue.
    func deadLetterSources(of url: String?, host: String?) async throws -> [String] {
        let queue = try await queue(url: url)
        let arn = queueARN(queue.name)
        return try await store.listQueues(prefix: "", after: nil, limit: 100_000)
            .filter { QueueRules.redrive($0.attributes)?.targetARN == arn }
            .map { queueURL($0.name, host: host) }
    }

    private func checkRedrive(_ attributes: [String: String]) async throws {
        guard let text = attributes["RedrivePolicy"], !text.isEmpty else { return }
        guard let redrive = QueueRules.redrive(attributes) else {
            throw SQSError.invalidAttributeValue("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.")
        }
        guard (1...1000).contains(redrive.maxReceiveCount) else {
            throw SQSError.invalidAttributeValue("Value \(text) for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: \(redrive.maxReceiveCount), valid values are from 1 to 1000 both inclusive.")
        }
        guard let name = queueName(arn: redrive.targetARN), try await store.queue(named: name) != nil else {
            throw SQSError.invalidAttributeValue("Value \(text) for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.")
        }
    }

    // MARK: Messages

    struct Outgoing {
        var body: String?
        var delaySeconds: Int?
        var attributes: [String: MessageAttributeValue]
        var groupID: String?
        var deduplicationID: String?
    }

    /// Validates a message and builds what the engine keeps (`inBatch` words errors as
    /// `SendMessageBatch` does).
    func outgoing(_ message: Outgoing, queue: QueueRecord, inBatch: Bool = false) throws -> OutgoingMessage {
        guard let body = message.body else { throw SQSError.missingParameter("MessageBody") }
        if body.isEmpty { throw SQSError.missingParameter("MessageBody") }
        try QueueRules.validateBody(body)
        try QueueRules.validate(messageAttributes: message.attributes)
        let size = body.utf8.count + QueueRules.size(of: message.attributes)
        let maximum = queue.integer("MaximumMessageSize", default: QueueRules.defaultMaximumMessageSize)
        if size > maximum {
            throw SQSError.messageTooLong(maximum: maximum, inBatch: inBatch)
        }
        if let delay = message.delaySeconds, !(0...900).contains(delay) {
            throw SQSError.invalidParameter("Value \(delay) for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
        }
        var deduplicationID = message.deduplicationID
        if queue.isFifo {
            guard message.groupID != nil else {
                throw SQSError.missingParameter("MessageGroupId")
            }
            if message.delaySeconds.map({ $0 > 0 }) == true {
                throw SQSError.invalidParameter("Value \(message.delaySeconds!) for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
            }
            if deduplicationID == nil {
                guard queue.attributes["ContentBasedDeduplication"] == "true" else {
                    throw SQSError.invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                deduplicationID = SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
            }
        } else if message.groupID != nil && message.deduplicationID != nil {
            throw SQSError.invalidParameter("Value \(message.deduplicationID!) for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.")
        }
        let envelope = MessageEnvelope(
            messageID: RandomID.uuid(), md5OfBody: QueueDigest.md5(body),
            messageAttributes: message.attributes,
            md5OfMessageAttributes: message.attributes.isEmpty ? nil : QueueDigest.md5(of: message.attributes),
            senderID: names.accountID)
        return OutgoingMessage(body: body, envelope: envelope,
                               delaySeconds: message.delaySeconds ?? queue.integer("DelaySeconds", default: 0),
                               groupID: message.groupID, deduplicationID: deduplicationID)
    }

    /// Sends validated messages; wakes long pollers.
    func send(_ messages: [OutgoingMessage], to queue: QueueRecord) async throws -> [SentMessage] {
        let sent: [SentMessage]
        do {
            sent = try await store.send(messages, to: queue.name, now: now())
        } catch QueueStoreError.queueMissing {
            throw SQSError.queueDoesNotExist
        }
        signals.signal(queue.name)
        return sent
    }

    /// Receives, waiting up to `wait` seconds (or the queue's `ReceiveMessageWaitTimeSeconds`)
    /// for a message; returns as soon as one is there.
    func receive(_ url: String?, maxMessages: Int?, visibilityTimeout: Int?, waitSeconds: Int?) async throws
        -> (queue: QueueRecord, messages: [ReceivedMessage]) {
        let queue = try await queue(url: url)
        let limit = maxMessages ?? 1
        guard (1...10).contains(limit) else {
            throw SQSError.invalidParameter("Value \(limit) for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
        }
        let wait = waitSeconds ?? queue.integer("ReceiveMessageWaitTimeSeconds", default: 0)
        guard (0...20).contains(wait) else {
            throw SQSError.invalidParameter("Value \(wait) for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
        }
        let visibility = visibilityTimeout ?? queue.integer("VisibilityTimeout", default: 30)
        guard (0...43_200).contains(visibility) else {
            throw SQSError.invalidParameter("Value \(visibility) for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.")
        }
        let deadLetter = QueueRules.redrive(queue.attributes).flatMap { redrive in
            queueName(arn: redrive.targetARN).map { DeadLetterTarget(queue: $0, maxReceiveCount: redrive.maxReceiveCount) }
        }
        let deadline = now() + Int64(wait) * 1000
        while true {
            let messages = try await store.receive(from: queue.name, limit: limit, visibilityTimeout: visibility, now: now(),
                                                   deadLetter: deadLetter)
            let current = now()
            if !messages.isEmpty || current >= deadline || Task.isCancelled { return (queue, messages) }
            var wake = deadline
            if let next = try await store.nextVisibleTime(queue: queue.name, now: current) { wake = min(wake, next) }
            await signals.wait(for: queue.name, milliseconds: max(1, wake - current))
        }
    }

    /// Deletes a received message. A standard queue takes any receipt of a message that is
    /// still there; a FIFO queue's receipt expires with its visibility timeout (AWS's recorded
    /// answer), so a message that may be another consumer's by now is not deleted.
    func deleteMessage(_ queue: QueueRecord, receiptHandle: String?) async throws {
        let receipt = try receipt(receiptHandle, queue: queue)
        guard queue.isFifo else {
            _ = try await store.deleteMessage(queue: queue.name, receipt: receipt)
            return
        }
        if try await store.deleteMessage(queue: queue.name, receipt: receipt, currentAt: now()) == .expired {
            throw SQSError.invalidParameter("Value \(receiptHandle ?? "") for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
        }
    }

    func changeVisibility(_ queue: QueueRecord, receiptHandle: String?, timeout: Int?) async throws {
        let receipt = try receipt(receiptHandle, queue: queue)
        guard let timeout else { throw SQSError.missingParameter("VisibilityTimeout") }
        guard (0...43_200).contains(timeout) else {
            throw SQSError.invalidParameter("Value \(timeout) for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
        }
        guard try await store.changeVisibility(queue: queue.name, receipt: receipt, timeout: timeout, now: now()) else {
            throw SQSError(code: "MessageNotInflight", queryCode: "AWS.SimpleQueueService.MessageNotInflight", status: 400,
                           message: "Value \(receiptHandle ?? "") for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
        }
        if timeout == 0 { signals.signal(queue.name) }
    }

    private func receipt(_ text: String?, queue: QueueRecord) throws -> ReceiptHandle {
        guard let text, !text.isEmpty else { throw SQSError.missingParameter("ReceiptHandle") }
        guard let receipt = ReceiptHandle(encoded: text), receipt.queue == queue.name else { throw SQSError.receiptHandleIsInvalid(text) }
        return receipt
    }

    /// Every queue's depth (SQS queues and Lambent's event queue), for `/metrics` and `lambent queues`.
    func depths() async throws -> [(name: String, visible: Int, inFlight: Int, delayed: Int, oldestAgeMillis: Int64)] {
        var result: [(name: String, visible: Int, inFlight: Int, delayed: Int, oldestAgeMillis: Int64)] = []
        let current = now()
        for queue in try await store.listQueues(prefix: "", after: nil, limit: 100_000) {
            let counts = try await store.counts(queue: queue.name, now: current)
            result.append((queue.name, counts.visible, counts.inFlight, counts.delayed, counts.oldestAgeMillis))
        }
        return result
    }

    /// Deletes expired messages (retention) now and then.
    public func runExpiry() async {
        while !Task.isCancelled {
            do {
                let expired = try await store.expireMessages(now: now())
                if expired > 0 { logger.debug("messages expired", metadata: ["lambent.count": "\(expired)"]) }
            } catch {
                logger.warning("could not expire messages", metadata: ["lambent.error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }
}

/// MD5 digests as SQS computes them: of the body, and of the message attributes (sorted by
/// name; each as length-prefixed name, length-prefixed data type, a transport byte — 1 for
/// String and Number, 2 for Binary — and the length-prefixed value; lengths are 4-byte big-endian).
enum QueueDigest {
    static func md5(_ text: String) -> String {
        hex(Insecure.MD5.hash(data: Data(text.utf8)))
    }

    static func md5(of attributes: [String: MessageAttributeValue]) -> String {
        var bytes: [UInt8] = []
        func append(_ data: [UInt8]) {
            let count = UInt32(data.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
            bytes += data
        }
        for name in attributes.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let value = attributes[name]!
            append(Array(name.utf8))
            append(Array(value.dataType.utf8))
            if let binary = value.binaryValue, value.dataType.hasPrefix("Binary") {
                bytes.append(2)
                append(Array(Data(base64Encoded: binary) ?? Data()))
            } else {
                bytes.append(1)
                append(Array((value.stringValue ?? "").utf8))
            }
        }
        return hex(Insecure.MD5.hash(data: Data(bytes)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
