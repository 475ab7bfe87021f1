import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import LambentStore
import NIOCore

/// The SQS JSON protocol: `POST /` with `X-Amz-Target: AmazonSQS.<Operation>`, signed for
/// service `sqs`. Each operation reads its members, calls `QueueService` and writes the answer;
/// empty members are left out, as SQS leaves them out.
struct SQSRoutes {
    let queues: QueueService

    typealias Object = [String: Any]

    func dispatch(_ request: Request, target: String) async throws -> Response {
        guard target.hasPrefix("AmazonSQS.") else { throw LambdaError.unknownOperation(method: "POST", path: "/") }
        do {
            let buffer = try await request.body.collect(upTo: BodyLimits.maximum)
            let data = Data(buffer.readableBytesView)
            let parsed = data.isEmpty ? [:] : try? JSONSerialization.jsonObject(with: data)
            guard let body = parsed as? Object else {
                throw SQSError(code: "SerializationException", status: 400, message: "Start of structure or map found where not expected.")
            }
            let host = request.head.authority
            let answer = try await perform(String(target.dropFirst("AmazonSQS.".count)), body, host: host)
            let json = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.0"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as SQSError {
            return error.response
        }
    }

    private func perform(_ operation: String, _ body: Object, host: String?) async throws -> Object {
        let url = body["QueueUrl"] as? String
        switch operation {
        case "CreateQueue":
            return ["QueueUrl": try await queues.createQueue(
                name: body["QueueName"] as? String, attributes: JSONMembers.strings(body["Attributes"]), tags: JSONMembers.strings(body["tags"]), host: host)]
        case "GetQueueUrl":
            return ["QueueUrl": try await queues.queueURL(named: body["QueueName"] as? String, host: host)]
        case "ListQueues":
            let page = try await queues.listQueues(prefix: body["QueueNamePrefix"] as? String, nextToken: body["NextToken"] as? String,
                                                   maxResults: body["MaxResults"] as? Int, host: host)
            return compact(["QueueUrls": page.urls.isEmpty ? nil : page.urls, "NextToken": page.nextToken])
        case "GetQueueAttributes":
            let names = (body["AttributeNames"] as? [String]) ?? []
            let values = try await queues.attributes(of: url, names: names)
            return compact(["Attributes": values.isEmpty ? nil : values])
        case "SetQueueAttributes":
            try await queues.setAttributes(of: url, JSONMembers.strings(body["Attributes"]))
            return [:]
        case "DeleteQueue":
            try await queues.deleteQueue(url)
            return [:]
        case "PurgeQueue":
            try await queues.purgeQueue(url)
            return [:]
        case "TagQueue":
            try await queues.tag(url, tags: JSONMembers.strings(body["Tags"]))
            return [:]
        case "UntagQueue":
            try await queues.untag(url, keys: (body["TagKeys"] as? [String]) ?? [])
            return [:]
        case "ListQueueTags":
            let tags = try await queues.tags(of: url)
            return compact(["Tags": tags.isEmpty ? nil : tags])
        case "ListDeadLetterSourceQueues":
            return ["queueUrls": try await queues.deadLetterSources(of: url, host: host)]
        case "SendMessage":
            return try await sendMessage(body, url: url)
        case "SendMessageBatch":
            return try await sendBatch(body, url: url)
        case "ReceiveMessage":
            return try await receive(body, url: url)
        case "DeleteMessage":
            let queue = try await queues.queue(url: url)
            try await queues.deleteMessage(queue, receiptHandle: body["ReceiptHandle"] as? String)
            return [:]
        case "DeleteMessageBatch":
            return try await batch(body, url: url, entryName: "DeleteMessageBatchRequestEntry") { queue, entry in
                try await queues.deleteMessage(queue, receiptHandle: entry["ReceiptHandle"] as? String)
            }
        case "ChangeMessageVisibility":
            let queue = try await queues.queue(url: url)
            try await queues.changeVisibility(queue, receiptHandle: body["ReceiptHandle"] as? String, timeout: body["VisibilityTimeout"] as? Int)
            return [:]
        case "ChangeMessageVisibilityBatch":
            return try await batch(body, url: url, entryName: "ChangeMessageVisibilityBatchRequestEntry") { queue, entry in
                try await queues.changeVisibility(queue, receiptHandle: entry["ReceiptHandle"] as? String,
                                                  timeout: entry["VisibilityTimeout"] as? Int)
            }
        case "AddPermission":
            try await queues.addPermission(url, label: body["Label"] as? String, accounts: body["AWSAccountIds"] as? [String],
                                           actions: body["Actions"] as? [String])
            return [:]
        case "RemovePermission":
            try await queues.removePermission(url, label: body["Label"] as? String)
            return [:]
        case "StartMessageMoveTask":
            return ["TaskHandle": try await queues.moveTasks.start(
                queues, sourceArn: body["SourceArn"] as? String, destinationArn: body["DestinationArn"] as? String,
                rate: body["MaxNumberOfMessagesPerSecond"] as? Int)]
        case "ListMessageMoveTasks":
            let tasks = try queues.moveTasks.list(sourceArn: body["SourceArn"] as? String, maxResults: body["MaxResults"] as? Int)
            return ["Results": tasks.map { task in
                compact(["TaskHandle": task.status == "RUNNING" ? task.handle : nil, "Status": task.status, "SourceArn": task.sourceArn,
                         "DestinationArn": task.destinationArn, "MaxNumberOfMessagesPerSecond": task.rate,
                         "ApproximateNumberOfMessagesMoved": task.moved, "ApproximateNumberOfMessagesToMove": task.toMove,
                         "FailureReason": task.failure, "StartedTimestamp": task.started])
            }]
        case "CancelMessageMoveTask":
            return ["ApproximateNumberOfMessagesMoved": try queues.moveTasks.cancel(body["TaskHandle"] as? String)]
        default:
            throw SQSError(code: "InvalidAction", status: 400, message: "The action \(operation) is not valid for this endpoint.")
        }
    }

    // MARK: Messages

    private func outgoing(_ body: Object) throws -> QueueService.Outgoing {
        try QueueRules.validateToken(body["MessageGroupId"] as? String, parameter: "MessageGroupId")
        try QueueRules.validateToken(body["MessageDeduplicationId"] as? String, parameter: "MessageDeduplicationId")
        return QueueService.Outgoing(
            body: body["MessageBody"] as? String, delaySeconds: body["DelaySeconds"] as? Int,
            attributes: try attributeValues(body["MessageAttributes"]), groupID: body["MessageGroupId"] as? String,
            deduplicationID: body["MessageDeduplicationId"] as? String)
    }

    private func sendMessage(_ body: Object, url: String?) async throws -> Object {
        let queue = try await queues.queue(url: url)
        let message = try queues.outgoing(try outgoing(body), queue: queue)
        let sent = try await queues.send([message], to: queue)[0]
        return compact(["MessageId": sent.messageID, "MD5OfMessageBody": message.envelope.md5OfBody,
                        "MD5OfMessageAttributes": message.envelope.md5OfMessageAttributes,
                        "SequenceNumber": queue.isFifo ? sent.sequenceNumber : nil])
    }

    private func sendBatch(_ body: Object, url: String?) async throws -> Object {
        let queue = try await queues.queue(url: url)
        let entries = (body["Entries"] as? [Object]) ?? []
        try QueueRules.validateBatchIDs(entries.map { $0["Id"] as? String }, entryName: "SendMessageBatchRequestEntry")
        var accepted: [(id: String, message: OutgoingMessage)] = []
        var failed: [Object] = []
        var total = 0
        for entry in entries {
            let id = entry["Id"] as! String
            do {
                let prepared = try outgoing(entry)
                if queue.isFifo, prepared.groupID == nil {
                    throw SQSError.invalidParameter("The request must contain the parameter MessageGroupId.")
                }
                let message = try queues.outgoing(prepared, queue: queue, inBatch: true)
                total += message.body.utf8.count + QueueRules.size(of: message.envelope.messageAttributes)
                accepted.append((id, message))
            } catch let error as SQSError where error.failsEntryOnly {
                failed.append(failure(id, error))
            }
        }
        if total > 1_048_576 {
            throw SQSError(code: "BatchRequestTooLong", queryCode: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400,
                           message: "Batch requests cannot be longer than 1048576 bytes. You have sent \(total) bytes.")
        }
        let sent = accepted.isEmpty ? [] : try await queues.send(accepted.map(\.message), to: queue)
        let successful: [Object] = zip(accepted, sent).map { entry, result in
            compact(["Id": entry.id, "MessageId": result.messageID, "MD5OfMessageBody": entry.message.envelope.md5OfBody,
                     "MD5OfMessageAttributes": entry.message.envelope.md5OfMessageAttributes,
                     "SequenceNumber": queue.isFifo ? result.sequenceNumber : nil])
        }
        return compact(["Successful": successful, "Failed": failed.isEmpty ? nil : failed])
    }

    private func receive(_ body: Object, url: String?) async throws -> Object {
        let (queue, messages) = try await queues.receive(
            url, maxMessages: body["MaxNumberOfMessages"] as? Int, visibilityTimeout: body["VisibilityTimeout"] as? Int,
            waitSeconds: body["WaitTimeSeconds"] as? Int)
        let systemNames = Set(((body["MessageSystemAttributeNames"] as? [String]) ?? []) + ((body["AttributeNames"] as? [String]) ?? []))
        let attributeNames = (body["MessageAttributeNames"] as? [String]) ?? []
        let rendered: [Object] = messages.map { message in
            var system: [String: String] = [
                "SenderId": message.envelope.senderID, "SentTimestamp": String(message.sentTimestamp),
                "ApproximateReceiveCount": String(message.receiveCount),
                "ApproximateFirstReceiveTimestamp": String(message.firstReceiveTimestamp),
            ]
            if let group = message.groupID { system["MessageGroupId"] = group }
            if queue.isFifo {
                system["MessageDeduplicationId"] = message.deduplicationID
                system["SequenceNumber"] = message.sequenceNumber
            }
            if let source = message.deadLetterSourceQueue { system["DeadLetterQueueSourceArn"] = queues.queueARN(source) }
            let wantedSystem = systemNames.contains("All") ? system : system.filter { systemNames.contains($0.key) }
            let user = message.envelope.messageAttributes.filter { QueueRules.wanted($0.key, by: attributeNames) }
            return compact([
                "MessageId": message.envelope.messageID, "ReceiptHandle": message.receipt.encoded,
                "MD5OfBody": message.envelope.md5OfBody, "Body": message.body,
                "Attributes": wantedSystem.isEmpty ? nil : wantedSystem,
                "MessageAttributes": user.isEmpty ? nil : user.mapValues(attributeObject),
                "MD5OfMessageAttributes": user.isEmpty ? nil : QueueDigest.md5(of: user),
            ])
        }
        return compact(["Messages": rendered.isEmpty ? nil : rendered])
    }

    /// Delete and visibility batches: ids checked, then each entry on its own.
    private func batch(_ body: Object, url: String?, entryName: String,
                       _ each: (QueueRecord, Object) async throws -> Void) async throws -> Object {
        let queue = try await queues.queue(url: url)
        let entries = (body["Entries"] as? [Object]) ?? []
        try QueueRules.validateBatchIDs(entries.map { $0["Id"] as? String }, entryName: entryName)
        var successful: [Object] = []
        var failed: [Object] = []
        for entry in entries {
            let id = entry["Id"] as! String
            do {
                try await each(queue, entry)
                successful.append(["Id": id])
            } catch let error as SQSError {
                failed.append(failure(id, error))
            }
        }
        return compact(["Successful": successful, "Failed": failed.isEmpty ? nil : failed])
    }

    /// A batch's `Failed` item.
    private func failure(_ id: String, _ error: SQSError) -> Object {
        ["Id": id, "SenderFault": error.senderFault, "Code": error.queryCode ?? error.code, "Message": error.message]
    }

    // MARK: JSON helpers

    private func attributeValues(_ value: Any?) throws -> [String: MessageAttributeValue] {
        guard let object = value as? [String: Any] else { return [:] }
        var values: [String: MessageAttributeValue] = [:]
        for (name, raw) in object {
            guard let fields = raw as? [String: Any], let type = fields["DataType"] as? String else {
                throw SQSError.invalidParameter("The message attribute '\(name)' must contain non-empty message attribute type.")
            }
            values[name] = MessageAttributeValue(dataType: type, stringValue: fields["StringValue"] as? String,
                                                 binaryValue: fields["BinaryValue"] as? String)
        }
        return values
    }

    private func attributeObject(_ value: MessageAttributeValue) -> Object {
        compact(["DataType": value.dataType, "StringValue": value.stringValue, "BinaryValue": value.binaryValue])
    }

    private func compact(_ object: [String: Any?]) -> Object {
        object.compactMapValues { $0 }
    }
}
