import NIOCore
import Synchronization

/// Limits how many environments start (launch and initialize) at once. A burst larger than
/// the machine can initialize within Lambda's 10 s init limit then waits its turn instead of
/// timing out: the limit counts from the start of each environment's init, not from the
/// arrival of its request. Waiters are served in arrival order.
final class StartGate: Sendable {
    private struct State {
        var available: Int
        var waiters = CircularBuffer<CheckedContinuation<Void, Never>>()
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(available: max(1, limit)))
    }

    /// How many environments may start at once on a machine with `cores` cores: enough to
    /// keep every core busy while others wait on I/O, few enough that each gets its share.
    static func defaultLimit(cores: Int) -> Int { max(4, 4 * cores) }

    /// Waits for a turn to start an environment.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    /// Ends a turn; the longest waiter goes next.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.available += 1
            return nil
        }
        next?.resume()
    }
}
