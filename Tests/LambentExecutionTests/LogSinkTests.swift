import Foundation
import LambentStore
import Logging
import Testing

@testable import LambentExecution

@Suite("LogSink")
struct LogSinkTests {
    @Test("queued events reach the store in order at the next flush, and only once")
    func flush() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logsink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        let sink = LogSink(store: store, logger: Logger(label: "logsink-tests"))
        sink.append([FunctionLogEvent(group: "g", stream: "s", timestamp: 1, message: "one")])
        sink.append([])
        sink.append([FunctionLogEvent(group: "g", stream: "s", timestamp: 2, message: "two"),
                     FunctionLogEvent(group: "other", stream: "s", timestamp: 3, message: "elsewhere")])
        #expect(try await store.logEvents(group: "g", afterID: 0, limit: 10).isEmpty, "nothing is written before a flush")
        await sink.flush()
        #expect(try await store.logEvents(group: "g", afterID: 0, limit: 10).map(\.message) == ["one", "two"])
        await sink.flush()
        #expect(try await store.logEvents(group: "g", afterID: 0, limit: 10).count == 2)
    }
}
