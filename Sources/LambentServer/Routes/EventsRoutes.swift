import Foundation
import Hummingbird
import LambentModel
import NIOCore

/// The EventBridge JSON 1.1 protocol (`X-Amz-Target: AWSEvents.<Operation>`, signed for
/// service `events`), for rules that run on a schedule and their targets.
struct EventsRoutes {
    let rules: RulesService

    typealias Object = [String: Any]

    func dispatch(_ request: Request, target: String) async throws -> Response {
        do {
            guard target.hasPrefix("AWSEvents.") else { throw EventsError(code: "UnknownOperationException", message: "") }
            let buffer = try await request.body.collect(upTo: BodyLimits.maximum)
            let data = Data(buffer.readableBytesView)
            let parsed = data.isEmpty ? [:] : try? JSONSerialization.jsonObject(with: data)
            guard let body = parsed as? Object else {
                throw EventsError(code: "SerializationException", message: "Start of structure or map found where not expected.")
            }
            let answer = try await perform(String(target.dropFirst("AWSEvents.".count)), body)
            let json = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.1"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as EventsError {
            return error.response
        }
    }

    private func perform(_ operation: String, _ body: Object) async throws(EventsError) -> Object {
        let name = (body["Name"] ?? body["Rule"]) as? String
        let bus = body["EventBusName"] as? String
        switch operation {
        case "PutRule":
            let tags = (body["Tags"] as? [[String: Any]])?.reduce(into: [String: String]()) { tags, entry in
                if let key = entry["Key"] as? String, let value = entry["Value"] as? String { tags[key] = value }
            }
            let arn = try await rules.put(RulesService.PutRule(
                name: name, scheduleExpression: body["ScheduleExpression"] as? String, eventPattern: body["EventPattern"] as? String,
                state: body["State"] as? String, description: body["Description"] as? String, roleArn: body["RoleArn"] as? String,
                bus: bus, tags: tags))
            return ["RuleArn": arn]
        case "DescribeRule":
            return Self.describe(try await rules.describe(name: name, bus: bus), full: true)
        case "ListRules":
            let page = try await rules.list(prefix: body["NamePrefix"] as? String, bus: bus, token: body["NextToken"] as? String,
                                            limit: body["Limit"] as? Int)
            var answer: Object = ["Rules": page.rules.map { Self.describe($0, full: false) }]
            answer["NextToken"] = page.next
            return answer
        case "EnableRule", "DisableRule":
            try await rules.setState(name: name, bus: bus, enabled: operation == "EnableRule")
            return [:]
        case "DeleteRule":
            try await rules.delete(name: name, bus: bus, force: body["Force"] as? Bool ?? false)
            return [:]
        case "PutTargets":
            guard let list = body["Targets"] as? [[String: Any]], !list.isEmpty else { throw RulesService.missing("targets") }
            let targets = list.map { entry in
                RuleTarget(Id: entry["Id"] as? String ?? "", Arn: entry["Arn"] as? String ?? "", Input: entry["Input"] as? String,
                           InputPath: entry["InputPath"] as? String, RoleArn: entry["RoleArn"] as? String)
            }
            let failed = try await rules.putTargets(rule: name, bus: bus, targets: targets)
            return ["FailedEntryCount": failed.count, "FailedEntries": failed]
        case "RemoveTargets":
            let failed = try await rules.removeTargets(rule: name, bus: bus, ids: body["Ids"] as? [String] ?? [])
            return ["FailedEntryCount": failed.count, "FailedEntries": failed]
        case "ListTargetsByRule":
            let rule = try await rules.describe(name: name, bus: bus)
            return ["Targets": rule.Targets.map { target -> Object in
                var entry: Object = ["Id": target.Id, "Arn": target.Arn]
                entry["Input"] = target.Input
                entry["InputPath"] = target.InputPath
                entry["RoleArn"] = target.RoleArn
                return entry
            }]
        default:
            throw EventsError(code: "UnknownOperationException", message: "Lambent's EventBridge has scheduled rules only; \(operation) is not supported.")
        }
    }

    /// A rule as DescribeRule (`full`) or ListRules answers it.
    static func describe(_ rule: EventRule, full: Bool) -> Object {
        var answer: Object = ["Name": rule.Name, "Arn": rule.Arn, "EventBusName": rule.EventBusName, "State": rule.State]
        answer["ScheduleExpression"] = rule.ScheduleExpression
        answer["EventPattern"] = rule.EventPattern
        answer["Description"] = rule.Description
        answer["RoleArn"] = rule.RoleArn
        if full { answer["CreatedBy"] = rule.CreatedBy }
        return answer
    }
}
