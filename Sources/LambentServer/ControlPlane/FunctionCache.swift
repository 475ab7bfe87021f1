import LambentModel
import LambentStore
import Synchronization

/// Function records in memory, by function version, so that a warm invocation reads no database. Every change
/// goes through `FunctionService`, which writes the store first and then updates this cache.
///
/// A reader that missed fills the cache only if no change happened since it began reading
/// (a generation counter), so a slow reader can never put back a record that an update or a
/// delete has replaced meanwhile.
final class FunctionCache: Sendable {
    private struct State {
        var records: [FunctionVersionID: FunctionRecord] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The cached record and the generation to pass to `fill` after a miss.
    func lookup(_ id: FunctionVersionID) -> (record: FunctionRecord?, generation: UInt64) {
        state.withLock { ($0.records[id], $0.generation) }
    }

    /// Caches a record read from the store, unless anything changed since `generation`.
    func fill(_ record: FunctionRecord, readAt generation: UInt64) {
        state.withLock { state in
            let id = record.configuration.versionID
            if state.generation == generation, state.records[id] == nil {
                state.records[id] = record
            }
        }
    }

    /// Records a change of one version: it now has `record`, or is gone when nil.
    func changed(_ id: FunctionVersionID, to record: FunctionRecord?) {
        state.withLock { state in
            state.generation &+= 1
            state.records[id] = record
        }
    }

    /// Records that a function is gone, with every version of it.
    func deleted(_ functionName: String) {
        state.withLock { state in
            state.generation &+= 1
            state.records = state.records.filter { $0.key.functionName != functionName }
        }
    }
}
