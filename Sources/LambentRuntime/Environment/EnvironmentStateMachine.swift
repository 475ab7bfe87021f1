/// The lifecycle of one execution environment, as a value with no I/O: events go in,
/// an `Action` for the owner to perform comes out.
///
/// ```
/// initializing ──ready──▶ idle ──invoke──▶ busy ──completed──▶ idle
///      │                   │                 │
///      │ initFailed/exited │ exited/retire   │ exited/timedOut
///      ▼                   ▼                 ▼
///     gone ◀───────────────┴─────────────────┘
/// ```
/// `retire` on a busy or initializing environment marks it, and it goes to `gone` instead of
/// `idle` when its work is done (code updates, shutdown, maximum lifetime).
public struct EnvironmentStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// The runtime is starting; next: `idle` (ready) or `gone` (init failure or exit).
        case initializing
        /// Warm and waiting; next: `busy` (invoke) or `gone` (exit, retire).
        case idle
        /// Running one invocation; next: `idle` (completed) or `gone` (exit, timeout, retire once done).
        case busy(requestID: String)
        /// Destroyed; no next state.
        case gone
    }

    public enum Event: Sendable, Equatable {
        case ready
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
        /// Init finished and the environment was retired meanwhile: destroy it.
        case initSucceededThenDestroy
        /// Init failed or the runtime exited during init: fail the waiter, destroy.
        case failInitAndDestroy
        /// Send the invocation to the agent.
        case sendInvoke
        /// Deliver the result; the environment is idle again.
        case finishInvoke
        /// Deliver the result, then destroy (it was retired while busy).
        case finishInvokeThenDestroy
        /// The invocation failed with the environment (exit, timeout): fail it, destroy.
        case failInvokeAndDestroy
        /// Destroy an idle environment.
        case destroy
    }

    /// An event the current state does not allow.
    public struct IllegalTransition: Error, Sendable, Equatable {
        public var state: State
        public var event: Event
    }

    public private(set) var state: State = .initializing
    /// Set by `retire`: the environment will not go back to `idle`.
    public private(set) var isRetiring = false

    public init() {}

    public mutating func handle(_ event: Event) throws(IllegalTransition) -> Action {
        switch (state, event) {
        case (.gone, _):
            return .none

        case (.initializing, .ready):
            if isRetiring {
                state = .gone
                return .initSucceededThenDestroy
            }
            state = .idle
            return .initSucceeded
        case (.initializing, .initFailed), (.initializing, .exited):
            state = .gone
            return .failInitAndDestroy
        case (.initializing, .retire), (.busy, .retire):
            isRetiring = true
            return .none

        case (.idle, .invoke(let requestID)):
            state = .busy(requestID: requestID)
            return .sendInvoke
        case (.idle, .exited), (.idle, .retire):
            state = .gone
            return .destroy

        case (.busy(let current), .completed(let requestID)) where current == requestID:
            if isRetiring {
                state = .gone
                return .finishInvokeThenDestroy
            }
            state = .idle
            return .finishInvoke
        case (.busy(let current), .timedOut(let requestID)) where current == requestID:
            state = .gone
            return .failInvokeAndDestroy
        case (.busy, .exited):
            state = .gone
            return .failInvokeAndDestroy
        case (.busy, .timedOut):
            // A timer for an invocation that already finished.
            return .none

        default:
            throw IllegalTransition(state: state, event: event)
        }
    }
}
