import Foundation
import GRDB

extension SQLiteStore {
    static func createScheduleTables(_ db: Database) throws {
        try db.create(table: "schedule") { table in
            table.column("kind", .text).notNull()
            table.column("groupName", .text).notNull()
            table.column("name", .text).notNull()
            table.column("document", .blob).notNull()
            table.column("nextFire", .integer)
            table.primaryKey(["kind", "groupName", "name"])
        }
        try db.create(index: "scheduleByNextFire", on: "schedule", columns: ["nextFire"], condition: Column("nextFire") != nil)
        try db.create(table: "scheduleGroup") { table in
            table.primaryKey("name", .text)
            table.column("document", .blob).notNull()
        }
    }

    private static func record(_ row: Row) -> ScheduleRecord {
        ScheduleRecord(kind: row["kind"], group: row["groupName"], name: row["name"], document: row["document"], nextFire: row["nextFire"])
    }

    private static let columns = "kind, groupName, name, document, nextFire"

    public func insertSchedule(_ record: ScheduleRecord) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO schedule (\(Self.columns)) VALUES (?, ?, ?, ?, ?)",
                           arguments: [record.kind, record.group, record.name, record.document, record.nextFire])
            return db.changesCount == 1
        }
    }

    public func schedule(kind: String, group: String, name: String) async throws -> ScheduleRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM schedule WHERE kind = ? AND groupName = ? AND name = ?",
                             arguments: [kind, group, name]).map(Self.record)
        }
    }

    public func updateSchedule(kind: String, group: String, name: String,
                               _ change: @Sendable (ScheduleRecord) throws -> ScheduleRecord) async throws -> ScheduleRecord? {
        try await pool.write { db in
            guard let current = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM schedule WHERE kind = ? AND groupName = ? AND name = ?",
                                                 arguments: [kind, group, name]).map(Self.record) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE schedule SET document = ?, nextFire = ? WHERE kind = ? AND groupName = ? AND name = ?",
                           arguments: [updated.document, updated.nextFire, kind, group, name])
            return updated
        }
    }

    public func deleteSchedule(kind: String, group: String, name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM schedule WHERE kind = ? AND groupName = ? AND name = ?", arguments: [kind, group, name])
            return db.changesCount == 1
        }
    }

    public func listSchedules(kind: String, group: String?, namePrefix: String?, after marker: String?,
                              limit: Int) async throws -> [ScheduleRecord] {
        try await pool.read { db in
            // The marker is "group\u{0}name": rows sort by group, then name.
            let parts = (marker ?? "").split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let afterGroup = parts.first ?? "", afterName = parts.count > 1 ? parts[1] : ""
            var sql = "SELECT \(Self.columns) FROM schedule WHERE kind = ? AND (groupName > ? OR (groupName = ? AND name > ?))"
            var arguments: StatementArguments = [kind, afterGroup, afterGroup, afterName]
            if let group {
                sql += " AND groupName = ?"
                arguments += [group]
            }
            if let namePrefix, !namePrefix.isEmpty {
                sql += " AND substr(name, 1, ?) = ?"
                arguments += [namePrefix.count, namePrefix]
            }
            sql += " ORDER BY groupName, name LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.record)
        }
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM schedule WHERE nextFire IS NOT NULL AND nextFire <= ? ORDER BY nextFire LIMIT ?",
                             arguments: [now, limit]).map(Self.record)
        }
    }

    public func nextScheduleFire() async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(nextFire) FROM schedule WHERE nextFire IS NOT NULL")
        }
    }

    public func advanceSchedule(kind: String, group: String, name: String, from expected: Int64, to next: Int64?,
                                document: Data?) async throws -> Bool {
        try await pool.write { db in
            if let document {
                try db.execute(sql: "UPDATE schedule SET nextFire = ?, document = ? WHERE kind = ? AND groupName = ? AND name = ? AND nextFire = ?",
                               arguments: [next, document, kind, group, name, expected])
            } else {
                try db.execute(sql: "UPDATE schedule SET nextFire = ? WHERE kind = ? AND groupName = ? AND name = ? AND nextFire = ?",
                               arguments: [next, kind, group, name, expected])
            }
            return db.changesCount == 1
        }
    }

    public func insertScheduleGroup(name: String, document: Data) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO scheduleGroup (name, document) VALUES (?, ?)", arguments: [name, document])
            return db.changesCount == 1
        }
    }

    public func scheduleGroup(_ name: String) async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT document FROM scheduleGroup WHERE name = ?", arguments: [name]) }
    }

    public func listScheduleGroups(namePrefix: String?, after marker: String?, limit: Int) async throws -> [(name: String, document: Data)] {
        try await pool.read { db in
            var sql = "SELECT name, document FROM scheduleGroup WHERE name > ?"
            var arguments: StatementArguments = [marker ?? ""]
            if let namePrefix, !namePrefix.isEmpty {
                sql += " AND substr(name, 1, ?) = ?"
                arguments += [namePrefix.count, namePrefix]
            }
            sql += " ORDER BY name LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { (name: $0[0], document: $0[1]) }
        }
    }

    public func updateScheduleGroup(_ name: String, document: Data) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE scheduleGroup SET document = ? WHERE name = ?", arguments: [document, name])
            return db.changesCount == 1
        }
    }

    public func deleteScheduleGroup(_ name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM schedule WHERE kind = 'scheduler' AND groupName = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM scheduleGroup WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }
}
