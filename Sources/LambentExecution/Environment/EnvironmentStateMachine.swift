/// The lifecycle of one execution environment, as a value with no I/O: events go in,
/// an `Action` for the owner to perform comes out.
///
/// ```
/// starting ─attached─▶ initializing ─ready─▶ idle ─invoke─▶ busy ─completed─▶ idle
///    │                      │                 │               │ retire
///    │ exited               │ initFailed,     │ exited,       ▼
///    │                      │ exited          │ retire     draining ─completed─▶ gone
///    ▼                      ▼                 ▼               │ exited, timedOut
///   gone ◀──────────────────┴─────────────────┴── busy: exited, timedOut ──┘
/// ```
/// `retire` (a code update, shutdown, idle reaping, maximum lifetime) destroys an idle
/// environment at once and lets a busy one finish first (`draining`). Retiring one that is
/// still starting or initializing sets `isRetiring`: the invocation that started it still
/// runs there, and then it goes.
///
/// The machine also knows whether the runtime is blocked in `/next` (`runtimeWaiting`), and so
/// whether an invocation it sent was taken (`isDelivered`). A runtime that exits before it
/// took the invocation never started it: `rerunAndDestroy` says to run it in a fresh
/// environment, as Lambda does when a warm environment's runtime died after its last
/// invocation.
public struct EnvironmentStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// The sandbox is launched; its control channel is not connected yet.
        /// Next: `initializing` (attached) or `gone` (exited).
        case starting
        /// The runtime is initializing. Next: `idle` (ready) or `gone` (init failure, exit).
        case initializing
        /// Warm and waiting. Next: `busy` or `draining` (invoke), or `gone` (exit, retire).
        case idle
        /// Running one invocation. Next: `idle` (completed), `draining` (retire), or `gone`
        /// (exit, timeout).
        case busy(requestID: String)
        /// Running its last invocation. Next: `gone`.
        case draining(requestID: String)
        /// Destroyed. No next state.
        case gone
    }

    public enum Event: Sendable, Hashable {
        /// The control channel is connected.
        case attached
        /// The runtime asked for its first invocation.
        case ready
        /// The runtime asked for its next invocation (after the first).
        case nextRequested
        case initFailed
        case invoke(requestID: String)
        case completed(requestID: String)
        case timedOut(requestID: String)
        case exited
        case retire
    }

    public enum Action: Sendable, Equatable {
        /// Nothing to do.
        case none
        /// Init finished: hand the environment to whoever waits for it.
        case initSucceeded
        /// Init failed or the runtime exited before it was ready: fail the waiter, destroy.
        case failInitAndDestroy
        /// Send the invocation to the agent.
        case sendInvoke
        /// Deliver the result; the environment is idle again.
        case finishInvoke
        /// Deliver the result, then destroy (it was draining).
        case finishInvokeThenDestroy
        /// The invocation failed with the environment (exit, timeout): fail it, destroy.
        case failInvokeAndDestroy
        /// The runtime exited before it took the invocation: run the invocation elsewhere, destroy.
        case rerunAndDestroy
        /// Destroy an idle environment.
        case destroy
    }

    /// An event the current state does not allow.
    public struct IllegalTransition: Error, Sendable, Equatable {
        public var state: State
        public var event: Event
    }

    public private(set) var state: State = .starting
    /// Set by `retire` before the environment was idle: it serves one invocation, then goes.
    public private(set) var isRetiring = false
    /// The runtime is blocked in `/next`: an invocation sent now reaches it at once.
    public private(set) var runtimeWaiting = false
    /// The current invocation was sent while the runtime was not asking for one, and it has
    /// not asked since.
    public private(set) var isAwaitingDelivery = false

    public init() {}

    /// Applies an event; throws (changing nothing) when the state does not allow it.
    public mutating func handle(_ event: Event) throws(IllegalTransition) -> Action {
        switch (state, event) {
        case (.gone, _):
            return .none

        case (.starting, .attached):
            state = .initializing
            return .none
        case (.starting, .exited), (.starting, .initFailed),
             (.initializing, .initFailed), (.initializing, .exited):
            state = .gone
            return .failInitAndDestroy
        case (.starting, .retire), (.initializing, .retire):
            isRetiring = true
            return .none

        case (.initializing, .ready):
            state = .idle
            runtimeWaiting = true
            return .initSucceeded

        case (.idle, .nextRequested):
            runtimeWaiting = true
            return .none
        case (.busy, .nextRequested), (.draining, .nextRequested):
            // The runtime took the invocation it had not yet asked for.
            isAwaitingDelivery = false
            return .none

        case (.idle, .invoke(let requestID)):
            state = isRetiring ? .draining(requestID: requestID) : .busy(requestID: requestID)
            isAwaitingDelivery = !runtimeWaiting
            runtimeWaiting = false
            return .sendInvoke
        case (.idle, .exited), (.idle, .retire):
            state = .gone
            return .destroy
        case (.idle, .timedOut):
            // A timer for an invocation that already finished.
            return .none

        case (.busy(let current), .completed(let requestID)) where current == requestID:
            state = .idle
            return .finishInvoke
        case (.draining(let current), .completed(let requestID)) where current == requestID:
            state = .gone
            return .finishInvokeThenDestroy
        case (.busy(let current), .timedOut(let requestID)) where current == requestID,
             (.draining(let current), .timedOut(let requestID)) where current == requestID:
            state = .gone
            return .failInvokeAndDestroy
        case (.busy, .exited), (.draining, .exited):
            state = .gone
            return isAwaitingDelivery ? .rerunAndDestroy : .failInvokeAndDestroy
        case (.busy(let requestID), .retire):
            state = .draining(requestID: requestID)
            return .none
        case (.draining, .retire), (.busy, .timedOut), (.draining, .timedOut):
            // Already going; or a timer for an earlier invocation.
            return .none

        default:
            throw IllegalTransition(state: state, event: event)
        }
    }
}
