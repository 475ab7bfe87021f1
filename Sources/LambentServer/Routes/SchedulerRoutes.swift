import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import NIOCore

/// The EventBridge Scheduler REST-JSON API (`/schedules`, `/schedule-groups`, `/tags`),
/// signed for service `scheduler`: each handler reads the members, calls `SchedulerService`
/// and writes AWS's members (dates as epoch seconds).
struct SchedulerRoutes {
    let scheduler: SchedulerService

    typealias Object = [String: Any]

    func register(on router: Router<LambentRequestContext>) {
        router.post("/schedules/:name", use: { try await handle($0, $1, create) })
        router.put("/schedules/:name", use: { try await handle($0, $1, update) })
        router.get("/schedules/:name", use: { try await handle($0, $1, get) })
        router.delete("/schedules/:name", use: { try await handle($0, $1, delete) })
        router.get("/schedules", use: { try await handle($0, $1, list) })
        router.post("/schedule-groups/:name", use: { try await handle($0, $1, createGroup) })
        router.get("/schedule-groups/:name", use: { try await handle($0, $1, getGroup) })
        router.delete("/schedule-groups/:name", use: { try await handle($0, $1, deleteGroup) })
        router.get("/schedule-groups", use: { try await handle($0, $1, listGroups) })
        router.get("/tags/:arn", use: { try await handle($0, $1, listTags) })
        router.post("/tags/:arn", use: { try await handle($0, $1, tag) })
        router.delete("/tags/:arn", use: { try await handle($0, $1, untag) })
    }

    /// Runs an operation and writes its answer, or its error as the Scheduler writes errors.
    private func handle(_ request: Request, _ context: LambentRequestContext,
                        _ operation: (Request, LambentRequestContext, Object) async throws(SchedulerError) -> Object) async throws -> Response {
        do {
            var body: Object = [:]
            if request.method == .post || request.method == .put {
                let buffer = try await request.body.collect(upTo: BodyLimits.maximum)
                if buffer.readableBytes > 0 {
                    guard let parsed = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? Object else {
                        throw SchedulerError.validation("The request body is not a JSON object.")
                    }
                    body = parsed
                }
            }
            let answer = try await operation(request, context, body)
            let json = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as SchedulerError {
            return error.response
        }
    }

    private func name(_ context: LambentRequestContext) -> String {
        context.parameters.get("name") ?? ""
    }

    private func input(_ body: Object) throws(SchedulerError) -> SchedulerService.Input {
        func decoded<T: Decodable>(_ type: T.Type, _ key: String) throws(SchedulerError) -> T? {
            guard let value = body[key] else { return nil }
            // A string, number or null where a structure belongs; JSONSerialization traps on
            // anything but an object or an array at the top.
            guard JSONSerialization.isValidJSONObject(value) else { throw .validation("The member \(key) is not valid.") }
            do {
                return try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: value))
            } catch {
                throw .validation("The member \(key) is not valid.")
            }
        }
        return SchedulerService.Input(
            expression: body["ScheduleExpression"] as? String, timezone: body["ScheduleExpressionTimezone"] as? String,
            startDate: (body["StartDate"] as? NSNumber)?.doubleValue, endDate: (body["EndDate"] as? NSNumber)?.doubleValue,
            state: body["State"] as? String, description: body["Description"] as? String,
            flexibleTimeWindow: try decoded(FlexibleTimeWindow.self, "FlexibleTimeWindow"), target: try decoded(ScheduleTarget.self, "Target"),
            actionAfterCompletion: body["ActionAfterCompletion"] as? String, kmsKeyArn: body["KmsKeyArn"] as? String,
            group: body["GroupName"] as? String)
    }

    private func create(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        ["ScheduleArn": try await scheduler.create(name: name(context), try input(body))]
    }

    private func update(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        ["ScheduleArn": try await scheduler.update(name: name(context), try input(body))]
    }

    private func get(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        let schedule = try await scheduler.get(name: name(context), group: request.uri.queryParameters.get("groupName"))
        return Self.wire(schedule)
    }

    private func delete(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        try await scheduler.delete(name: name(context), group: request.uri.queryParameters.get("groupName"))
        return [:]
    }

    private func list(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        let query = request.uri.queryParameters
        let page = try await scheduler.list(group: query.get("ScheduleGroup"), namePrefix: query.get("NamePrefix"), state: query.get("State"),
                                            token: query.get("NextToken"), maxResults: query.get("MaxResults").flatMap { Int($0) })
        var answer: Object = ["Schedules": page.schedules.map(\.summary)]
        answer["NextToken"] = page.next
        return answer
    }

    private func createGroup(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        ["ScheduleGroupArn": try await scheduler.createGroup(name: name(context), tags: Self.tags(body["Tags"]))]
    }

    private func getGroup(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        Self.wire(try await scheduler.group(name(context)))
    }

    private func deleteGroup(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        try await scheduler.deleteGroup(name(context))
        return [:]
    }

    private func listGroups(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        let query = request.uri.queryParameters
        let page = try await scheduler.listGroups(namePrefix: query.get("NamePrefix"), token: query.get("NextToken"),
                                                  maxResults: query.get("MaxResults").flatMap { Int($0) })
        var answer: Object = ["ScheduleGroups": page.groups.map(Self.wire)]
        answer["NextToken"] = page.next
        return answer
    }

    private func arn(_ context: LambentRequestContext) -> String {
        (context.parameters.get("arn") ?? "").removingPercentEncoding ?? ""
    }

    private func listTags(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        ["Tags": try await scheduler.tags(of: arn(context)).sorted { $0.key < $1.key }.map { ["Key": $0.key, "Value": $0.value] }]
    }

    private func tag(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        try await scheduler.tag(arn(context), add: Self.tags(body["Tags"]) ?? [:], remove: [])
        return [:]
    }

    private func untag(_ request: Request, _ context: LambentRequestContext, _ body: Object) async throws(SchedulerError) -> Object {
        let keys = request.uri.queryParameters.getAll("TagKeys").map { String($0) }
        try await scheduler.tag(arn(context), add: [:], remove: keys)
        return [:]
    }

    /// Scheduler's tags are a list of `{Key, Value}`.
    static func tags(_ value: Any?) -> [String: String]? {
        guard let list = value as? [[String: Any]] else { return nil }
        var tags: [String: String] = [:]
        for entry in list {
            if let key = entry["Key"] as? String, let value = entry["Value"] as? String { tags[key] = value }
        }
        return tags
    }

    static func wire<T: Encodable>(_ value: T) -> Object {
        guard let data = try? JSONEncoder().encode(value), var object = try? JSONSerialization.jsonObject(with: data) as? Object else {
            return [:]
        }
        object["anchor"] = nil
        object["Tags"] = nil
        return object
    }
}
