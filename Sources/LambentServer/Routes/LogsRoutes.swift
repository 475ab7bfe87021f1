import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import LambentStore
import NIOCore

/// The CloudWatch Logs JSON 1.1 protocol: `POST /` with `X-Amz-Target: Logs_20140328.<Operation>`,
/// signed for service `logs`. Each operation reads its members, calls `LogsService` and writes
/// the answer with the members AWS writes.
struct LogsRoutes {
    let logs: LogsService

    typealias Object = [String: Any]

    func dispatch(_ request: Request, target: String) async throws -> Response {
        do {
            guard target.hasPrefix("Logs_20140328.") else {
                throw LogsError(code: "UnknownOperationException", message: "")
            }
            let buffer = try await request.body.collect(upTo: BodyLimits.maximum)
            let data = Data(buffer.readableBytesView)
            let parsed = data.isEmpty ? [:] : try? JSONSerialization.jsonObject(with: data)
            guard let body = parsed as? Object else {
                throw LogsError(code: "SerializationException", message: "Start of structure or map found where not expected.")
            }
            let answer = try await perform(String(target.dropFirst("Logs_20140328.".count)), body)
            let json = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.1"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as LogsError {
            return error.response
        }
    }

    private func perform(_ operation: String, _ body: Object) async throws -> Object {
        let groupName = body["logGroupName"] as? String
        switch operation {
        case "CreateLogGroup":
            try await logs.createGroup(name: groupName, tags: JSONMembers.strings(body["tags"]), kmsKeyId: body["kmsKeyId"] as? String,
                                       logGroupClass: body["logGroupClass"] as? String)
            return [:]
        case "DeleteLogGroup":
            try await logs.deleteGroup(groupName)
            return [:]
        case "DescribeLogGroups", "ListLogGroups":
            let page = try await logs.describeGroups(prefix: body["logGroupNamePrefix"] as? String, pattern: body["logGroupNamePattern"] as? String,
                                                     token: body["nextToken"] as? String, limit: body["limit"] as? Int)
            var answer: Object = ["logGroups": page.groups.map { describe($0, full: operation == "DescribeLogGroups") }]
            answer["nextToken"] = page.nextToken
            return answer
        case "PutRetentionPolicy":
            try await logs.putRetention(group: groupName, days: body["retentionInDays"] as? Int)
            return [:]
        case "DeleteRetentionPolicy":
            try await logs.deleteRetention(group: groupName)
            return [:]
        case "TagLogGroup":
            _ = try await logs.tag(group: try LogsService.checkGroupName(groupName), add: JSONMembers.strings(body["tags"]), remove: [])
            return [:]
        case "UntagLogGroup":
            _ = try await logs.tag(group: try LogsService.checkGroupName(groupName), add: [:], remove: (body["tags"] as? [String]) ?? [])
            return [:]
        case "ListTagsLogGroup":
            return ["tags": try await logs.existingGroup(try LogsService.checkGroupName(groupName)).tags]
        case "TagResource":
            _ = try await logs.tag(group: try logs.group(ofARN: body["resourceArn"] as? String), add: JSONMembers.strings(body["tags"]), remove: [])
            return [:]
        case "UntagResource":
            _ = try await logs.tag(group: try logs.group(ofARN: body["resourceArn"] as? String), add: [:],
                                   remove: (body["tagKeys"] as? [String]) ?? [])
            return [:]
        case "ListTagsForResource":
            return ["tags": try await logs.existingGroup(try logs.group(ofARN: body["resourceArn"] as? String)).tags]
        case "CreateLogStream":
            try await logs.createStream(group: groupName, name: body["logStreamName"] as? String)
            return [:]
        case "DeleteLogStream":
            try await logs.deleteStream(group: groupName, name: body["logStreamName"] as? String)
            return [:]
        case "DescribeLogStreams":
            let group = try logs.groupName(name: groupName, identifier: body["logGroupIdentifier"] as? String)
            let page = try await logs.describeStreams(group: group, prefix: body["logStreamNamePrefix"] as? String,
                                                      orderBy: body["orderBy"] as? String, descending: (body["descending"] as? Bool) ?? false,
                                                      token: body["nextToken"] as? String, limit: body["limit"] as? Int)
            var answer: Object = ["logStreams": page.streams.map(describe)]
            answer["nextToken"] = page.nextToken
            return answer
        case "PutLogEvents":
            let events = ((body["logEvents"] as? [Object]) ?? []).map { event in
                (timestamp: (event["timestamp"] as? NSNumber)?.int64Value ?? 0, message: (event["message"] as? String) ?? "")
            }
            let rejected = try await logs.putEvents(group: groupName, stream: body["logStreamName"] as? String, events: events)
            var answer: Object = ["nextSequenceToken": LogsService.digits(logs.now, width: 56)]
            var info: Object = [:]
            info["tooNewLogEventStartIndex"] = rejected.tooNewStart
            info["tooOldLogEventEndIndex"] = rejected.tooOldEnd
            info["expiredLogEventEndIndex"] = rejected.expiredEnd
            if !info.isEmpty { answer["rejectedLogEventsInfo"] = info }
            return answer
        case "GetLogEvents":
            let group = try logs.groupName(name: groupName, identifier: body["logGroupIdentifier"] as? String)
            let page = try await logs.getEvents(group: group, stream: body["logStreamName"] as? String, start: int64(body["startTime"]),
                                                end: int64(body["endTime"]), token: body["nextToken"] as? String,
                                                limit: body["limit"] as? Int, startFromHead: body["startFromHead"] as? Bool)
            return ["events": page.events.map { ["timestamp": $0.timestamp, "message": $0.message, "ingestionTime": $0.ingestionTime] },
                    "nextForwardToken": page.forward, "nextBackwardToken": page.backward]
        case "FilterLogEvents":
            let group = try logs.groupName(name: groupName, identifier: body["logGroupIdentifier"] as? String)
            let page = try await logs.filterEvents(group: group, streams: body["logStreamNames"] as? [String],
                                                   streamPrefix: body["logStreamNamePrefix"] as? String, start: int64(body["startTime"]),
                                                   end: int64(body["endTime"]), pattern: body["filterPattern"] as? String,
                                                   token: body["nextToken"] as? String, limit: body["limit"] as? Int)
            var answer: Object = ["events": page.events.map { event -> Object in
                ["logStreamName": event.stream, "timestamp": event.timestamp, "message": event.message,
                 "ingestionTime": event.ingestionTime, "eventId": LogsService.digits(event.id, width: 56)]
            }, "searchedLogStreams": [Object]()]
            answer["nextToken"] = page.nextToken
            return answer
        default:
            throw LogsError(code: "UnknownOperationException", message: "")
        }
    }

    private func describe(_ group: LogGroupRecord, full: Bool) -> Object {
        let arn = logs.groupARN(group.name)
        var object: Object = ["logGroupName": group.name, "creationTime": group.creationTime, "metricFilterCount": 0,
                              "arn": arn + ":*", "logGroupArn": arn, "logGroupClass": group.logGroupClass]
        if full {
            object["storedBytes"] = 0
            object["deletionProtectionEnabled"] = false
        }
        object["retentionInDays"] = group.retentionInDays
        object["kmsKeyId"] = group.kmsKeyId
        return object
    }

    private func describe(_ stream: LogStreamRecord) -> Object {
        var object: Object = ["logStreamName": stream.name, "creationTime": stream.creationTime, "storedBytes": 0,
                              "arn": logs.groupARN(stream.group) + ":log-stream:" + stream.name]
        object["firstEventTimestamp"] = stream.firstEventTimestamp
        object["lastEventTimestamp"] = stream.lastEventTimestamp
        object["lastIngestionTime"] = stream.lastIngestionTime
        if let ingested = stream.lastIngestionTime { object["uploadSequenceToken"] = LogsService.digits(ingested, width: 56) }
        return object
    }

    private func int64(_ value: Any?) -> Int64? {
        (value as? NSNumber)?.int64Value
    }
}
