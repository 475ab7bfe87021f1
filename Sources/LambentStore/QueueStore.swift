import Foundation
import LambentModel

/// The queue engine: durable queues of messages with delays, visibility timeouts, receive
/// counts, retention, dead-letter moves, FIFO groups and deduplication. It serves both
/// user-visible SQS queues and Lambent's own queues (the async-invocation queue), whose names
/// hold a `:` so that no SQS name can collide with them.
///
/// Every call is one transaction: a send returns only once its messages are durable, a
/// receive hides the messages it returns in the same transaction that reads them. A
/// PostgreSQL implementation would do the same with `FOR UPDATE SKIP LOCKED`.
///
/// Times are Unix epoch milliseconds, passed in by the caller (tests use their own clock).
public protocol QueueStore: Sendable {
    /// Creates a queue; returns the existing one (unchanged) when the name is taken.
    func createQueue(_ queue: QueueRecord) async throws -> (queue: QueueRecord, created: Bool)
    func queue(named name: String) async throws -> QueueRecord?
    /// Queues whose names start with `prefix`, by name, after `marker`.
    func listQueues(prefix: String, after marker: String?, limit: Int) async throws -> [QueueRecord]
    func updateQueue(named name: String, _ change: @Sendable (QueueRecord) throws -> QueueRecord) async throws -> QueueRecord?
    /// Deletes a queue and its messages; false when there is no such queue.
    func deleteQueue(named name: String) async throws -> Bool
    /// Deletes every message of a queue.
    func purgeQueue(named name: String) async throws

    /// Appends messages (in order); for FIFO queues, a deduplication id seen in the last
    /// five minutes yields the earlier message's id instead of a new message. Throws
    /// `QueueStoreError.queueMissing` when the queue is gone (deleted meanwhile).
    func send(_ messages: [OutgoingMessage], to queue: String, now: Int64) async throws -> [SentMessage]
    /// Takes up to `limit` visible messages, hiding each for `visibilityTimeout` seconds.
    /// Messages received `deadLetter.maxReceiveCount` times already move to the dead-letter
    /// queue instead (keeping their id, sent time and receive count). FIFO queues give only messages of groups with nothing in flight, in order.
    func receive(from queue: String, limit: Int, visibilityTimeout: Int, now: Int64, deadLetter: DeadLetterTarget?) async throws
        -> [ReceivedMessage]
    /// Deletes the message a receipt handle names; false when it is gone already.
    func deleteMessage(queue: String, receipt: ReceiptHandle) async throws -> Bool
    /// Deletes the message a receipt handle names only while that receipt is current: the
    /// message's latest receipt, its visibility timeout still running at `now`.
    func deleteMessage(queue: String, receipt: ReceiptHandle, currentAt now: Int64) async throws -> ReceiptDeletion
    /// Deletes several messages in one transaction; returns how many were there.
    func deleteMessages(queue: String, receipts: [ReceiptHandle]) async throws -> Int
    /// Makes a received message visible again after `timeout` seconds; false when it is not in flight.
    func changeVisibility(queue: String, receipt: ReceiptHandle, timeout: Int, now: Int64) async throws -> Bool
    /// Visible, in-flight and delayed counts, and the oldest message's age.
    func counts(queue: String, now: Int64) async throws -> QueueCounts
    /// The earliest time a message of `queue` becomes visible, when none is visible now.
    func nextVisibleTime(queue: String, now: Int64) async throws -> Int64?
    /// Makes every in-flight message of `queue` visible now (at startup, when nothing can be
    /// processing them any more); returns how many.
    func releaseInFlight(queue: String, now: Int64) async throws -> Int
    /// Deletes messages older than their queue's retention period and old deduplication ids.
    func expireMessages(now: Int64) async throws -> Int
}

/// A queue and its settings, as SQS names them (`VisibilityTimeout`, `DelaySeconds`, …: the
/// string values of `GetQueueAttributes`).
public struct QueueRecord: Codable, Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var tags: [String: String]
    /// Epoch seconds.
    public var createdTimestamp: Int64
    public var lastModifiedTimestamp: Int64

    public init(name: String, attributes: [String: String], tags: [String: String] = [:], createdTimestamp: Int64,
                lastModifiedTimestamp: Int64) {
        self.name = name
        self.attributes = attributes
        self.tags = tags
        self.createdTimestamp = createdTimestamp
        self.lastModifiedTimestamp = lastModifiedTimestamp
    }

    public var isFifo: Bool { attributes["FifoQueue"] == "true" }
    public func integer(_ attribute: String, default value: Int) -> Int { attributes[attribute].flatMap { Int($0) } ?? value }
}

/// A message to append.
public struct OutgoingMessage: Sendable, Equatable {
    public var body: String
    /// The message's attributes and digests, kept and returned as they are.
    public var envelope: MessageEnvelope
    public var delaySeconds: Int
    public var groupID: String?
    public var deduplicationID: String?

    public init(body: String, envelope: MessageEnvelope, delaySeconds: Int = 0, groupID: String? = nil, deduplicationID: String? = nil) {
        self.body = body
        self.envelope = envelope
        self.delaySeconds = delaySeconds
        self.groupID = groupID
        self.deduplicationID = deduplicationID
    }
}

/// What travels with a message besides its body.
public struct MessageEnvelope: Codable, Sendable, Equatable {
    public var messageID: String
    public var md5OfBody: String
    /// User message attributes as the JSON protocol writes them (`{"name": {"DataType": …, "StringValue": …}}`).
    public var messageAttributes: [String: MessageAttributeValue]
    public var md5OfMessageAttributes: String?
    public var senderID: String

    public init(messageID: String, md5OfBody: String, messageAttributes: [String: MessageAttributeValue] = [:],
                md5OfMessageAttributes: String? = nil, senderID: String) {
        self.messageID = messageID
        self.md5OfBody = md5OfBody
        self.messageAttributes = messageAttributes
        self.md5OfMessageAttributes = md5OfMessageAttributes
        self.senderID = senderID
    }
}

extension MessageEnvelope {
    /// The envelope as the store keeps it (`StoredJSON`), written by hand when there are no
    /// message attributes, as for every asynchronous invocation: the same JSON, without
    /// `JSONEncoder`'s per-call cost on the enqueue path.
    func stored() throws -> Data {
        guard messageAttributes.isEmpty, md5OfMessageAttributes == nil else { return try StoredJSON.encode(self) }
        return Data(("{\"md5OfBody\":\(JSONText.quoted(md5OfBody)),\"messageAttributes\":{},\"messageID\":\(JSONText.quoted(messageID)),"
            + "\"senderID\":\(JSONText.quoted(senderID))}").utf8)
    }
}

/// One message attribute value.
public struct MessageAttributeValue: Codable, Sendable, Equatable {
    public var dataType: String
    public var stringValue: String?
    /// Base64, as the JSON protocol carries it.
    public var binaryValue: String?

    public init(dataType: String, stringValue: String? = nil, binaryValue: String? = nil) {
        self.dataType = dataType
        self.stringValue = stringValue
        self.binaryValue = binaryValue
    }

    enum CodingKeys: String, CodingKey { case dataType = "DataType", stringValue = "StringValue", binaryValue = "BinaryValue" }
}

/// The outcome of one send: the message's id (the earlier one's for a FIFO duplicate) and
/// its sequence number (FIFO).
public struct SentMessage: Sendable, Equatable {
    public var messageID: String
    public var sequenceNumber: String?
}

/// A received message: the stored one, with this receive's handle and counts.
public struct ReceivedMessage: Sendable, Equatable {
    public var body: String
    public var envelope: MessageEnvelope
    public var receipt: ReceiptHandle
    public var sentTimestamp: Int64
    public var receiveCount: Int
    public var firstReceiveTimestamp: Int64
    public var groupID: String?
    public var deduplicationID: String?
    public var sequenceNumber: String?
    /// The queue a dead-lettered message came from.
    public var deadLetterSourceQueue: String?
}

/// Where messages received too often go.
public struct DeadLetterTarget: Sendable, Equatable {
    public var queue: String
    public var maxReceiveCount: Int

    public init(queue: String, maxReceiveCount: Int) {
        self.queue = queue
        self.maxReceiveCount = maxReceiveCount
    }
}

/// Names one receive of one message: the message's row and a token drawn at that receive.
/// Rendered for clients as an opaque base64 string.
/// A queue operation on a queue that is not there (any more).
public enum QueueStoreError: Error, Sendable, Equatable {
    case queueMissing(String)
}

/// What deleting by a receipt that must be current did.
public enum ReceiptDeletion: Sendable, Equatable {
    case deleted
    /// No such message (deleted already, or expired).
    case gone
    /// The message is there, but the receipt is not its latest or its visibility timeout ran out.
    case expired
}

public struct ReceiptHandle: Sendable, Hashable {
    public var queue: String
    public var row: Int64
    public var token: String

    public init(queue: String, row: Int64, token: String) {
        self.queue = queue
        self.row = row
        self.token = token
    }

    public var encoded: String {
        Data("\(row)\u{1}\(token)\u{1}\(queue)".utf8).base64EncodedString()
    }

    public init?(encoded: String) {
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "\u{1}", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let row = Int64(parts[0]), !parts[1].isEmpty else { return nil }
        self.init(queue: String(parts[2]), row: row, token: String(parts[1]))
    }
}

/// `ApproximateNumberOfMessages…` and the age of the oldest message.
public struct QueueCounts: Sendable, Equatable {
    public var visible: Int
    public var inFlight: Int
    public var delayed: Int
    /// Milliseconds since the oldest message was sent; 0 when empty.
    public var oldestAgeMillis: Int64
}
