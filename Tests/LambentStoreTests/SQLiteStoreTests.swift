import Foundation
import LambentModel
import Testing

@testable import LambentStore

@Suite struct SQLiteStoreTests {
    let directory: URL
    let store: SQLiteStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
    }

    func record(_ name: String, revision: String = "r1") -> FunctionRecord {
        FunctionRecord(
            configuration: FunctionConfiguration(
                functionName: name, functionArn: "arn:aws:lambda:us-east-1:000000000000:function:\(name)",
                runtime: "python3.12", role: "arn:aws:iam::000000000000:role/x", handler: "app.handler",
                codeSize: 10, description: "", timeout: 3, memorySize: 128, lastModified: "x", codeSha256: "abc",
                environment: [:], revisionId: revision, state: .active, ephemeralStorage: 512,
                runtimeVersionArn: "r", logGroup: "/aws/lambda/\(name)"),
            tags: ["k": "v"], codeKey: "key-\(name)")
    }

    @Test("the write-ahead log starts over under steady writes instead of growing without end")
    func logIsBounded() async throws {
        let log = directory.appendingPathComponent("db.sqlite-wal").path
        func logSize() throws -> Int { (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0 }
        let message = String(repeating: "x", count: 200)
        var largest = 0
        // Each commit adds a few pages: 25,000 of them would leave a log of over 300 MB.
        for batch in 0..<25 {
            for index in 0..<1000 {
                try await store.pool.write { db in
                    try db.execute(sql: "INSERT INTO logEvent (logGroup, stream, timestamp, message) VALUES ('g', 's', ?, ?)",
                                   arguments: [batch * 1000 + index, message])
                }
            }
            largest = max(largest, try logSize())
        }
        try await Task.sleep(for: .milliseconds(600))
        #expect(largest < 2 * SQLiteStore.logSizeLimit, "the log reached \(largest) bytes")
        #expect(try logSize() <= SQLiteStore.logSizeLimit + (8 << 20))
    }

    @Test func insertRefusesDuplicates() async throws {
        #expect(try await store.insertFunction(record("a")))
        #expect(try await !store.insertFunction(record("a")))
        #expect(try await store.function(named: "a") == record("a"))
    }

    @Test func listPagesInNameOrder() async throws {
        for name in ["c", "a", "e", "b", "d"] { _ = try await store.insertFunction(record(name)) }
        let first = try await store.listFunctions(after: nil, limit: 2).map(\.name)
        let second = try await store.listFunctions(after: first.last, limit: 2).map(\.name)
        let third = try await store.listFunctions(after: second.last, limit: 2).map(\.name)
        #expect(first == ["a", "b"])
        #expect(second == ["c", "d"])
        #expect(third == ["e"])
        let usage = try await store.usage()
        #expect(usage.functionCount == 5 && usage.totalCodeSize == 50)
    }

    @Test func updateIsAtomicAndCanAbort() async throws {
        _ = try await store.insertFunction(record("a"))
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            _ = try await store.updateFunction(named: "a") { _ in throw Abort() }
        }
        #expect(try await store.function(named: "a")?.configuration.revisionId == "r1")
        let updated = try await store.updateFunction(named: "a") { old in
            var new = old
            new.configuration.revisionId = "r2"
            return new
        }
        #expect(updated?.configuration.revisionId == "r2")
        #expect(try await store.updateFunction(named: "missing") { $0 } == nil)
    }

    @Test func deleteReturnsTheRecordAndFreesCode() async throws {
        _ = try await store.insertFunction(record("a"))
        #expect(try await store.isCodeReferenced("key-a"))
        #expect(try await store.deleteFunction(named: "a")?.name == "a")
        #expect(try await store.deleteFunction(named: "a") == nil)
        #expect(try await !store.isCodeReferenced("key-a"))
    }

    @Test func logEventsFollowByID() async throws {
        try await store.appendLogEvents([
            FunctionLogEvent(group: "/aws/lambda/a", stream: "s", timestamp: 1, message: "one"),
            FunctionLogEvent(group: "/aws/lambda/b", stream: "s", timestamp: 2, message: "other"),
            FunctionLogEvent(group: "/aws/lambda/a", stream: "s", timestamp: 3, message: "two"),
        ])
        let all = try await store.logEvents(group: "/aws/lambda/a", afterID: 0, limit: 10)
        #expect(all.map(\.message) == ["one", "two"])
        let rest = try await store.logEvents(group: "/aws/lambda/a", afterID: all[0].id, limit: 10)
        #expect(rest.map(\.message) == ["two"])
        // Appending created the groups and streams the events name.
        #expect(try await store.logGroup("/aws/lambda/a")?.creationTime == 1)
        let stream = try await store.logStream(group: "/aws/lambda/a", name: "s")
        #expect(stream?.firstEventTimestamp == 1 && stream?.lastEventTimestamp == 3)
        #expect(try await store.deleteLogGroup("/aws/lambda/a"))
        #expect(try await !store.deleteLogGroup("/aws/lambda/a"))
        #expect(try await store.logEvents(group: "/aws/lambda/a", afterID: 0, limit: 10).isEmpty)
        #expect(try await store.logStream(group: "/aws/lambda/a", name: "s") == nil)
    }
}
