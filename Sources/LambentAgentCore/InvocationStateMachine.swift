import LambentControl

/// The Runtime API's view of one runtime: which calls it may make now.
///
/// A pure value: every event returns an ``Action`` that the owner performs. The phases and
/// their names follow RIE's runtime state machine (`internal/lambda/core/states.go`), so a
/// refused call gets RIE's exact 403 message.
///
/// ```
/// initializing ──/next──▶ ready ──invoke──▶ running ──/response|/error──▶ responded ──/next──▶ ready …
///      │                                                                        
///      └──/init/error──▶ initFailed
/// ```
/// Independently of the phase, at most one invocation waits for the runtime
/// (``pendingInvocation``) and at most one `/next` waits for an invocation (``isNextParked``).
public struct InvocationStateMachine: Sendable, Equatable {
    /// Where the runtime is in its lifecycle.
    public enum Phase: Sendable, Equatable {
        /// Spawned, no `/next` yet. Next: ready (via `/next`), initFailed.
        case initializing
        /// Posted `/init/error`. Terminal: the server destroys the environment.
        case initFailed
        /// Asked for work, none in flight. Next: running.
        case ready
        /// Received this invocation, has not answered. Next: responded.
        case running(requestID: String)
        /// Answered this invocation. Next: running (a parked `/next` gets work), ready.
        case responded(requestID: String)

        /// RIE's name for the state, used in 403 messages.
        var rieName: String {
            switch self {
            case .initializing: "Started"
            case .initFailed: "InitError"
            case .ready, .running: "Ready"
            case .responded: "RuntimeResponseSentState"
            }
        }
    }

    /// What the owner must do after an event.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Answer the parked `/next` (or the one just received) with this invocation.
        case deliver(Invocation)
        /// Keep the `/next` request open until an invocation arrives.
        case park
        /// The first `/next`: report `ready` to the server, then deliver.
        case reportReadyAndDeliver(Invocation)
        /// The first `/next`: report `ready` to the server, then park.
        case reportReadyAndPark
        /// Accept the request: read its body and report it when it ends.
        case accept
        /// Answer the request with this error.
        case reject(RuntimeAPIError)
        /// Tell the server this invocation cannot be taken.
        case refuseInvocation(Invocation)
    }

    /// The runtime's phase.
    public private(set) var phase: Phase = .initializing
    /// The invocation waiting for the runtime's next `/next`.
    public private(set) var pendingInvocation: Invocation?
    /// Whether a `/next` request is waiting for an invocation.
    public private(set) var isNextParked = false

    /// Creates a state machine for a runtime that was just spawned.
    public init() {}

    /// The id that `/response` and `/error` must name (RIE's current invoke id).
    public var currentRequestID: String? {
        switch phase {
        case .running(let id), .responded(let id): id
        case .initializing, .initFailed, .ready: nil
        }
    }

    /// The server sent an invocation.
    public mutating func invocationArrived(_ invocation: Invocation) -> Action {
        switch phase {
        case .initFailed:
            return .refuseInvocation(invocation)
        case .ready, .responded:
            if isNextParked {
                isNextParked = false
                phase = .running(requestID: invocation.requestID)
                return .deliver(invocation)
            }
            fallthrough
        case .initializing, .running:
            guard pendingInvocation == nil else { return .refuseInvocation(invocation) }
            pendingInvocation = invocation
            return .none
        }
    }

    /// The runtime called `GET /runtime/invocation/next`.
    public mutating func nextRequested() -> Action {
        switch phase {
        case .initFailed:
            return .reject(.invalidStateTransition(from: phase.rieName, to: "Ready"))
        case .initializing:
            phase = .ready
            if let invocation = takePending() { return .reportReadyAndDeliver(invocation) }
            isNextParked = true
            return .reportReadyAndPark
        case .ready, .responded:
            guard !isNextParked else {
                return .reject(.invalidStateTransition(from: phase.rieName, to: "Ready"))
            }
            if let invocation = takePending() { return .deliver(invocation) }
            phase = .ready
            isNextParked = true
            return .park
        case .running:
            // RIE lets the call block; the unanswered invocation runs into its deadline.
            guard !isNextParked else {
                return .reject(.invalidStateTransition(from: phase.rieName, to: "Ready"))
            }
            isNextParked = true
            return .park
        }
    }

    /// The parked `/next` went away (its connection closed).
    public mutating func parkedNextCancelled() -> Action {
        isNextParked = false
        return .none
    }

    /// The runtime started `POST /runtime/invocation/{id}/response`.
    public mutating func responseStarted(requestID: String) -> Action {
        answerStarted(requestID: requestID, rieTarget: "InvocationResponse")
    }

    /// The runtime started `POST /runtime/invocation/{id}/error`.
    public mutating func errorStarted(requestID: String) -> Action {
        answerStarted(requestID: requestID, rieTarget: "InvocationErrorResponse")
    }

    /// The runtime started `POST /runtime/init/error`.
    public mutating func initErrorStarted() -> Action {
        guard case .initializing = phase else {
            return .reject(.invalidStateTransition(from: phase.rieName, to: "InitError"))
        }
        phase = .initFailed
        return .accept
    }

    private mutating func answerStarted(requestID: String, rieTarget: String) -> Action {
        // RIE validates the id (400) before the state transition (403).
        guard !requestID.isEmpty, requestID == currentRequestID else {
            return .reject(.invalidRequestID)
        }
        guard case .running = phase else {
            return .reject(.invalidStateTransition(from: phase.rieName, to: rieTarget))
        }
        phase = .responded(requestID: requestID)
        return .accept
    }

    private mutating func takePending() -> Invocation? {
        guard let invocation = pendingInvocation else { return nil }
        pendingInvocation = nil
        phase = .running(requestID: invocation.requestID)
        return invocation
    }
}
