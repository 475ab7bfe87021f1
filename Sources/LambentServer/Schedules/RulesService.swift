import Foundation
import LambentModel
import LambentStore

/// The EventBridge rules API, for rules that run on a schedule (`ScheduleExpression`): rules
/// per event bus with their targets, in the same store rows as schedules (kind `rule`).
/// Rules with only an `EventPattern` are kept and listed, but nothing here emits events for
/// them to match.
struct RulesService: Sendable {
    static let kind = "rule"
    static let defaultBus = "default"

    let store: any Store
    let names: ResourceNames
    let clock: @Sendable () -> Date

    init(store: any Store, names: ResourceNames, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.names = names
        self.clock = clock
    }

    func ruleARN(bus: String, name: String) -> String {
        let base = "arn:aws:events:\(names.region):\(names.accountID):rule/"
        return bus == Self.defaultBus ? base + name : base + "\(bus)/\(name)"
    }

    struct PutRule {
        var name: String?
        var scheduleExpression: String?
        var eventPattern: String?
        var state: String?
        var description: String?
        var roleArn: String?
        var bus: String?
        var tags: [String: String]?
    }

    func put(_ request: PutRule) async throws(EventsError) -> String {
        guard let name = request.name else { throw Self.missing("name") }
        try Self.checkName(name)
        let bus = Self.busName(request.bus)
        guard bus == Self.defaultBus else {
            throw EventsError(code: "ResourceNotFoundException", message: "Event bus \(bus) does not exist.")
        }
        guard request.scheduleExpression != nil || request.eventPattern != nil else {
            throw .validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        }
        if let expression = request.scheduleExpression, (try? ScheduleExpression.parse(expression, for: .events)) == nil {
            throw .validation("Parameter ScheduleExpression is not valid.")
        }
        if let pattern = request.eventPattern, let problem = EventPattern.problem(in: pattern) {
            throw EventsError(code: "InvalidEventPatternException", message: "Event pattern is not valid. Reason: \(problem)")
        }
        let state = request.state ?? "ENABLED"
        guard ["ENABLED", "DISABLED"].contains(state) else {
            throw .validation("1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]")
        }
        let now = Int64(clock().timeIntervalSince1970 * 1000)
        let arn = ruleARN(bus: bus, name: name)
        let existing = try await storing { try await store.schedule(kind: Self.kind, group: bus, name: name) }
        var rule = EventRule(Name: name, Arn: arn, EventBusName: bus, State: state, CreatedBy: names.accountID, Targets: [])
        if let existing { rule = try decode(existing.document) }
        if rule.ScheduleExpression != request.scheduleExpression || existing == nil { rule.anchor = now }
        rule.ScheduleExpression = request.scheduleExpression
        rule.EventPattern = request.eventPattern
        rule.State = state
        rule.Description = request.description
        rule.RoleArn = request.roleArn
        if let tags = request.tags { rule.Tags = (rule.Tags ?? [:]).merging(tags) { _, new in new } }
        try await save(rule, now: now, insert: existing == nil)
        return arn
    }

    func describe(name: String?, bus: String?) async throws(EventsError) -> EventRule {
        guard let name else { throw Self.missing("name") }
        let bus = Self.busName(bus)
        guard let record = try await storing({ try await store.schedule(kind: Self.kind, group: bus, name: name) }) else {
            throw .ruleNotFound(name, bus: bus)
        }
        return try decode(record.document)
    }

    func list(prefix: String?, bus: String?, token: String?, limit: Int?) async throws(EventsError) -> (rules: [EventRule], next: String?) {
        let limit = limit ?? 100
        if let problem = ScheduleValidation.pageSizeProblem(limit, field: "limit") { throw .validation(problem) }
        let records = try await storing {
            try await store.listSchedules(kind: Self.kind, group: Self.busName(bus), namePrefix: prefix,
                                          after: ScheduleListToken.marker(token),
                                          limit: limit + 1)
        }
        let rules = try records.prefix(limit).map { record throws(EventsError) in try decode(record.document) }
        let next = records.count > limit ? records.prefix(limit).last.map(ScheduleListToken.token(after:)) : nil
        return (rules, next)
    }

    func setState(name: String?, bus: String?, enabled: Bool) async throws(EventsError) {
        var rule = try await describe(name: name, bus: bus)
        rule.State = enabled ? "ENABLED" : "DISABLED"
        try await save(rule, now: Int64(clock().timeIntervalSince1970 * 1000), insert: false)
    }

    func delete(name: String?, bus: String?, force: Bool) async throws(EventsError) {
        guard let name else { throw Self.missing("name") }
        let bus = Self.busName(bus)
        if let record = try await storing({ try await store.schedule(kind: Self.kind, group: bus, name: name) }) {
            let rule = try decode(record.document)
            if !rule.Targets.isEmpty && !force {
                throw .validation("Rule can't be deleted since it has targets.")
            }
            _ = try await storing { try await store.deleteSchedule(kind: Self.kind, group: bus, name: name) }
        }
    }

    /// PutTargets: adds or replaces targets by id; answers the entries it could not take.
    func putTargets(rule name: String?, bus: String?, targets: [RuleTarget]) async throws(EventsError) -> [[String: Any]] {
        for (index, target) in targets.enumerated() {
            let field = "Value '\(target.Id)' at 'targets.\(index + 1).member.id' failed to satisfy constraint"
            guard target.Id.utf8.count <= 64 else {
                throw .validation("1 validation error detected: \(field): Member must have length less than or equal to 64")
            }
            guard !target.Id.isEmpty, target.Id.utf8.allSatisfy({ Self.targetIDBytes.contains($0) }) else {
                throw .validation(#"1 validation error detected: \#(field): Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"#)
            }
        }
        var rule = try await describe(name: name, bus: bus)
        var failed: [[String: Any]] = []
        for target in targets {
            guard Self.isDeliverable(target.Arn) else {
                failed.append(["TargetId": target.Id, "ErrorCode": "ValidationException",
                               "ErrorMessage": "Lambent delivers scheduled rules to Lambda functions and SQS queues only; \(target.Arn) is not one."])
                continue
            }
            rule.Targets.removeAll { $0.Id == target.Id }
            rule.Targets.append(target)
        }
        guard rule.Targets.count <= 5 else {
            throw EventsError(code: "LimitExceededException", message: "The requested resource exceeds the maximum number allowed.")
        }
        try await save(rule, now: Int64(clock().timeIntervalSince1970 * 1000), insert: false)
        return failed
    }

    func removeTargets(rule name: String?, bus: String?, ids: [String]) async throws(EventsError) -> [[String: Any]] {
        var rule = try await describe(name: name, bus: bus)
        var failed: [[String: Any]] = []
        for id in ids where !rule.Targets.contains(where: { $0.Id == id }) {
            failed.append(["TargetId": id, "ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Target \(id) does not exist."])
        }
        rule.Targets.removeAll { ids.contains($0.Id) }
        try await save(rule, now: Int64(clock().timeIntervalSince1970 * 1000), insert: false)
        return failed
    }

    /// When a rule fires next after `after`: only enabled scheduled rules with targets fire.
    func nextFire(of rule: EventRule, after: Int64) -> Int64? {
        guard rule.State == "ENABLED", let expression = rule.ScheduleExpression, !rule.Targets.isEmpty else { return nil }
        return ScheduleTiming.next(expression: expression, timezone: nil, start: nil, end: nil, anchor: rule.anchor, after: after,
                                   service: .events)
    }

    private func save(_ rule: EventRule, now: Int64, insert: Bool) async throws(EventsError) {
        let document = try encode(rule)
        let next = nextFire(of: rule, after: now)
        if insert {
            let record = ScheduleRecord(kind: Self.kind, group: rule.EventBusName, name: rule.Name, document: document, nextFire: next)
            if try await storing({ try await store.insertSchedule(record) }) { return }
        }
        _ = try await storing {
            try await store.updateSchedule(kind: Self.kind, group: rule.EventBusName, name: rule.Name) { record in
                var record = record
                record.document = document
                record.nextFire = next
                return record
            }
        }
    }

    /// `[\.\-_A-Za-z0-9]`: the bytes of a target's id.
    static let targetIDBytes = Set(".-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func busName(_ bus: String?) -> String {
        guard let bus, !bus.isEmpty else { return defaultBus }
        // An event bus ARN names the bus after its last slash.
        return bus.hasPrefix("arn:") ? String(bus.split(separator: "/").last ?? "") : bus
    }

    static func isDeliverable(_ arn: String) -> Bool {
        arn.hasPrefix("arn:aws:lambda:") || arn.hasPrefix("arn:aws:sqs:")
    }

    static func checkName(_ name: String) throws(EventsError) {
        if let problem = ScheduleValidation.nameProblem(name, member: "name", pattern: "[\\.\\-_A-Za-z0-9]+") { throw .validation(problem) }
    }

    static func missing(_ member: String) -> EventsError { .validation(ScheduleValidation.missing(member)) }

    func encode(_ rule: EventRule) throws(EventsError) -> Data {
        do { return try JSONEncoder().encode(rule) } catch { throw EventsError(code: "InternalException", message: "\(error)", status: 500) }
    }

    func decode(_ data: Data) throws(EventsError) -> EventRule {
        do { return try JSONDecoder().decode(EventRule.self, from: data) } catch {
            throw EventsError(code: "InternalException", message: "a stored rule could not be read: \(error)", status: 500)
        }
    }

    private func storing<T>(_ body: () async throws -> T) async throws(EventsError) -> T {
        do {
            return try await body()
        } catch let error as EventsError {
            throw error
        } catch {
            throw EventsError(code: "InternalException", message: "\(error)", status: 500)
        }
    }
}
