import LambentStore
import Synchronization

/// Function records in memory, so that a warm invocation reads no database. Every change
/// goes through `FunctionService`, which writes the store first and then updates this cache.
///
/// A reader that missed fills the cache only if no change happened since it began reading
/// (a generation counter), so a slow reader can never put back a record that an update or a
/// delete has replaced meanwhile.
final class FunctionCache: Sendable {
    private struct State {
        var records: [String: FunctionRecord] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The cached record and the generation to pass to `fill` after a miss.
    func lookup(_ name: String) -> (record: FunctionRecord?, generation: UInt64) {
        state.withLock { ($0.records[name], $0.generation) }
    }

    /// Caches a record read from the store, unless anything changed since `generation`.
    func fill(_ record: FunctionRecord, readAt generation: UInt64) {
        state.withLock { state in
            if state.generation == generation, state.records[record.name] == nil {
                state.records[record.name] = record
            }
        }
    }

    /// Records a change: the function now has `record`, or is gone when nil.
    func changed(_ name: String, to record: FunctionRecord?) {
        state.withLock { state in
            state.generation &+= 1
            state.records[name] = record
        }
    }
}
