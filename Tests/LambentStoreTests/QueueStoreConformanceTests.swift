import Foundation
import Testing

@testable import LambentStore

/// What every `QueueStore` must do, run against each implementation.
@Suite struct QueueStoreConformanceTests {
    typealias Kind = FunctionStoreConformanceTests.Kind

    static func queue(_ name: String, _ attributes: [String: String] = [:]) -> QueueRecord {
        QueueRecord(name: name, attributes: attributes, createdTimestamp: 1, lastModifiedTimestamp: 1)
    }

    static func message(_ body: String, delay: Int = 0, group: String? = nil, dedup: String? = nil) -> OutgoingMessage {
        OutgoingMessage(body: body, envelope: MessageEnvelope(messageID: UUID().uuidString, md5OfBody: "m", senderID: "s"),
                        delaySeconds: delay, groupID: group, deduplicationID: dedup)
    }

    @Test("send, receive, hide, become visible again, delete; counts follow", arguments: Kind.allCases)
    func lifecycle(kind: Kind) async throws {
        let store = try kind.make()
        #expect(try await store.createQueue(Self.queue("q")).created)
        #expect(try await !store.createQueue(Self.queue("q", ["DelaySeconds": "5"])).created, "the existing queue is kept")
        let sent = try await store.send([Self.message("a"), Self.message("b"), Self.message("late", delay: 10)], to: "q", now: 1_000)
        #expect(sent.count == 3)
        #expect(try await store.counts(queue: "q", now: 1_000) == QueueCounts(visible: 2, inFlight: 0, delayed: 1, oldestAgeMillis: 0))

        let first = try await store.receive(from: "q", limit: 10, visibilityTimeout: 30, now: 2_000, deadLetter: nil)
        #expect(first.map(\.body) == ["a", "b"])
        #expect(first.allSatisfy { $0.receiveCount == 1 && $0.firstReceiveTimestamp == 2_000 })
        #expect(try await store.receive(from: "q", limit: 10, visibilityTimeout: 30, now: 3_000, deadLetter: nil).isEmpty)
        #expect(try await store.nextVisibleTime(queue: "q", now: 3_000) == 11_000)

        // "late" becomes visible after its delay; "a" after its visibility timeout.
        #expect(try await store.receive(from: "q", limit: 10, visibilityTimeout: 30, now: 11_000, deadLetter: nil).map(\.body) == ["late"])
        #expect(try await store.changeVisibility(queue: "q", receipt: first[1].receipt, timeout: 0, now: 12_000))
        let again = try await store.receive(from: "q", limit: 10, visibilityTimeout: 30, now: 12_000, deadLetter: nil)
        #expect(again.map(\.body) == ["b"] && again[0].receiveCount == 2 && again[0].firstReceiveTimestamp == 2_000)
        #expect(try await !store.changeVisibility(queue: "q", receipt: first[1].receipt, timeout: 0, now: 12_000), "an older receipt")

        #expect(try await store.deleteMessage(queue: "q", receipt: first[0].receipt))
        #expect(try await !store.deleteMessage(queue: "q", receipt: first[0].receipt))
        #expect(try await store.counts(queue: "q", now: 12_000).inFlight == 2)
        try await store.purgeQueue(named: "q")
        #expect(try await store.counts(queue: "q", now: 12_000) == QueueCounts(visible: 0, inFlight: 0, delayed: 0, oldestAgeMillis: 0))
        #expect(try await store.deleteQueue(named: "q"))
        #expect(try await !store.deleteQueue(named: "q"))
    }

    @Test("a receipt that must be current deletes only while it is the latest and in time", arguments: Kind.allCases)
    func currentReceipts(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("q.fifo", ["FifoQueue": "true"]))
        _ = try await store.send([Self.message("a", group: "g", dedup: "1")], to: "q.fifo", now: 0)
        let first = try await store.receive(from: "q.fifo", limit: 1, visibilityTimeout: 10, now: 1_000, deadLetter: nil)[0]
        #expect(try await store.deleteMessage(queue: "q.fifo", receipt: first.receipt, currentAt: 11_000) == .expired, "timed out")
        let second = try await store.receive(from: "q.fifo", limit: 1, visibilityTimeout: 10, now: 11_000, deadLetter: nil)[0]
        #expect(try await store.deleteMessage(queue: "q.fifo", receipt: first.receipt, currentAt: 12_000) == .expired, "not the latest")
        #expect(try await store.deleteMessage(queue: "q.fifo", receipt: second.receipt, currentAt: 12_000) == .deleted)
        #expect(try await store.deleteMessage(queue: "q.fifo", receipt: second.receipt, currentAt: 12_000) == .gone)
        #expect(try await store.counts(queue: "q.fifo", now: 12_000) == QueueCounts(visible: 0, inFlight: 0, delayed: 0, oldestAgeMillis: 0))
    }

    @Test("a send to a deleted queue keeps nothing, and fails alone among concurrent sends", arguments: Kind.allCases)
    func sendToDeletedQueue(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("kept"))
        _ = try await store.createQueue(Self.queue("gone"))
        #expect(try await store.deleteQueue(named: "gone"))
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<20 {
                let queue = index % 2 == 0 ? "kept" : "gone"
                group.addTask { (queue, (try? await store.send([Self.message("m\(index)")], to: queue, now: 0)) != nil) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.0 == "kept" ? $0.1 : !$0.1 })
        await #expect(throws: QueueStoreError.queueMissing("gone")) { try await store.send([Self.message("late")], to: "gone", now: 0) }
        _ = try await store.createQueue(Self.queue("gone"))
        #expect(try await store.counts(queue: "gone", now: 0).visible == 0, "a queue made again under the name starts empty")
        #expect(try await store.counts(queue: "kept", now: 0).visible == 10)
    }

    @Test("a message received maxReceiveCount times moves to the dead-letter queue", arguments: Kind.allCases)
    func deadLetter(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("q"))
        _ = try await store.createQueue(Self.queue("dlq"))
        _ = try await store.send([Self.message("poison")], to: "q", now: 0)
        let target = DeadLetterTarget(queue: "dlq", maxReceiveCount: 2)
        for attempt in 1...2 {
            let got = try await store.receive(from: "q", limit: 1, visibilityTimeout: 1, now: Int64(attempt) * 10_000, deadLetter: target)
            #expect(got.count == 1)
        }
        #expect(try await store.receive(from: "q", limit: 1, visibilityTimeout: 1, now: 30_000, deadLetter: target).isEmpty)
        let moved = try await store.receive(from: "dlq", limit: 1, visibilityTimeout: 1, now: 30_000, deadLetter: nil)
        #expect(moved.map(\.body) == ["poison"] && moved[0].receiveCount == 3 && moved[0].sentTimestamp == 0)
        #expect(moved[0].deadLetterSourceQueue == "q")
    }

    @Test("FIFO: order per group, one group's messages in flight block the group, duplicates within five minutes", arguments: Kind.allCases)
    func fifo(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("f.fifo", ["FifoQueue": "true"]))
        let sent = try await store.send([
            Self.message("a1", group: "a", dedup: "1"), Self.message("b1", group: "b", dedup: "2"),
            Self.message("a2", group: "a", dedup: "3"), Self.message("dup", group: "a", dedup: "1"),
        ], to: "f.fifo", now: 0)
        #expect(sent[3].messageID == sent[0].messageID && sent[3].sequenceNumber == sent[0].sequenceNumber)
        #expect(sent[0].sequenceNumber! < sent[2].sequenceNumber!)
        let first = try await store.receive(from: "f.fifo", limit: 1, visibilityTimeout: 30, now: 1, deadLetter: nil)
        #expect(first.map(\.body) == ["a1"])
        // Group a is in flight: only b is given.
        #expect(try await store.receive(from: "f.fifo", limit: 10, visibilityTimeout: 30, now: 2, deadLetter: nil).map(\.body) == ["b1"])
        #expect(try await store.deleteMessage(queue: "f.fifo", receipt: first[0].receipt))
        #expect(try await store.receive(from: "f.fifo", limit: 10, visibilityTimeout: 30, now: 3, deadLetter: nil).map(\.body) == ["a2"])
        // After the deduplication interval the same id is a new message.
        #expect(try await store.expireMessages(now: 400_000) == 0)
        let later = try await store.send([Self.message("again", group: "a", dedup: "1")], to: "f.fifo", now: 400_000)
        #expect(later[0].messageID != sent[0].messageID)
    }

    @Test("retention deletes old messages; ReceiptHandle round-trips", arguments: Kind.allCases)
    func retention(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("r", ["MessageRetentionPeriod": "60"]))
        _ = try await store.send([Self.message("old")], to: "r", now: 0)
        _ = try await store.send([Self.message("new")], to: "r", now: 50_000)
        #expect(try await store.expireMessages(now: 61_000) == 1)
        #expect(try await store.counts(queue: "r", now: 61_000).visible == 1)
        let handle = ReceiptHandle(queue: "r", row: 42, token: "t")
        #expect(ReceiptHandle(encoded: handle.encoded) == handle)
        #expect(ReceiptHandle(encoded: "garbage") == nil)
        #expect(try await store.listQueues(prefix: "", after: nil, limit: 10).map(\.name) == ["r"])
    }

    @Test("concurrent sends commit in groups and each gets its own answer", arguments: Kind.allCases)
    func groupCommit(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.createQueue(Self.queue("g"))
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<200 {
                group.addTask { try await store.send([Self.message("m\(index)")], to: "g", now: 1_000).map(\.messageID) }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 200)
        #expect(try await store.counts(queue: "g", now: 1_000).visible == 200)
    }

    @Test("an envelope without attributes is stored as the encoder would store it")
    func envelopeJSON() throws {
        let envelope = MessageEnvelope(messageID: "id/\"1\"", md5OfBody: "", senderID: "lambda")
        let decoded = try JSONDecoder().decode(MessageEnvelope.self, from: envelope.stored())
        #expect(decoded == envelope)
        #expect(try JSONSerialization.jsonObject(with: envelope.stored()) as? NSDictionary
                == JSONSerialization.jsonObject(with: StoredJSON.encode(envelope)) as? NSDictionary)
    }
}
