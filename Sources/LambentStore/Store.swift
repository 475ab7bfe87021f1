import LambentModel

/// Lambent's metadata store. One protocol, with SQLite now and PostgreSQL later, so that
/// both pass one conformance suite.
public protocol Store: Sendable {
    /// Inserts a new function; returns false when the name is taken.
    func insertFunction(_ record: FunctionRecord) async throws -> Bool
    /// The function with this name, if any.
    func function(named name: String) async throws -> FunctionRecord?
    /// Replaces a function's record inside one transaction: `change` sees the current record
    /// and returns the new one (or throws to abort). Returns nil when there is no such function.
    func updateFunction(
        named name: String, _ change: @Sendable (FunctionRecord) throws -> FunctionRecord
    ) async throws -> FunctionRecord?
    /// Deletes a function; returns the deleted record, or nil if there was none.
    func deleteFunction(named name: String) async throws -> FunctionRecord?
    /// Functions in name order, strictly after `marker`, at most `limit`.
    func listFunctions(after marker: String?, limit: Int) async throws -> [FunctionRecord]
    /// How many functions exist and the sum of their code sizes.
    func usage() async throws -> (functionCount: Int, totalCodeSize: Int)
    /// Whether any function still uses this code blob.
    func isCodeReferenced(_ codeKey: String) async throws -> Bool

    /// Appends log events (in one transaction).
    func appendLogEvents(_ events: [FunctionLogEvent]) async throws
    /// Log events of a group with id greater than `afterID`, oldest first, at most `limit`.
    func logEvents(group: String, afterID: Int64, limit: Int) async throws -> [FunctionLogEvent]
    /// Deletes a log group's events.
    func deleteLogGroup(_ group: String) async throws
}
