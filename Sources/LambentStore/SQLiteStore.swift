import Foundation
import GRDB
import LambentModel

/// The embedded store: one SQLite database in WAL mode (GRDB's `DatabasePool`), so that
/// readers never wait for the writer. Function records are kept as JSON next to the
/// columns queries need.
public final class SQLiteStore: Store {
    private let pool: DatabasePool
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "function") { table in
                table.primaryKey("name", .text)
                table.column("codeKey", .text).notNull().indexed()
                table.column("codeSize", .integer).notNull()
                table.column("record", .blob).notNull()
            }
            try db.create(table: "logEvent") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("logGroup", .text).notNull()
                table.column("stream", .text).notNull()
                table.column("timestamp", .integer).notNull()
                table.column("message", .text).notNull()
            }
            try db.create(index: "logEventByGroup", on: "logEvent", columns: ["logGroup", "id"])
        }
        return migrator
    }

    private static func encode(_ record: FunctionRecord) throws -> Data { try encoder.encode(record) }
    private static func decode(_ data: Data) throws -> FunctionRecord { try JSONDecoder().decode(FunctionRecord.self, from: data) }

    public func insertFunction(_ record: FunctionRecord) async throws -> Bool {
        let data = try Self.encode(record)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO function (name, codeKey, codeSize, record) VALUES (?, ?, ?, ?)",
                arguments: [record.name, record.codeKey, record.configuration.codeSize, data])
            return db.changesCount == 1
        }
    }

    public func function(named name: String) async throws -> FunctionRecord? {
        let data = try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT record FROM function WHERE name = ?", arguments: [name])
        }
        return try data.map(Self.decode)
    }

    public func updateFunction(
        named name: String, _ change: @Sendable (FunctionRecord) throws -> FunctionRecord
    ) async throws -> FunctionRecord? {
        try await pool.write { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT record FROM function WHERE name = ?", arguments: [name]) else {
                return nil
            }
            let updated = try change(Self.decode(data))
            try db.execute(
                sql: "UPDATE function SET codeKey = ?, codeSize = ?, record = ? WHERE name = ?",
                arguments: [updated.codeKey, updated.configuration.codeSize, Self.encode(updated), name])
            return updated
        }
    }

    public func deleteFunction(named name: String) async throws -> FunctionRecord? {
        try await pool.write { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT record FROM function WHERE name = ?", arguments: [name]) else {
                return nil
            }
            try db.execute(sql: "DELETE FROM function WHERE name = ?", arguments: [name])
            return try Self.decode(data)
        }
    }

    public func listFunctions(after marker: String?, limit: Int) async throws -> [FunctionRecord] {
        let rows = try await pool.read { db in
            try Data.fetchAll(
                db, sql: "SELECT record FROM function WHERE name > ? ORDER BY name LIMIT ?",
                arguments: [marker ?? "", limit])
        }
        return try rows.map(Self.decode)
    }

    public func usage() async throws -> (functionCount: Int, totalCodeSize: Int) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(codeSize), 0) FROM function")
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    public func isCodeReferenced(_ codeKey: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM function WHERE codeKey = ?)", arguments: [codeKey]) ?? false
        }
    }

    public func appendLogEvents(_ events: [FunctionLogEvent]) async throws {
        guard !events.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO logEvent (logGroup, stream, timestamp, message) VALUES (?, ?, ?, ?)")
            for event in events {
                try statement.execute(arguments: [event.group, event.stream, event.timestamp, event.message])
            }
        }
    }

    public func logEvents(group: String, afterID: Int64, limit: Int) async throws -> [FunctionLogEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, stream, timestamp, message FROM logEvent WHERE logGroup = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [group, afterID, limit]
            ).map { row in
                FunctionLogEvent(id: row[0], group: group, stream: row[1], timestamp: row[2], message: row[3])
            }
        }
    }

    public func deleteLogGroup(_ group: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM logEvent WHERE logGroup = ?", arguments: [group])
        }
    }
}
