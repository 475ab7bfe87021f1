import Synchronization

/// Lambda's concurrency accounting. The account has a limit of concurrent executions; a
/// function with reserved concurrency may run up to its reservation (and no more), and
/// reservations are carved out of the account: functions without one share what is left,
/// the unreserved pool.
///
/// ```swift
/// let limiter = ConcurrencyLimiter(accountLimit: 1000)
/// guard case .admitted(let permit) = limiter.acquire(function: "f", reserved: nil) else { /* 429 */ }
/// defer { limiter.release(permit) }
/// ```
public final class ConcurrencyLimiter: Sendable {
    /// Why an invocation was throttled, as Lambda's `Reason` says it.
    public enum ThrottleReason: String, Sendable {
        case reservedFunctionLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
        case accountLimit = "ConcurrentInvocationLimitExceeded"
    }

    /// A counted execution; hand it back to `release` exactly once.
    public struct Permit: Sendable {
        enum Pool: Sendable { case reserved, provisioned, unreserved }
        let function: String
        let pool: Pool
        /// The function's executions in flight with this one, when it was admitted.
        public let concurrency: Int
    }

    public enum Admission: Sendable {
        case admitted(Permit)
        case throttled(ThrottleReason)
    }

    private struct State {
        var accountLimit: Int
        var reservedTotal = 0
        var unreservedInFlight = 0
        var inFlight: [String: Int] = [:]
        /// Provisioned concurrency per function, and what of it is carved out of the
        /// unreserved pool (that of functions without a reservation).
        var provisioned: [String: Int] = [:]
        var provisionedCarveOut = 0
        var provisionedInFlight: [String: Int] = [:]
    }

    private let state: Mutex<State>

    public init(accountLimit: Int) {
        state = Mutex(State(accountLimit: accountLimit))
    }

    /// The account's limit of concurrent executions.
    public var accountLimit: Int { state.withLock { $0.accountLimit } }

    /// Concurrency left to functions without a reservation.
    public var unreservedLimit: Int {
        state.withLock { max(0, $0.accountLimit - $0.reservedTotal - $0.provisionedCarveOut) }
    }

    /// Sets the sum of all functions' reservations.
    public func setReservedTotal(_ total: Int) {
        state.withLock { $0.reservedTotal = total }
    }

    /// Sets each function's provisioned concurrency and the part of it taken from the
    /// unreserved pool. A function without a reservation runs up to its provisioned
    /// concurrency outside the unreserved pool, and spills into it beyond.
    public func setProvisioned(_ perFunction: [String: Int], carvedFromUnreserved: Int) {
        state.withLock { state in
            state.provisioned = perFunction
            state.provisionedCarveOut = carvedFromUnreserved
        }
    }

    /// Counts one more execution of `function`, or says why it may not run now.
    public func acquire(function: String, reserved: Int?) -> Admission {
        state.withLock { state in
            let running = state.inFlight[function, default: 0]
            if let reserved {
                guard running < reserved else { return .throttled(.reservedFunctionLimit) }
                state.inFlight[function] = running + 1
                return .admitted(Permit(function: function, pool: .reserved, concurrency: running + 1))
            }
            let provisionedRunning = state.provisionedInFlight[function, default: 0]
            if provisionedRunning < state.provisioned[function, default: 0] {
                state.provisionedInFlight[function] = provisionedRunning + 1
                state.inFlight[function] = running + 1
                return .admitted(Permit(function: function, pool: .provisioned, concurrency: running + 1))
            }
            guard state.unreservedInFlight < state.accountLimit - state.reservedTotal - state.provisionedCarveOut else {
                return .throttled(.accountLimit)
            }
            state.unreservedInFlight += 1
            state.inFlight[function] = running + 1
            return .admitted(Permit(function: function, pool: .unreserved, concurrency: running + 1))
        }
    }

    /// Ends an execution counted by `acquire`.
    public func release(_ permit: Permit) {
        state.withLock { state in
            switch permit.pool {
            case .unreserved:
                state.unreservedInFlight -= 1
            case .provisioned:
                let running = state.provisionedInFlight[permit.function, default: 1] - 1
                state.provisionedInFlight[permit.function] = running > 0 ? running : nil
            case .reserved:
                break
            }
            let running = state.inFlight[permit.function, default: 1] - 1
            state.inFlight[permit.function] = running > 0 ? running : nil
        }
    }

    /// Executions in flight per function.
    public func inFlight() -> [String: Int] {
        state.withLock { $0.inFlight }
    }
}
