import GRDB

extension SQLiteStore {
    /// A function's saved test events, by name.
    public func consoleTestEvents(function: String) async throws -> [(name: String, body: String)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, body FROM consoleTestEvent WHERE function = ? ORDER BY name", arguments: [function])
                .map { ($0["name"], $0["body"]) }
        }
    }

    /// Saves (or replaces) a test event of a function.
    public func saveConsoleTestEvent(function: String, name: String, body: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO consoleTestEvent (function, name, body) VALUES (?, ?, ?)",
                           arguments: [function, name, body])
        }
    }
}
