import Foundation
import LambentModel
import LambentStore

/// The EventBridge Scheduler API: schedules in groups, kept as JSON documents in the store
/// with the next time each fires, which `ScheduleRunner` polls by. Validation and messages
/// are AWS's where recorded (`Invalid Schedule Expression …`).
struct SchedulerService: Sendable {
    static let kind = "scheduler"
    static let defaultGroup = "default"

    let store: any Store
    let names: ResourceNames
    let clock: @Sendable () -> Date

    init(store: any Store, names: ResourceNames, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.names = names
        self.clock = clock
    }

    func scheduleARN(group: String, name: String) -> String {
        "arn:aws:scheduler:\(names.region):\(names.accountID):schedule/\(group)/\(name)"
    }

    func groupARN(_ name: String) -> String {
        "arn:aws:scheduler:\(names.region):\(names.accountID):schedule-group/\(name)"
    }

    // MARK: Schedules

    /// The request members of CreateSchedule and UpdateSchedule.
    struct Input {
        var expression: String?
        var timezone: String?
        var startDate: Double?
        var endDate: Double?
        var state: String?
        var description: String?
        var flexibleTimeWindow: FlexibleTimeWindow?
        var target: ScheduleTarget?
        var actionAfterCompletion: String?
        var kmsKeyArn: String?
        var group: String?
    }

    func create(name: String, _ input: Input) async throws(SchedulerError) -> String {
        try Self.checkName(name, what: "name")
        let group = input.group ?? Self.defaultGroup
        try await requireGroup(group)
        let now = clock().timeIntervalSince1970
        var schedule = try validated(name: name, group: group, input, creationDate: now)
        schedule.anchor = Int64((schedule.StartDate ?? now) * 1000)
        let next = try nextFire(of: schedule, after: Int64(now * 1000) - 1)
        let record = ScheduleRecord(kind: Self.kind, group: group, name: name, document: try encode(schedule), nextFire: next)
        guard try await storing({ try await store.insertSchedule(record) }) else {
            throw .conflict("Schedule \(name) already exists.")
        }
        return schedule.Arn
    }

    func update(name: String, _ input: Input) async throws(SchedulerError) -> String {
        let group = input.group ?? Self.defaultGroup
        guard let current = try await storing({ try await store.schedule(kind: Self.kind, group: group, name: name) }) else {
            throw .notFound("Schedule \(name) does not exist.")
        }
        let old = try decode(current.document)
        let now = clock().timeIntervalSince1970
        var schedule = try validated(name: name, group: group, input, creationDate: old.CreationDate)
        schedule.anchor = old.ScheduleExpression == schedule.ScheduleExpression && old.StartDate == schedule.StartDate
            ? old.anchor : Int64((schedule.StartDate ?? now) * 1000)
        let next = try nextFire(of: schedule, after: Int64(now * 1000) - 1)
        let document = try encode(schedule)
        _ = try await storing {
            try await store.updateSchedule(kind: Self.kind, group: group, name: name) { record in
                var record = record
                record.document = document
                record.nextFire = next
                return record
            }
        }
        return schedule.Arn
    }

    func get(name: String, group: String?) async throws(SchedulerError) -> SchedulerSchedule {
        let group = group ?? Self.defaultGroup
        guard let record = try await storing({ try await store.schedule(kind: Self.kind, group: group, name: name) }) else {
            throw .notFound("Schedule \(name) does not exist.")
        }
        return try decode(record.document)
    }

    func delete(name: String, group: String?) async throws(SchedulerError) {
        let group = group ?? Self.defaultGroup
        guard try await storing({ try await store.deleteSchedule(kind: Self.kind, group: group, name: name) }) else {
            throw .notFound("Schedule \(name) does not exist.")
        }
    }

    func list(group: String?, namePrefix: String?, state: String?, token: String?, maxResults: Int?) async throws(SchedulerError)
        -> (schedules: [SchedulerSchedule], next: String?) {
        let limit = maxResults ?? 100
        if let problem = ScheduleValidation.pageSizeProblem(limit, field: "maxResults") { throw .validation(problem) }
        // Pages of limit + 1 rows: the extra one says whether a token is due. A `State` filter
        // may skip rows, so pages are read until `limit` schedules are found or rows run out.
        var found: [SchedulerSchedule] = []
        var marker = ScheduleListToken.marker(token)
        while true {
            let page = try await storing {
                try await store.listSchedules(kind: Self.kind, group: group, namePrefix: namePrefix, after: marker, limit: limit + 1)
            }
            for (index, record) in page.prefix(limit).enumerated() {
                let schedule = try decode(record.document)
                if let state, schedule.State != state { continue }
                found.append(schedule)
                if found.count == limit {
                    return (found, index + 1 < page.count ? ScheduleListToken.token(after: record) : nil)
                }
            }
            guard page.count > limit, let last = page.prefix(limit).last else { return (found, nil) }
            marker = ScheduleListToken.marker(after: last)
        }
    }

    // MARK: Groups

    func createGroup(name: String, tags: [String: String]?) async throws(SchedulerError) -> String {
        try Self.checkName(name, what: "name")
        let now = clock().timeIntervalSince1970
        let group = ScheduleGroupDocument(Name: name, Arn: groupARN(name), State: "ACTIVE", CreationDate: now,
                                          LastModificationDate: now, Tags: tags)
        guard name != Self.defaultGroup,
              try await storing({ try await store.insertScheduleGroup(name: name, document: try encodeGroup(group)) }) else {
            throw .conflict("Schedule group \(name) already exists.")
        }
        return group.Arn
    }

    func group(_ name: String) async throws(SchedulerError) -> ScheduleGroupDocument {
        if name == Self.defaultGroup {
            return ScheduleGroupDocument(Name: name, Arn: groupARN(name), State: "ACTIVE", CreationDate: 0, LastModificationDate: 0)
        }
        guard let data = try await storing({ try await store.scheduleGroup(name) }) else {
            throw .notFound("Schedule group \(name) does not exist.")
        }
        do {
            return try JSONDecoder().decode(ScheduleGroupDocument.self, from: data)
        } catch {
            throw SchedulerError(code: "InternalServerException", message: "\(error)", status: 500)
        }
    }

    func listGroups(namePrefix: String?, token: String?, maxResults: Int?) async throws(SchedulerError)
        -> (groups: [ScheduleGroupDocument], next: String?) {
        let limit = maxResults ?? 100
        if let problem = ScheduleValidation.pageSizeProblem(limit, field: "maxResults") { throw .validation(problem) }
        var groups: [ScheduleGroupDocument] = []
        if token == nil, (namePrefix ?? "").isEmpty || Self.defaultGroup.hasPrefix(namePrefix ?? "") {
            groups.append(try await group(Self.defaultGroup))
        }
        let rows = try await storing { try await store.listScheduleGroups(namePrefix: namePrefix, after: token, limit: limit + 1) }
        for row in rows.prefix(limit - groups.count) {
            if let group = try? JSONDecoder().decode(ScheduleGroupDocument.self, from: row.document) { groups.append(group) }
        }
        let next = rows.count > limit - (token == nil ? 1 : 0) ? groups.last?.Name : nil
        return (groups, next)
    }

    func deleteGroup(_ name: String) async throws(SchedulerError) {
        if name == Self.defaultGroup { throw .validation("The default schedule group cannot be deleted.") }
        guard try await storing({ try await store.deleteScheduleGroup(name) }) else {
            throw .notFound("Schedule group \(name) does not exist.")
        }
    }

    // MARK: Tags (schedule groups carry them)

    func tags(of arn: String) async throws(SchedulerError) -> [String: String] {
        try await group(try groupName(arn)).Tags ?? [:]
    }

    func tag(_ arn: String, add: [String: String], remove: [String]) async throws(SchedulerError) {
        let name = try groupName(arn)
        if name == Self.defaultGroup { throw .validation("Tags cannot be set on the default schedule group.") }
        var group = try await group(name)
        var tags = group.Tags ?? [:]
        tags.merge(add) { _, new in new }
        for key in remove { tags[key] = nil }
        group.Tags = tags
        group.LastModificationDate = clock().timeIntervalSince1970
        _ = try await storing { try await store.updateScheduleGroup(name, document: try encodeGroup(group)) }
    }

    private func groupName(_ arn: String) throws(SchedulerError) -> String {
        let prefix = "arn:aws:scheduler:\(names.region):\(names.accountID):schedule-group/"
        guard arn.hasPrefix(prefix) else { throw .notFound("Resource \(arn) does not exist.") }
        return String(arn.dropFirst(prefix.count))
    }

    // MARK: Validation

    private func validated(name: String, group: String, _ input: Input, creationDate: Double) throws(SchedulerError) -> SchedulerSchedule {
        guard let expression = input.expression else { throw Self.missing("scheduleExpression") }
        guard let window = input.flexibleTimeWindow else { throw Self.missing("flexibleTimeWindow") }
        guard let target = input.target else { throw Self.missing("target") }
        guard (try? ScheduleExpression.parse(expression)) != nil else {
            throw .validation("Invalid Schedule Expression \(expression).")
        }
        do {
            _ = try ScheduleExpression.timeZone(named: input.timezone)
        } catch {
            throw .validation(error.message)
        }
        switch window.Mode {
        case "OFF":
            break
        case "FLEXIBLE":
            guard let minutes = window.MaximumWindowInMinutes, (1...1440).contains(minutes) else {
                throw .validation("MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.")
            }
        default:
            throw .validation("1 validation error detected: Value '\(window.Mode)' at 'flexibleTimeWindow.mode' failed to satisfy constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]")
        }
        let state = input.state ?? "ENABLED"
        guard ["ENABLED", "DISABLED"].contains(state) else {
            throw .validation("1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]")
        }
        if let action = input.actionAfterCompletion, !["NONE", "DELETE"].contains(action) {
            throw .validation("1 validation error detected: Value '\(action)' at 'actionAfterCompletion' failed to satisfy constraint: Member must satisfy enum value set: [NONE, DELETE]")
        }
        if let start = input.startDate, let end = input.endDate, end <= start {
            throw .validation("The provided start date \(start) is after the provided end date \(end).")
        }
        if let end = input.endDate, end <= clock().timeIntervalSince1970 {
            throw .validation("The provided end date is in the past.")
        }
        guard target.Arn.hasPrefix("arn:"), target.RoleArn.hasPrefix("arn:") else {
            throw .validation("Invalid target ARN \(target.Arn).")
        }
        if let retry = target.RetryPolicy {
            if let age = retry.MaximumEventAgeInSeconds, !(60...86_400).contains(age) {
                throw .validation("1 validation error detected: Value '\(age)' at 'target.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400")
            }
            if let attempts = retry.MaximumRetryAttempts, !(0...185).contains(attempts) {
                throw .validation("1 validation error detected: Value '\(attempts)' at 'target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185")
            }
        }
        let now = clock().timeIntervalSince1970
        return SchedulerSchedule(
            Name: name, GroupName: group, Arn: scheduleARN(group: group, name: name), ScheduleExpression: expression,
            ScheduleExpressionTimezone: input.timezone, StartDate: input.startDate, EndDate: input.endDate, State: state,
            Description: input.description, FlexibleTimeWindow: window,
            Target: ScheduleTarget(Arn: target.Arn, RoleArn: target.RoleArn, Input: target.Input,
                                   RetryPolicy: target.RetryPolicy ?? .init(MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185),
                                   DeadLetterConfig: target.DeadLetterConfig),
            ActionAfterCompletion: input.actionAfterCompletion ?? "NONE", KmsKeyArn: input.kmsKeyArn,
            CreationDate: creationDate, LastModificationDate: now, anchor: nil)
    }

    /// When `schedule` fires next after `after` (epoch milliseconds); nil when disabled or done.
    func nextFire(of schedule: SchedulerSchedule, after: Int64) throws(SchedulerError) -> Int64? {
        guard schedule.State == "ENABLED" else { return nil }
        return ScheduleTiming.next(expression: schedule.ScheduleExpression, timezone: schedule.ScheduleExpressionTimezone,
                                   start: schedule.StartDate.map { Int64($0 * 1000) }, end: schedule.EndDate.map { Int64($0 * 1000) },
                                   anchor: schedule.anchor, after: after)
    }

    private func requireGroup(_ group: String) async throws(SchedulerError) {
        _ = try await self.group(group)
    }

    static func checkName(_ name: String, what: String) throws(SchedulerError) {
        if let problem = ScheduleValidation.nameProblem(name, member: what, pattern: "^[0-9a-zA-Z-_.]+$") { throw .validation(problem) }
    }

    static func missing(_ member: String) -> SchedulerError { .validation(ScheduleValidation.missing(member)) }

    func encode(_ schedule: SchedulerSchedule) throws(SchedulerError) -> Data {
        do { return try JSONEncoder().encode(schedule) } catch { throw SchedulerError(code: "InternalServerException", message: "\(error)", status: 500) }
    }

    func decode(_ data: Data) throws(SchedulerError) -> SchedulerSchedule {
        do { return try JSONDecoder().decode(SchedulerSchedule.self, from: data) } catch {
            throw SchedulerError(code: "InternalServerException", message: "a stored schedule could not be read: \(error)", status: 500)
        }
    }

    private func encodeGroup(_ group: ScheduleGroupDocument) throws -> Data { try JSONEncoder().encode(group) }

    /// Runs a store call; its failures are the service's 500.
    private func storing<T>(_ body: () async throws -> T) async throws(SchedulerError) -> T {
        do {
            return try await body()
        } catch let error as SchedulerError {
            throw error
        } catch {
            throw SchedulerError(code: "InternalServerException", message: "\(error)", status: 500)
        }
    }
}
