import Foundation

/// Timed triggers: EventBridge Scheduler schedules (kind `scheduler`, grouped by schedule
/// group) and EventBridge rules with a `ScheduleExpression` (kind `rule`, grouped by event
/// bus). Each row is its service's JSON document and the next time it fires (epoch
/// milliseconds; nil when disabled or done), which the runner polls by.
public protocol ScheduleStore: Sendable {
    /// Inserts a row; false when one of that kind, group and name exists.
    func insertSchedule(_ record: ScheduleRecord) async throws -> Bool
    func schedule(kind: String, group: String, name: String) async throws -> ScheduleRecord?
    /// Changes a row in one transaction; nil when there is none. `change` may throw to refuse.
    func updateSchedule(kind: String, group: String, name: String,
                        _ change: @Sendable (ScheduleRecord) throws -> ScheduleRecord) async throws -> ScheduleRecord?
    /// Deletes a row; false when there was none.
    func deleteSchedule(kind: String, group: String, name: String) async throws -> Bool
    /// Rows of a kind, in a group when given, by (group, name) after `marker`, at most `limit`.
    func listSchedules(kind: String, group: String?, namePrefix: String?, after marker: String?, limit: Int) async throws -> [ScheduleRecord]
    /// Rows due at `now` (nextFire ≤ now), earliest first, at most `limit`.
    func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord]
    /// The earliest nextFire of any row, nil when nothing is scheduled.
    func nextScheduleFire() async throws -> Int64?
    /// Moves a row's nextFire from `expected` to `next`; false (and nothing changed) when the
    /// row is gone or was changed meanwhile, so a firing never undoes an update.
    func advanceSchedule(kind: String, group: String, name: String, from expected: Int64, to next: Int64?,
                         document: Data?) async throws -> Bool

    /// Schedule groups (Scheduler's `default` exists without a row).
    func insertScheduleGroup(name: String, document: Data) async throws -> Bool
    func scheduleGroup(_ name: String) async throws -> Data?
    func listScheduleGroups(namePrefix: String?, after marker: String?, limit: Int) async throws -> [(name: String, document: Data)]
    func updateScheduleGroup(_ name: String, document: Data) async throws -> Bool
    /// Deletes a group and its schedules; false when there was none.
    func deleteScheduleGroup(_ name: String) async throws -> Bool
}

/// One schedule or scheduled rule.
public struct ScheduleRecord: Sendable, Equatable {
    public var kind: String
    public var group: String
    public var name: String
    public var document: Data
    public var nextFire: Int64?

    public init(kind: String, group: String, name: String, document: Data, nextFire: Int64?) {
        self.kind = kind
        self.group = group
        self.name = name
        self.document = document
        self.nextFire = nextFire
    }
}
