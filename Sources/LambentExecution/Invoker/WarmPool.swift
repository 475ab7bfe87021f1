import Synchronization

/// The environments of a server: every live one by id, and the idle ones by key, most
/// recently used last (so the warmest is reused first and the coldest are reaped).
final class WarmPool: Sendable {
    private struct State {
        var idle: [EnvironmentKey: [Environment]] = [:]
        var all: [String: Environment] = [:]
        var isShuttingDown = false
        /// Destroyed environments whose sandboxes are still being torn down.
        var tearingDown = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.all.count } }

    var isShuttingDown: Bool { state.withLock { $0.isShuttingDown } }

    /// Every live environment, in no order.
    var environments: [Environment] { state.withLock { Array($0.all.values) } }

    /// Adds a new environment (not idle yet: it serves the invocation that started it).
    func register(_ environment: Environment) {
        state.withLock { $0.all[environment.id] = environment }
    }

    /// Takes the most recently used idle environment for `key`, skipping dead ones.
    func takeIdle(_ key: EnvironmentKey) -> Environment? {
        state.withLock { state in
            while let environment = state.idle[key]?.popLast() {
                if !environment.isGone { return environment }
            }
            return nil
        }
    }

    /// Returns an environment to the idle set; false when the server is shutting down (the
    /// caller retires it instead).
    func putIdle(_ environment: Environment) -> Bool {
        state.withLock { state in
            if state.isShuttingDown { return false }
            state.idle[environment.key, default: []].append(environment)
            return true
        }
    }

    /// Removes idle environments for which `expired` holds, and returns them.
    func removeIdle(where expired: (Environment) -> Bool) -> [Environment] {
        state.withLock { state in
            var victims: [Environment] = []
            for (key, environments) in state.idle {
                var keep: [Environment] = []
                for environment in environments {
                    if expired(environment) { victims.append(environment) } else { keep.append(environment) }
                }
                state.idle[key] = keep.isEmpty ? nil : keep
            }
            return victims
        }
    }

    /// Live environments for which `matches` holds.
    func environments(where matches: (Environment) -> Bool) -> [Environment] {
        state.withLock { $0.all.values.filter(matches) }
    }

    /// Forgets a destroyed environment; its teardown is counted until `tornDown`.
    func forget(_ environment: Environment) {
        state.withLock { state in
            state.all[environment.id] = nil
            state.idle[environment.key]?.removeAll { $0 === environment }
            if state.idle[environment.key]?.isEmpty == true { state.idle[environment.key] = nil }
            state.tearingDown += 1
        }
    }

    func tornDown() {
        state.withLock { $0.tearingDown -= 1 }
    }

    /// Refuses further idle returns and hands back every live environment.
    func beginShutdown() -> [Environment] {
        state.withLock { state in
            state.isShuttingDown = true
            return Array(state.all.values)
        }
    }

    /// Whether every environment is gone and torn down.
    var isEmpty: Bool { state.withLock { $0.all.isEmpty && $0.tearingDown == 0 } }
}
