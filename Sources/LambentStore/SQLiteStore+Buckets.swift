import Foundation
import GRDB

extension SQLiteStore {
    /// Every bucket's notification configuration document, by bucket.
    public func bucketNotifications() async throws -> [String: Data] {
        try await pool.read { db in
            var documents: [String: Data] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT bucket, document FROM bucketNotification") {
                documents[row["bucket"]] = row["document"]
            }
            return documents
        }
    }

    /// Stores a bucket's configuration, or removes it when `document` is nil.
    public func setBucketNotification(_ bucket: String, document: Data?) async throws {
        try await pool.write { db in
            if let document {
                try db.execute(sql: "INSERT OR REPLACE INTO bucketNotification (bucket, document) VALUES (?, ?)",
                               arguments: [bucket, document])
            } else {
                try db.execute(sql: "DELETE FROM bucketNotification WHERE bucket = ?", arguments: [bucket])
            }
        }
    }
}
