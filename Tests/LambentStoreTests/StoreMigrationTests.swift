import Foundation
import GRDB
import LambentModel
import Testing

@testable import LambentStore

/// Databases written by earlier Lambents open, migrate and read.
@Suite struct StoreMigrationTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A v1 database (one JSON record per function) as the previous release wrote it.
    func v1Database(rows: [(name: String, codeKey: String, record: String)]) throws -> String {
        let path = directory.appendingPathComponent("v1.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            for row in rows {
                try db.execute(sql: "INSERT INTO function (name, codeKey, codeSize, record) VALUES (?, ?, 10, ?)",
                               arguments: [row.name, row.codeKey, Data(row.record.utf8)])
            }
            try db.execute(sql: "INSERT INTO logEvent (logGroup, stream, timestamp, message) VALUES ('/aws/lambda/a', 's', 1, 'kept')")
        }
        return path
    }

    /// A v1 record of the previous release's shape, with `drop` removed from its configuration.
    static func v1Record(_ name: String, reserved: Int? = nil, dropping drop: [String] = []) throws -> String {
        var configuration: [String: Any] = [
            "FunctionName": name, "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:\(name)",
            "Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/x", "Handler": "app.handler",
            "CodeSize": 10, "Description": "", "Timeout": 7, "MemorySize": 256, "LastModified": "2026-11-23T10:00:00.000+0000",
            "CodeSha256": "abc", "Version": "$LATEST", "Environment": ["Variables": ["A": "1"]],
            "TracingConfig": ["Mode": "PassThrough"], "RevisionId": "rev-1", "State": "Active",
            "LastUpdateStatus": "Successful", "PackageType": "Zip", "Architectures": ["x86_64"],
            "EphemeralStorage": ["Size": 1024], "SnapStart": ["ApplyOn": "None", "OptimizationStatus": "Off"],
            "RuntimeVersionConfig": ["RuntimeVersionArn": "r"],
            "LoggingConfig": ["LogFormat": "Text", "LogGroup": "/aws/lambda/\(name)"],
        ]
        for key in drop { configuration[key] = nil }
        var record: [String: Any] = ["configuration": configuration, "tags": ["team": "a"], "codeKey": "key-\(name)"]
        if let reserved { record["reservedConcurrency"] = reserved }
        return String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
    }

    @Test("v1 records become functions with a $LATEST version, attributes and logs kept")
    func migratesV1() async throws {
        let path = try v1Database(rows: [
            ("a", "key-a", try Self.v1Record("a", reserved: 5)),
            ("b", "key-b", try Self.v1Record("b")),
        ])
        let store = try SQLiteStore(path: path)
        let a = try #require(try await store.function(named: "a"))
        #expect(a.configuration.timeout == 7 && a.configuration.memorySize == 256)
        #expect(a.configuration.ephemeralStorage.size == 1024)
        #expect(a.configuration.environment.variables == ["A": "1"])
        #expect(a.tags == ["team": "a"])
        #expect(a.reservedConcurrency == 5)
        #expect(a.codeKey == "key-a")
        #expect(try await store.function(FunctionVersionID(functionName: "a", version: .latest)) == a)
        #expect(try await store.listFunctions(after: nil, limit: 10).map(\.name) == ["a", "b"])
        #expect(try await store.isCodeReferenced("key-b"))
        #expect(try await store.logEvents(group: "/aws/lambda/a", afterID: 0, limit: 10).map(\.message) == ["kept"])
        // Logs written before groups and streams were kept get both (v6).
        #expect(try await store.logGroup("/aws/lambda/a") == LogGroupRecord(name: "/aws/lambda/a", creationTime: 1))
        let stream = try await store.logStream(group: "/aws/lambda/a", name: "s")
        #expect(stream == LogStreamRecord(group: "/aws/lambda/a", name: "s", creationTime: 1, firstEventTimestamp: 1,
                                          lastEventTimestamp: 1, lastIngestionTime: 1))
        #expect(try await store.findLogEvents(group: "/aws/lambda/a", streams: nil, start: nil, end: nil, after: nil, backward: false,
                                              limit: 10, where: .none).map(\.ingestionTime) == [1])
    }

    @Test("a stored document lacking fields a newer release requires reads with their defaults")
    func missingFieldsTakeDefaults() async throws {
        let path = try v1Database(rows: [
            ("old", "key-old", try Self.v1Record("old", dropping: ["EphemeralStorage", "LoggingConfig", "SnapStart", "PackageType"])),
        ])
        let store = try SQLiteStore(path: path)
        let old = try #require(try await store.function(named: "old"))
        #expect(old.configuration.ephemeralStorage.size == Limits.defaultEphemeralStorage)
        #expect(old.configuration.packageType == "Zip")
        #expect(old.configuration.timeout == 7, "fields that were stored keep their values")
    }

    @Test("StoredJSON fills missing keys recursively and keeps stored ones")
    func fill() {
        let filled = StoredJSON.fill(["a": 1, "nested": ["x": 1]], from: ["a": 2, "b": 3, "nested": ["x": 2, "y": 4]])
        #expect(filled["a"] as? Int == 1)
        #expect(filled["b"] as? Int == 3)
        #expect((filled["nested"] as? [String: Any])?["x"] as? Int == 1)
        #expect((filled["nested"] as? [String: Any])?["y"] as? Int == 4)
    }
}
