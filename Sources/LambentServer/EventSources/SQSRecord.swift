import LambentModel
import LambentStore

/// One record of the SQS event a mapping's function receives, with AWS's fields in AWS's
/// order. Written as JSON by hand: the pollers build one per message, and
/// `JSONSerialization` (bridging through `NSDictionary` on Linux) cost a fifth of the
/// server's CPU at 1,000 messages a second.
struct SQSRecord {
    var messageID: String
    var receiptHandle: String
    var body: String
    /// The system attributes, in the order Lambda writes them.
    var attributes: [(name: String, value: String)]
    var messageAttributes: [String: MessageAttributeValue]
    var md5OfMessageAttributes: String?
    var md5OfBody: String
    var eventSourceARN: String
    var awsRegion: String

    init(_ message: ReceivedMessage, queueARN: String, region: String, fifo: Bool) {
        messageID = message.envelope.messageID
        receiptHandle = message.receipt.encoded
        body = message.body
        var attributes = [("ApproximateReceiveCount", String(message.receiveCount)), ("SentTimestamp", String(message.sentTimestamp))]
        if fifo {
            attributes += [("SequenceNumber", message.sequenceNumber ?? ""), ("MessageGroupId", message.groupID ?? "")]
        }
        attributes.append(("SenderId", message.envelope.senderID))
        if fifo { attributes.append(("MessageDeduplicationId", message.deduplicationID ?? "")) }
        attributes.append(("ApproximateFirstReceiveTimestamp", String(message.firstReceiveTimestamp)))
        self.attributes = attributes.map { (name: $0.0, value: $0.1) }
        messageAttributes = message.envelope.messageAttributes
        md5OfMessageAttributes = message.envelope.md5OfMessageAttributes
        md5OfBody = message.envelope.md5OfBody
        eventSourceARN = queueARN
        awsRegion = region
    }

    /// `{"Records": [...]}`.
    static func event(_ records: [SQSRecord]) -> String {
        "{\"Records\":[" + records.map(\.json).joined(separator: ",") + "]}"
    }

    var json: String {
        let quoted = JSONText.quoted
        let system = attributes.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ",")
        let user = messageAttributes.sorted { $0.key < $1.key }.map { name, value in
            var fields: [String] = []
            if let text = value.stringValue { fields.append("\"stringValue\":\(quoted(text))") }
            if let binary = value.binaryValue { fields.append("\"binaryValue\":\(quoted(binary))") }
            fields += ["\"stringListValues\":[]", "\"binaryListValues\":[]", "\"dataType\":\(quoted(value.dataType))"]
            return "\(quoted(name)):{" + fields.joined(separator: ",") + "}"
        }.joined(separator: ",")
        return "{\"messageId\":\(quoted(messageID)),\"receiptHandle\":\(quoted(receiptHandle)),\"body\":\(quoted(body)),"
            + "\"attributes\":{\(system)},\"messageAttributes\":{\(user)},"
            + "\"md5OfMessageAttributes\":\(md5OfMessageAttributes.map(quoted) ?? "null"),\"md5OfBody\":\(quoted(md5OfBody)),"
            + "\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\(quoted(eventSourceARN)),\"awsRegion\":\(quoted(awsRegion))}"
    }

    /// The record as filter patterns see it: `body` parsed when it is JSON.
    var filterable: JSONValue {
        var user: [String: JSONValue] = [:]
        for (name, value) in messageAttributes {
            var fields: [String: JSONValue] = [
                "stringListValues": .array([]), "binaryListValues": .array([]), "dataType": .string(value.dataType),
            ]
            if let text = value.stringValue { fields["stringValue"] = .string(text) }
            if let binary = value.binaryValue { fields["binaryValue"] = .string(binary) }
            user[name] = .object(fields)
        }
        return .object([
            "messageId": .string(messageID), "body": JSONValue.parse(body) ?? .string(body),
            "attributes": .object(Dictionary(attributes.map { ($0.name, JSONValue.string($0.value)) }, uniquingKeysWith: { $1 })),
            "messageAttributes": .object(user), "md5OfMessageAttributes": md5OfMessageAttributes.map(JSONValue.string) ?? .null,
            "md5OfBody": .string(md5OfBody), "eventSource": .string("aws:sqs"), "eventSourceARN": .string(eventSourceARN),
            "awsRegion": .string(awsRegion),
        ])
    }
}
