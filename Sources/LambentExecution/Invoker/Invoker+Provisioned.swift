import LambentModel
import LambentStore
import NIOCore
import Synchronization

/// What a provisioned-concurrency configuration asks of the execution side: `count`
/// environments of one function version, initialized ahead of demand.
public struct ProvisionedConcurrencyTarget: Sendable {
    /// Names the configuration, e.g. `my-function:live`.
    public var id: String
    /// The version the environments run (an alias's current version).
    public var function: FunctionRecord
    public var codeDirectory: String
    public var layersDirectory: String?
    public var count: Int

    public init(id: String, function: FunctionRecord, codeDirectory: String, layersDirectory: String?, count: Int) {
        self.id = id
        self.function = function
        self.codeDirectory = codeDirectory
        self.layersDirectory = layersDirectory
        self.count = count
    }
}

/// How far a configuration is: `ready` environments of `requested`, or why it failed.
public struct ProvisionedConcurrencyStatus: Sendable, Equatable {
    public var requested: Int
    public var ready: Int
    /// `FUNCTION_ERROR_INIT_FAILURE` when an environment failed to initialize.
    public var failure: String?
}

/// The configurations the invoker keeps environments for, and which environments are theirs.
final class ProvisionedTargets: Sendable {
    struct Entry {
        var target: ProvisionedConcurrencyTarget
        var ready: Set<String> = []
        var starting = 0
        var failure: String?
        /// Bumped when the target is replaced, so starts for an older one are discarded.
        var generation: Int
    }

    private let state = Mutex<(entries: [String: Entry], generation: Int)>(([:], 0))

    /// Whether some configuration keeps environments of `key`.
    func isProvisioned(_ key: EnvironmentKey) -> Bool {
        state.withLock { state in state.entries.values.contains { Invoker.key(for: $0.target.function) == key } }
    }

    /// Installs or replaces a target; returns the previous one's environments.
    func set(_ target: ProvisionedConcurrencyTarget) -> Set<String> {
        state.withLock { state in
            state.generation += 1
            let previous = state.entries[target.id]
            let sameVersion = previous.map { Invoker.key(for: $0.target.function) == Invoker.key(for: target.function) } ?? false
            var entry = Entry(target: target, generation: state.generation)
            if sameVersion, let previous {
                // Same environments, new count: keep them (retiring any beyond the count).
                entry.ready = previous.ready
                entry.starting = previous.starting
                entry.generation = previous.generation
                state.entries[target.id] = entry
                return []
            }
            state.entries[target.id] = entry
            return previous?.ready ?? []
        }
    }

    /// Removes the targets whose function version matches; returns their environments.
    func removeAll(where matches: (FunctionVersionID) -> Bool) -> Set<String> {
        state.withLock { state in
            var environments: Set<String> = []
            for (id, entry) in state.entries where matches(entry.target.function.configuration.versionID) {
                environments.formUnion(entry.ready)
                state.entries[id] = nil
            }
            return environments
        }
    }

    func remove(_ id: String) -> Set<String> {
        state.withLock { $0.entries.removeValue(forKey: id)?.ready ?? [] }
    }

    func status(_ id: String) -> ProvisionedConcurrencyStatus? {
        state.withLock { state in
            state.entries[id].map { ProvisionedConcurrencyStatus(requested: $0.target.count, ready: $0.ready.count, failure: $0.failure) }
        }
    }

    /// Reserves starts for what the target lacks; returns the target and how many to start.
    func claimStarts(_ id: String) -> (ProvisionedConcurrencyTarget, generation: Int, count: Int)? {
        state.withLock { state in
            guard var entry = state.entries[id], entry.failure == nil else { return nil }
            let missing = entry.target.count - entry.ready.count - entry.starting
            guard missing > 0 else { return nil }
            entry.starting += missing
            state.entries[id] = entry
            return (entry.target, entry.generation, missing)
        }
    }

    /// Records a start's outcome; false when the environment is no longer wanted.
    func started(_ id: String, generation: Int, environment: String?, failure: String?) -> Bool {
        state.withLock { state in
            guard var entry = state.entries[id], entry.generation == generation else { return false }
            entry.starting -= 1
            var wanted = false
            if let environment, entry.ready.count < entry.target.count {
                entry.ready.insert(environment)
                wanted = true
            }
            if let failure { entry.failure = failure }
            state.entries[id] = entry
            return wanted
        }
    }

    /// Forgets a dead environment; true when its target wants a replacement.
    func gone(_ environment: String, target id: String) -> Bool {
        state.withLock { state in
            guard var entry = state.entries[id], entry.ready.remove(environment) != nil else { return false }
            state.entries[id] = entry
            return entry.failure == nil
        }
    }

    /// Environments beyond a target's count (after it was lowered).
    func surplus(_ id: String) -> [String] {
        state.withLock { state in
            guard var entry = state.entries[id], entry.ready.count > entry.target.count else { return [] }
            let extra = Array(entry.ready.prefix(entry.ready.count - entry.target.count))
            for environment in extra { entry.ready.remove(environment) }
            state.entries[id] = entry
            return extra
        }
    }
}

extension Invoker: ProvisionedConcurrencyProvider {
    public func provisionedConcurrencyChanged(_ perFunction: [String: Int], carvedFromUnreserved: Int) {
        limiter.setProvisioned(perFunction, carvedFromUnreserved: carvedFromUnreserved)
    }

    /// Keeps `target.count` initialized environments of `target.function` for configuration
    /// `target.id`, replacing an earlier target of that id. Returns at once; `provisionedStatus`
    /// tells how far it is.
    public func provision(_ target: ProvisionedConcurrencyTarget) {
        retire(ids: provisioned.set(target))
        retire(ids: Set(provisioned.surplus(target.id)))
        fillProvisioned(target.id)
    }

    /// Stops keeping environments for a configuration (they are retired).
    public func deprovision(_ id: String) {
        retire(ids: provisioned.remove(id))
    }

    public func provisionedStatus(_ id: String) -> ProvisionedConcurrencyStatus? {
        provisioned.status(id)
    }

    private func retire(ids: Set<String>) {
        guard !ids.isEmpty else { return }
        for environment in pool.environments(where: { ids.contains($0.id) }) { environment.retire() }
    }

    func fillProvisioned(_ id: String) {
        guard !pool.isShuttingDown, let (target, generation, count) = provisioned.claimStarts(id) else { return }
        for _ in 0..<count {
            Task { await self.startProvisioned(target, generation: generation) }
        }
    }

    /// Starts and initializes one environment for a target, then leaves it idle in the pool.
    private func startProvisioned(_ target: ProvisionedConcurrencyTarget, generation: Int) async {
        let request = InvokeRequest(function: target.function, codeDirectory: target.codeDirectory, payload: ByteBuffer(),
                                    clientContext: nil, wantsLogTail: false, invokedFunctionARN: target.function.configuration.functionArn,
                                    layersDirectory: target.layersDirectory)
        let name = target.function.name
        do {
            try await startGate.acquire()
        } catch {
            _ = provisioned.started(target.id, generation: generation, environment: nil, failure: nil)
            return
        }
        let environment: Environment
        do {
            environment = try await startEnvironment(for: request, key: Self.key(for: target.function), provisionedFor: target.id)
        } catch {
            startGate.release()
            logger.warning("could not start a provisioned environment", metadata: ["lambent.function": "\(name)", "lambent.error": "\(error.message)"])
            _ = provisioned.started(target.id, generation: generation, environment: nil, failure: "FUNCTION_ERROR_INIT_FAILURE")
            return
        }
        let outcome = await environment.waitUntilReady(limit: TimeAmount(configuration.initLimit), eventLoop: eventLoopGroup.any())
        startGate.release()
        guard case .ready(let micros) = outcome else {
            observer.initialized(function: name, durationSeconds: 0, succeeded: false)
            environment.retire()
            _ = provisioned.started(target.id, generation: generation, environment: nil, failure: "FUNCTION_ERROR_INIT_FAILURE")
            return
        }
        observer.initialized(function: name, durationSeconds: Double(micros) / 1_000_000, succeeded: true)
        // The init happened ahead of demand: no invocation reports it.
        _ = environment.takeInitDuration()
        let now = configuration.clock.now()
        environment.markUsed(at: now)
        guard provisioned.started(target.id, generation: generation, environment: environment.id, failure: nil),
              pool.putIdle(environment) else {
            environment.retire()
            return
        }
        logger.debug("provisioned environment ready", metadata: ["lambent.function": "\(name)", "lambent.environment": "\(environment.id)"])
    }

    /// A provisioned environment died or was retired: start a replacement if it is still wanted.
    func provisionedEnvironmentGone(_ environment: Environment, target: String) {
        if provisioned.gone(environment.id, target: target) { fillProvisioned(target) }
    }
}
