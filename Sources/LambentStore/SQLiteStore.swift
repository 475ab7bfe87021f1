import Foundation
import GRDB
import LambentModel

/// The embedded store: one SQLite database in WAL mode (GRDB's `DatabasePool`), so that
/// readers never wait for the writer.
///
/// Schema (v2): `function` holds one row per function (name, its attributes as JSON);
/// `functionVersion` one row per version, keyed by (name, version), with its configuration
/// as JSON next to the columns queries need (`ordinal` orders versions: 0 for `$LATEST`,
/// then the version number). Documents decode through `StoredJSON`, so rows written before a
/// field existed still read.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    /// Queue sends, committed in groups.
    let sends: GroupCommit<SendRequest, [SentMessage]>
    /// Copies the write-ahead log into the database in the background (see `init`).
    private let checkpoints: Task<Void, Never>

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// Commits never checkpoint: SQLite's automatic checkpoint would run inside whichever
    /// commit crosses 1,000 log pages and make it (and every writer queued behind it) wait
    /// for the database file's fsync. A separate connection checkpoints passively every
    /// 250 ms instead, beside the writer. A passive checkpoint never lets the log start over
    /// while commits keep coming, though (SQLite restarts the log only when a writer finds
    /// every frame copied), so under steady load the log grew without end (790 MB after 60,000
    /// commits). Once it holds ``restartFrames`` frames, the writer's own connection, between
    /// two commits, copies what the passive pass left (little), so the next commit starts the
    /// log over; `journal_size_limit` truncates it to ``logSizeLimit`` bytes. (A `RESTART`
    /// checkpoint there would also wait for readers: p99 tripled in the open-loop benchmark.)
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.logSizeLimit)")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        self.pool = pool
        sends = GroupCommit { requests in try await Self.commit(requests, pool: pool) }
        var checkpointing = Configuration()
        checkpointing.busyMode = .timeout(10)
        let checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
        checkpoints = Task.detached(priority: .utility) {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                // The pragma answers (busy, frames in the log, frames copied).
                let frames = try? await checkpointer.writeWithoutTransaction { db in
                    try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { row -> Int in row[1] } ?? 0
                }
                if let frames, frames >= Self.restartFrames {
                    _ = try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
                }
            }
        }
    }

    /// Log frames (pages) after which the log is restarted: 32 MB of 4 KB pages.
    static let restartFrames = 8192
    /// The log file's size after a restart, at most.
    static let logSizeLimit = 64 << 20

    deinit {
        checkpoints.cancel()
    }

    static var migrator: DatabaseMigrator {
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
        // Functions split from their versions: every v1 record becomes a function row and
        // its $LATEST version.
        migrator.registerMigration("v2-versions") { db in
            try db.create(table: "functionVersion") { table in
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("ordinal", .integer).notNull()
                table.column("codeKey", .text).notNull().indexed()
                table.column("codeSize", .integer).notNull()
                table.column("configuration", .blob).notNull()
                table.primaryKey(["name", "version"])
            }
            try db.create(table: "functionV2") { table in
                table.primaryKey("name", .text)
                table.column("attributes", .blob).notNull()
            }
            let rows = try Row.fetchAll(db, sql: "SELECT record FROM function")
            for row in rows {
                let record = try decodeV1Record(row["record"])
                try insert(record.attributes, named: record.name, db: db)
                // v2's columns: later migrations add theirs.
                try db.execute(
                    sql: "INSERT INTO functionVersion (name, version, ordinal, codeKey, codeSize, configuration) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [record.name, FunctionVersion.latest.rawValue, 0, record.codeKey, record.configuration.codeSize,
                                StoredJSON.encode(record.configuration)])
            }
            try db.drop(table: "function")
            try db.rename(table: "functionV2", to: "function")
        }
        migrator.registerMigration("v3-aliases") { db in
            try db.create(table: "alias") { table in
                table.column("functionName", .text).notNull()
                table.column("name", .text).notNull()
                table.column("document", .blob).notNull()
                table.primaryKey(["functionName", "name"])
            }
        }
        migrator.registerMigration("v4-layers") { db in
            try db.alter(table: "functionVersion") { table in table.add(column: "layersKey", .text) }
            try db.create(table: "layer") { table in
                table.primaryKey("name", .text)
                table.column("lastVersion", .integer).notNull()
            }
            try db.create(table: "layerVersion") { table in
                table.column("name", .text).notNull()
                table.column("version", .integer).notNull()
                table.column("codeKey", .text).notNull().indexed()
                table.column("document", .blob).notNull()
                table.primaryKey(["name", "version"])
            }
            try db.create(table: "functionSetting") { table in
                table.column("functionName", .text).notNull()
                table.column("qualifier", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("document", .blob).notNull()
                table.primaryKey(["functionName", "qualifier", "kind"])
            }
        }
        migrator.registerMigration("v5-queues") { db in
            try createQueueTables(db)
            try db.create(table: "eventSourceMapping") { table in
                table.primaryKey("uuid", .text)
                table.column("functionName", .text).notNull().indexed()
                table.column("sourceArn", .text).notNull()
                table.column("document", .blob).notNull()
            }
        }
        migrator.registerMigration("v6-logs") { db in
            try createLogTables(db)
        }
        migrator.registerMigration("v7-images") { db in
            // A container-image version's image (JSON of `FunctionImage`); NULL for zips.
            try db.alter(table: "functionVersion") { table in table.add(column: "image", .blob) }
        }
        migrator.registerMigration("v8-schedules") { db in
            try createScheduleTables(db)
        }
        migrator.registerMigration("v9-bucket-notifications") { db in
            // A bucket's notification configuration (Lambent's own, JSON); the objects live in
            // the object store.
            try db.create(table: "bucketNotification") { table in
                table.primaryKey("bucket", .text)
                table.column("document", .blob).notNull()
            }
        }
        migrator.registerMigration("v10-metrics") { db in
            try createMetricTables(db)
        }
        migrator.registerMigration("v11-console-test-events") { db in
            // The web console's saved test events, per function (as the AWS console keeps them).
            try db.create(table: "consoleTestEvent") { table in
                table.column("function", .text).notNull()
                table.column("name", .text).notNull()
                table.column("body", .text).notNull()
                table.primaryKey(["function", "name"])
            }
        }
        migrator.registerMigration("v12-mapping-tags") { db in
            // An event source mapping's tags (JSON), beside its configuration, which AWS
            // answers without them.
            try db.alter(table: "eventSourceMapping") { table in table.add(column: "tags", .blob) }
        }
        return migrator
    }

    /// A v1 row: the whole record as one JSON document.
    static func decodeV1Record(_ data: Data) throws -> FunctionRecord {
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let configuration = object.removeValue(forKey: "configuration") else {
            throw StoreError("a v1 function row is not a record")
        }
        let decoded = try StoredJSON.decode(
            FunctionConfiguration.self, from: JSONSerialization.data(withJSONObject: configuration), defaults: .template)
        let rest = try JSONDecoder().decode(V1Rest.self, from: JSONSerialization.data(withJSONObject: object))
        return FunctionRecord(configuration: decoded, tags: rest.tags ?? [:], codeKey: rest.codeKey,
                              reservedConcurrency: rest.reservedConcurrency)
    }

    private struct V1Rest: Codable {
        var tags: [String: String]?
        var codeKey: String
        var reservedConcurrency: Int?
    }

    // MARK: Rows

    /// Inserts a function row into the table the v2 migration builds.
    private static func insert(_ attributes: FunctionAttributes, named name: String, db: Database) throws {
        try db.execute(sql: "INSERT INTO functionV2 (name, attributes) VALUES (?, ?)",
                       arguments: [name, StoredJSON.encode(attributes)])
    }

    /// Inserts (or, with `replace`, replaces) a version row.
    private static func insert(version record: FunctionRecord, replace: Bool = false, db: Database) throws {
        let version = FunctionVersion(record.configuration.version)
        try db.execute(
            sql: """
                INSERT \(replace ? "OR REPLACE " : "")INTO functionVersion (name, version, ordinal, codeKey, codeSize, configuration, layersKey, image)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [record.name, version.rawValue, ordinal(of: version), record.codeKey,
                        record.configuration.codeSize, StoredJSON.encode(record.configuration), record.layersKey,
                        try record.image.map { try JSONEncoder().encode($0) }])
    }

    /// Where a version sorts: `$LATEST` first, then by number.
    static func ordinal(of version: FunctionVersion) -> Int64 {
        version.isLatest ? 0 : Int64(version.rawValue) ?? Int64.max
    }

    private static let selectRecord = """
        SELECT v.configuration, v.codeKey, f.attributes, v.layersKey, v.image FROM functionVersion v JOIN function f ON f.name = v.name
        """

    private static func record(_ row: Row) throws -> FunctionRecord {
        let configuration = try StoredJSON.decode(FunctionConfiguration.self, from: row[0], defaults: .template)
        let attributes = try StoredJSON.decode(FunctionAttributes.self, from: row[2], defaults: .template)
        var record = FunctionRecord(configuration: configuration, tags: attributes.tags, codeKey: row[1], layersKey: row[3],
                                    reservedConcurrency: attributes.reservedConcurrency,
                                    lastPublishedVersion: attributes.lastPublishedVersion,
                                    publishedRevision: attributes.publishedRevision)
        let image: Data? = row[4]
        record.image = try image.map { try JSONDecoder().decode(FunctionImage.self, from: $0) }
        return record
    }

    private static func fetch(_ id: FunctionVersionID, db: Database) throws -> FunctionRecord? {
        try Row.fetchOne(db, sql: selectRecord + " WHERE v.name = ? AND v.version = ?",
                         arguments: [id.functionName, id.version.rawValue]).map(record)
    }

    // MARK: FunctionStore

    public func insertFunction(_ record: FunctionRecord) async throws -> Bool {
        let attributes = try StoredJSON.encode(record.attributes)
        return try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO function (name, attributes) VALUES (?, ?)",
                           arguments: [record.name, attributes])
            guard db.changesCount == 1 else { return false }
            try Self.insert(version: record, db: db)
            return true
        }
    }

    public func function(_ id: FunctionVersionID) async throws -> FunctionRecord? {
        try await pool.read { db in try Self.fetch(id, db: db) }
    }

    public func updateFunction(
        named name: String, _ change: @Sendable (FunctionRecord) throws -> FunctionRecord
    ) async throws -> FunctionRecord? {
        try await pool.write { db in
            guard let current = try Self.fetch(FunctionVersionID(functionName: name), db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE function SET attributes = ? WHERE name = ?",
                           arguments: [StoredJSON.encode(updated.attributes), name])
            try Self.insert(version: updated, replace: true, db: db)
            return updated
        }
    }

    public func deleteFunction(named name: String) async throws -> FunctionRecord? {
        try await pool.write { db in
            guard let current = try Self.fetch(FunctionVersionID(functionName: name), db: db) else { return nil }
            try db.execute(sql: "DELETE FROM functionVersion WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM alias WHERE functionName = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM functionSetting WHERE functionName = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM function WHERE name = ?", arguments: [name])
            return current
        }
    }

    public func listFunctions(after marker: String?, limit: Int) async throws -> [FunctionRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: Self.selectRecord + " WHERE v.version = ? AND v.name > ? ORDER BY v.name LIMIT ?",
                arguments: [FunctionVersion.latest.rawValue, marker ?? "", limit]
            ).map(Self.record)
        }
    }

    public func insertVersion(_ record: FunctionRecord) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM function WHERE name = ?)",
                                    arguments: [record.name]) == true,
                  try Self.fetch(record.configuration.versionID, db: db) == nil else { return false }
            try Self.insert(version: record, db: db)
            return true
        }
    }

    public func deleteVersion(_ id: FunctionVersionID) async throws -> FunctionRecord? {
        precondition(!id.version.isLatest, "$LATEST goes only with its function")
        return try await pool.write { db in
            guard let current = try Self.fetch(id, db: db) else { return nil }
            try db.execute(sql: "DELETE FROM functionVersion WHERE name = ? AND version = ?",
                           arguments: [id.functionName, id.version.rawValue])
            try db.execute(sql: "DELETE FROM functionSetting WHERE functionName = ? AND qualifier = ?",
                           arguments: [id.functionName, id.version.rawValue])
            return current
        }
    }

    public func listVersions(of name: String, after marker: FunctionVersion?, limit: Int) async throws -> [FunctionRecord] {
        let after = marker.map(Self.ordinal) ?? -1
        return try await pool.read { db in
            try Row.fetchAll(
                db, sql: Self.selectRecord + " WHERE v.name = ? AND v.ordinal > ? ORDER BY v.ordinal LIMIT ?",
                arguments: [name, after, limit]
            ).map(Self.record)
        }
    }

    public func usage() async throws -> (functionCount: Int, totalCodeSize: Int) {
        try await pool.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM function") ?? 0
            let size = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(codeSize), 0) FROM functionVersion") ?? 0
            return (count, size)
        }
    }

    public func isCodeReferenced(_ codeKey: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM functionVersion WHERE codeKey = ?1 OR layersKey = ?1)
                    OR EXISTS (SELECT 1 FROM layerVersion WHERE codeKey = ?1)
                """, arguments: [codeKey]) ?? false
        }
    }

    // MARK: AliasStore

    private static let aliasTemplate = AliasConfiguration(aliasArn: "", name: "", functionVersion: "", description: "", revisionId: "")

    private static func fetchAlias(_ name: String, function: String, db: Database) throws -> AliasConfiguration? {
        try Data.fetchOne(db, sql: "SELECT document FROM alias WHERE functionName = ? AND name = ?", arguments: [function, name])
            .map { try StoredJSON.decode(AliasConfiguration.self, from: $0, defaults: aliasTemplate) }
    }

    public func insertAlias(_ alias: AliasConfiguration, function: String) async throws -> Bool {
        let document = try StoredJSON.encode(alias)
        return try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO alias (functionName, name, document) VALUES (?, ?, ?)",
                           arguments: [function, alias.name, document])
            return db.changesCount == 1
        }
    }

    public func alias(_ name: String, function: String) async throws -> AliasConfiguration? {
        try await pool.read { db in try Self.fetchAlias(name, function: function, db: db) }
    }

    public func updateAlias(
        _ name: String, function: String, _ change: @Sendable (AliasConfiguration) throws -> AliasConfiguration
    ) async throws -> AliasConfiguration? {
        try await pool.write { db in
            guard let current = try Self.fetchAlias(name, function: function, db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE alias SET document = ? WHERE functionName = ? AND name = ?",
                           arguments: [StoredJSON.encode(updated), function, name])
            return updated
        }
    }

    public func deleteAlias(_ name: String, function: String) async throws -> AliasConfiguration? {
        try await pool.write { db in
            guard let current = try Self.fetchAlias(name, function: function, db: db) else { return nil }
            try db.execute(sql: "DELETE FROM alias WHERE functionName = ? AND name = ?", arguments: [function, name])
            try db.execute(sql: "DELETE FROM functionSetting WHERE functionName = ? AND qualifier = ?", arguments: [function, name])
            return current
        }
    }

    public func listAliases(function: String, after marker: String?, limit: Int) async throws -> [AliasConfiguration] {
        try await pool.read { db in
            try Data.fetchAll(
                db, sql: "SELECT document FROM alias WHERE functionName = ? AND name > ? ORDER BY name LIMIT ?",
                arguments: [function, marker ?? "", limit]
            ).map { try StoredJSON.decode(AliasConfiguration.self, from: $0, defaults: Self.aliasTemplate) }
        }
    }

    // MARK: LayerStore

    private static let layerTemplate = LayerVersionRecord(
        layer: LayerVersion(content: LayerVersionContent(codeSha256: "", codeSize: 0), layerArn: "", layerVersionArn: "",
                            description: "", createdDate: "", version: 0, compatibleRuntimes: nil, licenseInfo: nil,
                            compatibleArchitectures: nil),
        layerName: "", codeKey: "", unzippedSize: 0)

    private static func layerRecord(_ data: Data) throws -> LayerVersionRecord {
        try StoredJSON.decode(LayerVersionRecord.self, from: data, defaults: layerTemplate)
    }

    private static func fetchLayerVersion(_ name: String, version: Int, db: Database) throws -> LayerVersionRecord? {
        try Data.fetchOne(db, sql: "SELECT document FROM layerVersion WHERE name = ? AND version = ?", arguments: [name, version])
            .map(layerRecord)
    }

    public func publishLayerVersion(
        _ layerName: String, _ make: @Sendable (Int) throws -> LayerVersionRecord
    ) async throws -> LayerVersionRecord {
        try await pool.write { db in
            let last = try Int.fetchOne(db, sql: "SELECT lastVersion FROM layer WHERE name = ?", arguments: [layerName]) ?? 0
            let record = try make(last + 1)
            try db.execute(sql: "INSERT OR REPLACE INTO layer (name, lastVersion) VALUES (?, ?)", arguments: [layerName, last + 1])
            try db.execute(sql: "INSERT INTO layerVersion (name, version, codeKey, document) VALUES (?, ?, ?, ?)",
                           arguments: [layerName, last + 1, record.codeKey, StoredJSON.encode(record)])
            return record
        }
    }

    public func layerVersion(_ layerName: String, version: Int) async throws -> LayerVersionRecord? {
        try await pool.read { db in try Self.fetchLayerVersion(layerName, version: version, db: db) }
    }

    public func listLayerVersions(_ layerName: String?) async throws -> [LayerVersionRecord] {
        try await pool.read { db in
            if let layerName {
                return try Data.fetchAll(db, sql: "SELECT document FROM layerVersion WHERE name = ? ORDER BY version DESC",
                                         arguments: [layerName]).map(Self.layerRecord)
            }
            return try Data.fetchAll(db, sql: "SELECT document FROM layerVersion ORDER BY name, version DESC").map(Self.layerRecord)
        }
    }

    public func updateLayerVersion(
        _ layerName: String, version: Int, _ change: @Sendable (LayerVersionRecord) throws -> LayerVersionRecord
    ) async throws -> LayerVersionRecord? {
        try await pool.write { db in
            guard let current = try Self.fetchLayerVersion(layerName, version: version, db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE layerVersion SET document = ? WHERE name = ? AND version = ?",
                           arguments: [StoredJSON.encode(updated), layerName, version])
            return updated
        }
    }

    public func deleteLayerVersion(_ layerName: String, version: Int) async throws -> LayerVersionRecord? {
        try await pool.write { db in
            guard let current = try Self.fetchLayerVersion(layerName, version: version, db: db) else { return nil }
            try db.execute(sql: "DELETE FROM layerVersion WHERE name = ? AND version = ?", arguments: [layerName, version])
            return current
        }
    }

    // MARK: FunctionSettingStore

    public func setting<T: Codable & Sendable>(_ kind: FunctionSettingKind, of id: FunctionSettingID, as type: T.Type) async throws -> T? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT document FROM functionSetting WHERE functionName = ? AND qualifier = ? AND kind = ?",
                              arguments: [id.functionName, id.qualifier ?? "", kind.rawValue])
                .map { try JSONDecoder().decode(T.self, from: $0) }
        }
    }

    public func updateSetting<T: Codable & Sendable>(
        _ kind: FunctionSettingKind, of id: FunctionSettingID, _ change: @Sendable (T?) throws -> T?
    ) async throws -> T? {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM function WHERE name = ?)", arguments: [id.functionName]) == true else {
                throw FunctionSettingError.functionMissing
            }
            let arguments: StatementArguments = [id.functionName, id.qualifier ?? "", kind.rawValue]
            let current = try Data.fetchOne(
                db, sql: "SELECT document FROM functionSetting WHERE functionName = ? AND qualifier = ? AND kind = ?", arguments: arguments
            ).map { try JSONDecoder().decode(T.self, from: $0) }
            guard let updated = try change(current) else {
                try db.execute(sql: "DELETE FROM functionSetting WHERE functionName = ? AND qualifier = ? AND kind = ?", arguments: arguments)
                return nil
            }
            try db.execute(sql: "INSERT OR REPLACE INTO functionSetting (functionName, qualifier, kind, document) VALUES (?, ?, ?, ?)",
                           arguments: arguments + [StoredJSON.encode(updated)])
            return updated
        }
    }

    public func settings<T: Codable & Sendable>(_ kind: FunctionSettingKind, function: String?, as type: T.Type) async throws
        -> [(id: FunctionSettingID, value: T)] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: """
                    SELECT functionName, qualifier, document FROM functionSetting
                    WHERE kind = ? AND (? IS NULL OR functionName = ?) ORDER BY functionName, qualifier
                    """, arguments: [kind.rawValue, function, function])
            return try rows.map { row in
                let qualifier: String = row[1]
                return (FunctionSettingID(functionName: row[0], qualifier: qualifier.isEmpty ? nil : qualifier),
                        try JSONDecoder().decode(T.self, from: row[2]))
            }
        }
    }

    // MARK: EventSourceMappingStore

    private static func fetchMapping(_ uuid: String, db: Database) throws -> EventSourceMapping? {
        try Data.fetchOne(db, sql: "SELECT document FROM eventSourceMapping WHERE uuid = ?", arguments: [uuid])
            .map { try JSONDecoder().decode(EventSourceMapping.self, from: $0) }
    }

    public func insertMapping(_ mapping: EventSourceMapping, functionName: String) async throws -> EventSourceMapping? {
        let document = try StoredJSON.encode(mapping)
        return try await pool.write { db in
            if let existing = try Data.fetchOne(
                db, sql: "SELECT document FROM eventSourceMapping WHERE functionName = ? AND sourceArn = ?",
                arguments: [functionName, mapping.eventSourceArn]) {
                return try JSONDecoder().decode(EventSourceMapping.self, from: existing)
            }
            try db.execute(sql: "INSERT INTO eventSourceMapping (uuid, functionName, sourceArn, document) VALUES (?, ?, ?, ?)",
                           arguments: [mapping.uuid, functionName, mapping.eventSourceArn, document])
            return nil
        }
    }

    public func mapping(_ uuid: String) async throws -> EventSourceMapping? {
        try await pool.read { db in try Self.fetchMapping(uuid, db: db) }
    }

    public func updateMapping(_ uuid: String, _ change: @Sendable (EventSourceMapping) throws -> EventSourceMapping) async throws -> EventSourceMapping? {
        try await pool.write { db in
            guard let current = try Self.fetchMapping(uuid, db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE eventSourceMapping SET document = ? WHERE uuid = ?", arguments: [StoredJSON.encode(updated), uuid])
            return updated
        }
    }

    public func deleteMapping(_ uuid: String) async throws -> EventSourceMapping? {
        try await pool.write { db in
            guard let current = try Self.fetchMapping(uuid, db: db) else { return nil }
            try db.execute(sql: "DELETE FROM eventSourceMapping WHERE uuid = ?", arguments: [uuid])
            return current
        }
    }

    public func mappingTags(_ uuid: String) async throws -> [String: String]? {
        try await pool.read { db in try Self.fetchMappingTags(uuid, db: db) }
    }

    public func updateMappingTags(_ uuid: String, _ change: @Sendable ([String: String]) throws -> [String: String]) async throws
        -> [String: String]? {
        try await pool.write { db in
            guard let current = try Self.fetchMappingTags(uuid, db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE eventSourceMapping SET tags = ? WHERE uuid = ?", arguments: [StoredJSON.encode(updated), uuid])
            return updated
        }
    }

    private static func fetchMappingTags(_ uuid: String, db: Database) throws -> [String: String]? {
        guard let row = try Row.fetchOne(db, sql: "SELECT tags FROM eventSourceMapping WHERE uuid = ?", arguments: [uuid]) else { return nil }
        let tags: Data? = row[0]
        return try tags.map { try JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
    }

    public func listMappings(functionName: String?, sourceArn: String?) async throws -> [EventSourceMapping] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: """
                SELECT document FROM eventSourceMapping WHERE (?1 IS NULL OR functionName = ?1) AND (?2 IS NULL OR sourceArn = ?2) ORDER BY uuid
                """, arguments: [functionName, sourceArn]).map { try JSONDecoder().decode(EventSourceMapping.self, from: $0) }
        }
    }
}
