import Foundation
import GRDB
import LambentModel

/// The queue engine on SQLite: table `queue` (name, document), table `queueMessage` (one row
/// per message: body, envelope, sent and visible times, receive count, the current receive's
/// token, FIFO group and deduplication id), table `queueDedup` (FIFO deduplication ids for
/// five minutes). The row id orders messages and numbers FIFO sequences.
extension SQLiteStore {
    static func createQueueTables(_ db: Database) throws {
        try db.create(table: "queue") { table in
            table.primaryKey("name", .text)
            table.column("document", .blob).notNull()
        }
        try db.create(table: "queueMessage") { table in
            table.autoIncrementedPrimaryKey("row")
            table.column("queue", .text).notNull()
            table.column("body", .text).notNull()
            table.column("envelope", .blob).notNull()
            table.column("sentAt", .integer).notNull()
            table.column("visibleAt", .integer).notNull()
            table.column("receiveCount", .integer).notNull()
            table.column("firstReceiveAt", .integer)
            table.column("token", .text)
            table.column("groupId", .text)
            table.column("dedupId", .text)
            table.column("sourceQueue", .text)
        }
        try db.create(index: "queueMessageByVisibility", on: "queueMessage", columns: ["queue", "visibleAt"])
        try db.create(index: "queueMessageByGroup", on: "queueMessage", columns: ["queue", "groupId"])
        try db.create(table: "queueDedup") { table in
            table.column("queue", .text).notNull()
            table.column("dedupId", .text).notNull()
            table.column("messageId", .text).notNull()
            table.column("sequence", .text)
            table.column("expiresAt", .integer).notNull()
            table.primaryKey(["queue", "dedupId"])
        }
    }

    /// FIFO deduplication interval (SQS: five minutes).
    static let deduplicationMillis: Int64 = 300_000

    private static func queueRecord(_ data: Data) throws -> QueueRecord {
        try JSONDecoder().decode(QueueRecord.self, from: data)
    }

    private static func fetchQueue(_ name: String, db: Database) throws -> QueueRecord? {
        try Data.fetchOne(db, sql: "SELECT document FROM queue WHERE name = ?", arguments: [name]).map(queueRecord)
    }

    static func sequenceNumber(_ row: Int64) -> String {
        let digits = String(row)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    public func createQueue(_ queue: QueueRecord) async throws -> (queue: QueueRecord, created: Bool) {
        let document = try StoredJSON.encode(queue)
        return try await pool.write { db in
            if let existing = try Self.fetchQueue(queue.name, db: db) { return (existing, false) }
            try db.execute(sql: "INSERT INTO queue (name, document) VALUES (?, ?)", arguments: [queue.name, document])
            return (queue, true)
        }
    }

    public func queue(named name: String) async throws -> QueueRecord? {
        try await pool.read { db in try Self.fetchQueue(name, db: db) }
    }

    public func listQueues(prefix: String, after marker: String?, limit: Int) async throws -> [QueueRecord] {
        try await pool.read { db in
            try Data.fetchAll(
                db, sql: "SELECT document FROM queue WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
                arguments: [marker ?? "", prefix.utf8.count, prefix, limit]
            ).map(Self.queueRecord)
        }
    }

    public func updateQueue(named name: String, _ change: @Sendable (QueueRecord) throws -> QueueRecord) async throws -> QueueRecord? {
        try await pool.write { db in
            guard let current = try Self.fetchQueue(name, db: db) else { return nil }
            let updated = try change(current)
            try db.execute(sql: "UPDATE queue SET document = ? WHERE name = ?", arguments: [StoredJSON.encode(updated), name])
            return updated
        }
    }

    public func deleteQueue(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM queue WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM queueMessage WHERE queue = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM queueDedup WHERE queue = ?", arguments: [name])
            return true
        }
    }

    public func purgeQueue(named name: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM queueMessage WHERE queue = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM queueDedup WHERE queue = ?", arguments: [name])
        }
    }

    /// Sends commit in groups (`GroupCommit`): concurrent senders share a transaction.
    public func send(_ messages: [OutgoingMessage], to queue: String, now: Int64) async throws -> [SentMessage] {
        try await sends.submit(SendRequest(messages: messages, queue: queue, now: now))
    }

    /// One `send`, waiting for its group's commit.
    struct SendRequest: Sendable {
        var messages: [OutgoingMessage]
        var queue: String
        var now: Int64
    }

    /// Commits the sends of a group in one transaction. A queue deleted meanwhile takes no
    /// message (its send fails alone, retried by itself): otherwise a send racing DeleteQueue
    /// would leave rows that a queue created again under the name would hand out.
    static func commit(_ requests: [SendRequest], pool: DatabasePool) async throws -> [[SentMessage]] {
        let envelopes = try requests.map { request in try request.messages.map { try $0.envelope.stored() } }
        return try await pool.write { db in
            let exists = try db.cachedStatement(sql: "SELECT 1 FROM queue WHERE name = ?")
            var checked: Set<String> = []
            return try zip(requests, envelopes).map { request, envelopes in
                if !checked.contains(request.queue) {
                    guard try Bool.fetchOne(exists, arguments: [request.queue]) != nil else { throw QueueStoreError.queueMissing(request.queue) }
                    checked.insert(request.queue)
                }
                return try insert(request.messages, envelopes: envelopes, queue: request.queue, now: request.now, db: db)
            }
        }
    }

    private static func insert(_ messages: [OutgoingMessage], envelopes: [Data], queue: String, now: Int64, db: Database) throws -> [SentMessage] {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO queueMessage (queue, body, envelope, sentAt, visibleAt, receiveCount, groupId, dedupId)
            VALUES (?, ?, ?, ?, ?, 0, ?, ?)
            """)
        var sent: [SentMessage] = []
        for (message, envelope) in zip(messages, envelopes) {
            if let dedup = message.deduplicationID,
               let row = try Row.fetchOne(db, sql: "SELECT messageId, sequence FROM queueDedup WHERE queue = ? AND dedupId = ? AND expiresAt > ?",
                                          arguments: [queue, dedup, now]) {
                sent.append(SentMessage(messageID: row[0], sequenceNumber: row[1]))
                continue
            }
            try insert.execute(arguments: [queue, message.body, envelope, now, now + Int64(message.delaySeconds) * 1000,
                                           message.groupID, message.deduplicationID])
            let row = db.lastInsertedRowID
            let sequence = message.groupID == nil ? nil : sequenceNumber(row)
            if let dedup = message.deduplicationID {
                try db.execute(sql: "INSERT OR REPLACE INTO queueDedup (queue, dedupId, messageId, sequence, expiresAt) VALUES (?, ?, ?, ?, ?)",
                               arguments: [queue, dedup, message.envelope.messageID, sequence, now + deduplicationMillis])
            }
            sent.append(SentMessage(messageID: message.envelope.messageID, sequenceNumber: sequence))
        }
        return sent
    }

    public func receive(from queue: String, limit: Int, visibilityTimeout: Int, now: Int64, deadLetter: DeadLetterTarget?) async throws
        -> [ReceivedMessage] {
        try await pool.write { db in
            guard let record = try Self.fetchQueue(queue, db: db) else { return [] }
            let fifo = record.isFifo
            var received: [ReceivedMessage] = []
            var skipped = Set<Int64>()
            // Candidates in order; dead-letter moves free places, so read on until the batch is full.
            // A standard queue gives the longest visible first (`visibleAt, row`: the order of
            // its index, so a deep queue is not sorted per receive); a FIFO queue goes by
            // sequence, which its groups need.
            while received.count < limit {
                let sql = fifo ? """
                    SELECT row, body, envelope, sentAt, receiveCount, firstReceiveAt, groupId, dedupId, sourceQueue FROM queueMessage m
                    WHERE queue = ?1 AND visibleAt <= ?2 AND NOT EXISTS (
                        SELECT 1 FROM queueMessage i WHERE i.queue = ?1 AND i.groupId = m.groupId AND i.receiveCount > 0 AND i.visibleAt > ?2)
                    ORDER BY row LIMIT ?3
                    """ : """
                    SELECT row, body, envelope, sentAt, receiveCount, firstReceiveAt, groupId, dedupId, sourceQueue FROM queueMessage
                    WHERE queue = ?1 AND visibleAt <= ?2 ORDER BY visibleAt, row LIMIT ?3
                    """
                let rows = try Row.fetchAll(db, sql: sql, arguments: [queue, now, limit - received.count + skipped.count])
                    .filter { !skipped.contains($0[0]) }
                if rows.isEmpty { break }
                for row in rows {
                    let id: Int64 = row[0]
                    let count: Int = row[4]
                    if let deadLetter, count >= deadLetter.maxReceiveCount {
                        try Self.moveToDeadLetter(row: id, into: deadLetter.queue, now: now, db: db)
                        continue
                    }
                    let token = RandomID.uuid()
                    let first: Int64 = row[5] ?? now
                    try db.execute(sql: """
                        UPDATE queueMessage SET visibleAt = ?, receiveCount = receiveCount + 1, firstReceiveAt = ?, token = ? WHERE row = ?
                        """, arguments: [now + Int64(visibilityTimeout) * 1000, first, token, id])
                    let groupID: String? = row[6]
                    received.append(ReceivedMessage(
                        body: row[1], envelope: try JSONDecoder().decode(MessageEnvelope.self, from: row[2]),
                        receipt: ReceiptHandle(queue: queue, row: id, token: token), sentTimestamp: row[3], receiveCount: count + 1,
                        firstReceiveTimestamp: first, groupID: groupID, deduplicationID: row[7],
                        sequenceNumber: groupID == nil ? nil : Self.sequenceNumber(id), deadLetterSourceQueue: row[8]))
                    skipped.insert(id)
                    if received.count == limit { break }
                }
            }
            return received
        }
    }

    /// Moves a message to its dead-letter queue: same id, body, sent time and receive count
    /// (counting on), visible at once, with the queue it came from.
    private static func moveToDeadLetter(row: Int64, into target: String, now: Int64, db: Database) throws {
        guard try fetchQueue(target, db: db) != nil else { return }  // a missing DLQ keeps the message where it is
        try db.execute(sql: """
            INSERT INTO queueMessage (queue, body, envelope, sentAt, visibleAt, receiveCount, firstReceiveAt, groupId, dedupId, sourceQueue)
            SELECT ?, body, envelope, sentAt, ?, receiveCount, firstReceiveAt, groupId, dedupId, queue FROM queueMessage WHERE row = ?
            """, arguments: [target, now, row])
        try db.execute(sql: "DELETE FROM queueMessage WHERE row = ?", arguments: [row])
    }

    public func deleteMessage(queue: String, receipt: ReceiptHandle) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM queueMessage WHERE row = ? AND queue = ?", arguments: [receipt.row, queue])
            return db.changesCount == 1
        }
    }

    public func deleteMessage(queue: String, receipt: ReceiptHandle, currentAt now: Int64) async throws -> ReceiptDeletion {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT token, visibleAt FROM queueMessage WHERE row = ? AND queue = ?",
                                             arguments: [receipt.row, queue]) else { return .gone }
            let token: String? = row[0]
            let visibleAt: Int64 = row[1]
            guard token == receipt.token, visibleAt > now else { return .expired }
            try db.execute(sql: "DELETE FROM queueMessage WHERE row = ?", arguments: [receipt.row])
            return .deleted
        }
    }

    public func deleteMessages(queue: String, receipts: [ReceiptHandle]) async throws -> Int {
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM queueMessage WHERE row = ? AND queue = ?")
            var deleted = 0
            for receipt in receipts {
                try statement.execute(arguments: [receipt.row, queue])
                deleted += db.changesCount
            }
            return deleted
        }
    }

    public func changeVisibility(queue: String, receipt: ReceiptHandle, timeout: Int, now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE queueMessage SET visibleAt = ? WHERE row = ? AND queue = ? AND token = ? AND receiveCount > 0 AND visibleAt > ?
                """, arguments: [now + Int64(timeout) * 1000, receipt.row, queue, receipt.token, now])
            return db.changesCount == 1
        }
    }

    public func counts(queue: String, now: Int64) async throws -> QueueCounts {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(visibleAt <= ?1), 0), COALESCE(SUM(visibleAt > ?1 AND receiveCount > 0), 0),
                       COALESCE(SUM(visibleAt > ?1 AND receiveCount = 0), 0), MIN(sentAt)
                FROM queueMessage WHERE queue = ?2
                """, arguments: [now, queue])
            let oldest: Int64? = row?[3]
            return QueueCounts(visible: row?[0] ?? 0, inFlight: row?[1] ?? 0, delayed: row?[2] ?? 0,
                               oldestAgeMillis: oldest.map { max(0, now - $0) } ?? 0)
        }
    }

    public func nextVisibleTime(queue: String, now: Int64) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(visibleAt) FROM queueMessage WHERE queue = ? AND visibleAt > ?", arguments: [queue, now])
        }
    }

    public func releaseInFlight(queue: String, now: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "UPDATE queueMessage SET visibleAt = ? WHERE queue = ? AND receiveCount > 0 AND visibleAt > ?",
                           arguments: [now, queue, now])
            return db.changesCount
        }
    }

    public func expireMessages(now: Int64) async throws -> Int {
        try await pool.write { db in
            var expired = 0
            for data in try Data.fetchAll(db, sql: "SELECT document FROM queue") {
                let queue = try Self.queueRecord(data)
                let retention = Int64(queue.integer("MessageRetentionPeriod", default: 345_600)) * 1000
                try db.execute(sql: "DELETE FROM queueMessage WHERE queue = ? AND sentAt < ?", arguments: [queue.name, now - retention])
                expired += db.changesCount
            }
            try db.execute(sql: "DELETE FROM queueDedup WHERE expiresAt <= ?", arguments: [now])
            return expired
        }
    }
}
