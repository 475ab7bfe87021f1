import Foundation
import GRDB

/// CloudWatch Logs' tables: `logGroup` (name, the record as JSON), `logStream` (one row per
/// stream with its event times) and `logEvent` (one row per event; `id` orders ingestion).
extension SQLiteStore {
    static func createLogTables(_ db: Database) throws {
        try db.create(table: "logGroup") { table in
            table.primaryKey("name", .text)
            table.column("document", .blob).notNull()
        }
        try db.create(table: "logStream") { table in
            table.column("logGroup", .text).notNull()
            table.column("name", .text).notNull()
            table.column("creationTime", .integer).notNull()
            table.column("firstEventTimestamp", .integer)
            table.column("lastEventTimestamp", .integer)
            table.column("lastIngestionTime", .integer)
            table.primaryKey(["logGroup", "name"])
        }
        try db.alter(table: "logEvent") { table in
            table.add(column: "ingestionTime", .integer).notNull().defaults(to: 0)
        }
        try db.create(index: "logEventByTime", on: "logEvent", columns: ["logGroup", "timestamp", "id"])
        // Events written before groups and streams were kept: their groups and streams now exist.
        try db.execute(sql: "UPDATE logEvent SET ingestionTime = timestamp")
        try db.execute(sql: """
            INSERT INTO logStream (logGroup, name, creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime)
            SELECT logGroup, stream, MIN(timestamp), MIN(timestamp), MAX(timestamp), MAX(timestamp) FROM logEvent GROUP BY logGroup, stream
            """)
        for row in try Row.fetchAll(db, sql: "SELECT logGroup, MIN(timestamp) FROM logEvent GROUP BY logGroup") {
            let group = LogGroupRecord(name: row[0], creationTime: row[1])
            try db.execute(sql: "INSERT INTO logGroup (name, document) VALUES (?, ?)", arguments: [group.name, try JSONEncoder().encode(group)])
        }
    }

    public func appendLogEvents(_ events: [FunctionLogEvent]) async throws {
        guard !events.isEmpty else { return }
        let encodedGroups = try Dictionary(grouping: events, by: \.group).mapValues { events in
            try JSONEncoder().encode(LogGroupRecord(name: events[0].group, creationTime: events.map(\.timestamp).min()!))
        }
        try await pool.write { db in
            for (name, document) in encodedGroups {
                try db.execute(sql: "INSERT OR IGNORE INTO logGroup (name, document) VALUES (?, ?)", arguments: [name, document])
            }
            let streams = Dictionary(grouping: events) { "\($0.group)\u{0}\($0.stream)" }
            for events in streams.values {
                let first = events.map(\.timestamp).min()!
                let last = events.map(\.timestamp).max()!
                let ingested = events.map(\.ingestionTime).max()!
                try Self.touchStream(db, group: events[0].group, name: events[0].stream, first: first, last: last, ingested: ingested)
            }
            let statement = try db.cachedStatement(
                sql: "INSERT INTO logEvent (logGroup, stream, timestamp, message, ingestionTime) VALUES (?, ?, ?, ?, ?)")
            for event in events {
                try statement.execute(arguments: [event.group, event.stream, event.timestamp, event.message, event.ingestionTime])
            }
        }
    }

    /// Creates the stream if needed and widens its event times.
    private static func touchStream(_ db: Database, group: String, name: String, first: Int64, last: Int64, ingested: Int64) throws {
        try db.execute(sql: """
            INSERT INTO logStream (logGroup, name, creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime)
            VALUES (?1, ?2, ?5, ?3, ?4, ?5)
            ON CONFLICT (logGroup, name) DO UPDATE SET
                firstEventTimestamp = MIN(COALESCE(firstEventTimestamp, excluded.firstEventTimestamp), excluded.firstEventTimestamp),
                lastEventTimestamp = MAX(COALESCE(lastEventTimestamp, excluded.lastEventTimestamp), excluded.lastEventTimestamp),
                lastIngestionTime = excluded.lastIngestionTime
            """, arguments: [group, name, first, last, ingested])
    }

    public func logEvents(group: String, afterID: Int64, limit: Int) async throws -> [FunctionLogEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, stream, timestamp, message, ingestionTime FROM logEvent WHERE logGroup = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [group, afterID, limit]
            ).map { row in Self.event(row, group: group) }
        }
    }

    private static func event(_ row: Row, group: String) -> FunctionLogEvent {
        FunctionLogEvent(id: row[0], group: group, stream: row[1], timestamp: row[2], message: row[3], ingestionTime: row[4])
    }

    // MARK: Groups

    public func createLogGroup(_ group: LogGroupRecord) async throws -> Bool {
        let document = try JSONEncoder().encode(group)
        return try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO logGroup (name, document) VALUES (?, ?)", arguments: [group.name, document])
            return db.changesCount == 1
        }
    }

    public func logGroup(_ name: String) async throws -> LogGroupRecord? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT document FROM logGroup WHERE name = ?", arguments: [name])
                .map { try JSONDecoder().decode(LogGroupRecord.self, from: $0) }
        }
    }

    public func listLogGroups(prefix: String?, pattern: String?, after marker: String?, limit: Int) async throws -> [LogGroupRecord] {
        try await pool.read { db in
            var groups: [LogGroupRecord] = []
            let rows = try Data.fetchCursor(db, sql: "SELECT document FROM logGroup WHERE name > ? ORDER BY name", arguments: [marker ?? ""])
            while groups.count < limit, let document = try rows.next() {
                let group = try JSONDecoder().decode(LogGroupRecord.self, from: document)
                if let prefix, !group.name.hasPrefix(prefix) { continue }
                if let pattern, !pattern.isEmpty, group.name.range(of: pattern, options: .caseInsensitive) == nil { continue }
                groups.append(group)
            }
            return groups
        }
    }

    public func updateLogGroup(_ name: String, _ change: @Sendable (LogGroupRecord) throws -> LogGroupRecord) async throws -> LogGroupRecord? {
        try await pool.write { db in
            guard let document = try Data.fetchOne(db, sql: "SELECT document FROM logGroup WHERE name = ?", arguments: [name]) else {
                return nil
            }
            let changed = try change(try JSONDecoder().decode(LogGroupRecord.self, from: document))
            try db.execute(sql: "UPDATE logGroup SET document = ? WHERE name = ?", arguments: [try JSONEncoder().encode(changed), name])
            return changed
        }
    }

    public func deleteLogGroup(_ name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM logGroup WHERE name = ?", arguments: [name])
            let existed = db.changesCount == 1
            try db.execute(sql: "DELETE FROM logStream WHERE logGroup = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM logEvent WHERE logGroup = ?", arguments: [name])
            return existed
        }
    }

    // MARK: Streams

    public func createLogStream(group: String, name: String, creationTime: Int64) async throws -> Bool? {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM logGroup WHERE name = ?", arguments: [group]) != nil else { return nil }
            try db.execute(sql: "INSERT OR IGNORE INTO logStream (logGroup, name, creationTime) VALUES (?, ?, ?)",
                           arguments: [group, name, creationTime])
            return db.changesCount == 1
        }
    }

    public func listLogStreams(group: String, prefix: String?, byLastEvent: Bool, descending: Bool, offset: Int,
                               limit: Int) async throws -> [LogStreamRecord] {
        let direction = descending ? "DESC" : "ASC"
        let order = byLastEvent ? "COALESCE(lastEventTimestamp, 0) \(direction), name \(direction)" : "name \(direction)"
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime FROM logStream
                WHERE logGroup = ? AND substr(name, 1, length(?2)) = ?2 ORDER BY \(order) LIMIT ? OFFSET ?
                """, arguments: [group, prefix ?? "", limit, offset]).map { row in
                LogStreamRecord(group: group, name: row[0], creationTime: row[1], firstEventTimestamp: row[2],
                                lastEventTimestamp: row[3], lastIngestionTime: row[4])
            }
        }
    }

    public func logStream(group: String, name: String) async throws -> LogStreamRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime FROM logStream WHERE logGroup = ? AND name = ?
                """, arguments: [group, name]).map { row in
                LogStreamRecord(group: group, name: name, creationTime: row[0], firstEventTimestamp: row[1],
                                lastEventTimestamp: row[2], lastIngestionTime: row[3])
            }
        }
    }

    public func deleteLogStream(group: String, name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM logStream WHERE logGroup = ? AND name = ?", arguments: [group, name])
            let existed = db.changesCount == 1
            try db.execute(sql: "DELETE FROM logEvent WHERE logGroup = ? AND stream = ?", arguments: [group, name])
            return existed
        }
    }

    // MARK: Events

    public func putLogEvents(group: String, stream: String, events: [(timestamp: Int64, message: String)],
                             ingestionTime: Int64) async throws -> Bool {
        guard let first = events.map(\.timestamp).min(), let last = events.map(\.timestamp).max() else { return true }
        return try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM logStream WHERE logGroup = ? AND name = ?", arguments: [group, stream]) != nil else {
                return false
            }
            try Self.touchStream(db, group: group, name: stream, first: first, last: last, ingested: ingestionTime)
            let statement = try db.cachedStatement(
                sql: "INSERT INTO logEvent (logGroup, stream, timestamp, message, ingestionTime) VALUES (?, ?, ?, ?, ?)")
            for event in events {
                try statement.execute(arguments: [group, stream, event.timestamp, event.message, ingestionTime])
            }
            return true
        }
    }

    public func findLogEvents(group: String, streams: [String]?, start: Int64?, end: Int64?, after position: LogPosition?,
                              backward: Bool, limit: Int, where prefilter: LogPrefilter) async throws -> [FunctionLogEvent] {
        var conditions = ["logGroup = ?"]
        var arguments: [any DatabaseValueConvertible & Sendable] = [group]
        if let start {
            conditions.append("timestamp >= ?")
            arguments.append(start)
        }
        if let end {
            conditions.append("timestamp < ?")
            arguments.append(end)
        }
        if let position {
            conditions.append(backward ? "(timestamp, id) < (?, ?)" : "(timestamp, id) > (?, ?)")
            arguments += [position.timestamp, position.id]
        }
        if let streams {
            guard !streams.isEmpty else { return [] }
            conditions.append("stream IN (\(streams.map { _ in "?" }.joined(separator: ", ")))")
            arguments += streams
        }
        // SQLite tests the terms, so only candidates become Swift values.
        for term in prefilter.terms {
            conditions.append("instr(message, ?) > 0")
            arguments.append(term)
        }
        if prefilter.jsonObject { conditions.append("ltrim(message) LIKE '{%'") }
        let order = backward ? "timestamp DESC, id DESC" : "timestamp, id"
        let sql = "SELECT id, stream, timestamp, message, ingestionTime FROM logEvent WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT ?"
        arguments.append(limit)
        let values = arguments
        let found = try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { Self.event($0, group: group) }
        }
        return backward ? found.reversed() : found
    }

    public func expireLogEvents(now: Int64) async throws -> Int {
        try await pool.write { db in
            var deleted = 0
            for document in try Data.fetchAll(db, sql: "SELECT document FROM logGroup") {
                let group = try JSONDecoder().decode(LogGroupRecord.self, from: document)
                guard let days = group.retentionInDays else { continue }
                try db.execute(sql: "DELETE FROM logEvent WHERE logGroup = ? AND timestamp < ?",
                               arguments: [group.name, now - Int64(days) * 86_400_000])
                deleted += db.changesCount
            }
            return deleted
        }
    }
}
