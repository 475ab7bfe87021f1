import LambentModel
import LambentStore
import Synchronization

/// Records in memory, so that a warm invocation reads no database: function versions by
/// `FunctionVersionID` (`FunctionCache`), aliases by `AliasID` (`AliasCache`). Every change
/// goes through `FunctionService`, which writes the store first and then updates the cache.
///
/// A reader that missed fills the cache only if no change happened since it began reading
/// (a generation counter), so a slow reader can never put back a record that an update or a
/// delete has replaced meanwhile.
final class RecordCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var records: [Key: Value] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The cached record and the generation to pass to `fill` after a miss.
    func lookup(_ key: Key) -> (record: Value?, generation: UInt64) {
        state.withLock { ($0.records[key], $0.generation) }
    }

    /// Caches a record read from the store, unless anything changed since `generation`.
    func fill(_ record: Value, for key: Key, readAt generation: UInt64) {
        state.withLock { state in
            if state.generation == generation, state.records[key] == nil {
                state.records[key] = record
            }
        }
    }

    /// Records a change: `key` now has `record`, or is gone when nil.
    func changed(_ key: Key, to record: Value?) {
        state.withLock { state in
            state.generation &+= 1
            state.records[key] = record
        }
    }

    /// Forgets every record whose key matches (a deleted function's versions or aliases).
    func removeAll(where matches: (Key) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.records = state.records.filter { !matches($0.key) }
        }
    }
}

/// Function versions by id.
typealias FunctionCache = RecordCache<FunctionVersionID, FunctionRecord>

extension RecordCache where Key == FunctionVersionID, Value == FunctionRecord {
    /// Caches a record read from the store, under its own version id.
    func fill(_ record: FunctionRecord, readAt generation: UInt64) {
        fill(record, for: record.configuration.versionID, readAt: generation)
    }

    /// Records a change of what belongs to the function rather than to one version (tags,
    /// reserved concurrency): every cached version of it is stale; `latest` is the new `$LATEST`.
    func functionChanged(_ latest: FunctionRecord) {
        deleted(latest.name)
        changed(latest.configuration.versionID, to: latest)
    }

    /// Records that a function is gone, with every version of it.
    func deleted(_ functionName: String) {
        removeAll { $0.functionName == functionName }
    }
}

/// An alias of a function.
struct AliasID: Hashable, Sendable {
    var functionName: String
    var name: String
}

/// Aliases by id.
typealias AliasCache = RecordCache<AliasID, AliasConfiguration>

/// A function's (or qualifier's) resource policy as last read; `policy` nil when it has none.
struct CachedPolicy: Sendable {
    var policy: ResourcePolicy?
}

/// Resource policies by function and qualifier.
typealias PolicyCache = RecordCache<FunctionSettingID, CachedPolicy>
