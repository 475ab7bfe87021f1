import LambentControl
@testable import LambentAgentCore
import NIOCore
import Testing

private func invocation(_ id: String) -> Invocation {
    Invocation(
        requestID: id, deadlineMs: 1, invokedFunctionARN: "arn", traceID: "",
        clientContext: nil, cognitoIdentity: nil, payload: ByteBuffer(string: id)
    )
}

/// The states worth distinguishing: phase × pending invocation × parked `/next`.
enum Start: String, CaseIterable, Sendable {
    case initializing, initializingWithPending, initFailed
    case readyParked, running, runningParked, responded, respondedParked

    var machine: InvocationStateMachine {
        var machine = InvocationStateMachine()
        switch self {
        case .initializing: break
        case .initializingWithPending: _ = machine.invocationArrived(invocation("q"))
        case .initFailed: _ = machine.initErrorStarted()
        case .readyParked: _ = machine.nextRequested()
        case .running:
            _ = machine.nextRequested(); _ = machine.invocationArrived(invocation("a"))
        case .runningParked:
            _ = machine.nextRequested(); _ = machine.invocationArrived(invocation("a")); _ = machine.nextRequested()
        case .responded:
            _ = machine.nextRequested(); _ = machine.invocationArrived(invocation("a"))
            _ = machine.responseStarted(requestID: "a")
        case .respondedParked:
            _ = machine.nextRequested(); _ = machine.invocationArrived(invocation("a"))
            _ = machine.responseStarted(requestID: "a"); _ = machine.nextRequested()
        }
        return machine
    }
}

enum Event: String, CaseIterable, Sendable {
    case invoke, next, responseCurrent, responseOther, errorCurrent, initError, cancelParked

    func apply(to machine: inout InvocationStateMachine) -> InvocationStateMachine.Action {
        switch self {
        case .invoke: machine.invocationArrived(invocation("b"))
        case .next: machine.nextRequested()
        case .responseCurrent: machine.responseStarted(requestID: "a")
        case .responseOther: machine.responseStarted(requestID: "zzz")
        case .errorCurrent: machine.errorStarted(requestID: "a")
        case .initError: machine.initErrorStarted()
        case .cancelParked: machine.parkedNextCancelled()
        }
    }
}

private func forbidden(_ from: String, _ to: String) -> InvocationStateMachine.Action {
    .reject(.invalidStateTransition(from: from, to: to))
}

/// Expected action and resulting phase for every state × event.
private let table: [Start: [Event: (InvocationStateMachine.Action, InvocationStateMachine.Phase)]] = [
    .initializing: [
        .invoke: (.none, .initializing),
        .next: (.reportReadyAndPark, .ready),
        .responseCurrent: (.reject(.invalidRequestID), .initializing),
        .responseOther: (.reject(.invalidRequestID), .initializing),
        .errorCurrent: (.reject(.invalidRequestID), .initializing),
        .initError: (.accept, .initFailed),
        .cancelParked: (.none, .initializing),
    ],
    .initializingWithPending: [
        .invoke: (.refuseInvocation(invocation("b")), .initializing),
        .next: (.reportReadyAndDeliver(invocation("q")), .running(requestID: "q")),
        .responseCurrent: (.reject(.invalidRequestID), .initializing),
        .responseOther: (.reject(.invalidRequestID), .initializing),
        .errorCurrent: (.reject(.invalidRequestID), .initializing),
        .initError: (.accept, .initFailed),
        .cancelParked: (.none, .initializing),
    ],
    .initFailed: [
        .invoke: (.refuseInvocation(invocation("b")), .initFailed),
        .next: (forbidden("InitError", "Ready"), .initFailed),
        .responseCurrent: (.reject(.invalidRequestID), .initFailed),
        .responseOther: (.reject(.invalidRequestID), .initFailed),
        .errorCurrent: (.reject(.invalidRequestID), .initFailed),
        .initError: (forbidden("InitError", "InitError"), .initFailed),
        .cancelParked: (.none, .initFailed),
    ],
    .readyParked: [
        .invoke: (.deliver(invocation("b")), .running(requestID: "b")),
        .next: (forbidden("Ready", "Ready"), .ready),
        .responseCurrent: (.reject(.invalidRequestID), .ready),
        .responseOther: (.reject(.invalidRequestID), .ready),
        .errorCurrent: (.reject(.invalidRequestID), .ready),
        .initError: (forbidden("Ready", "InitError"), .ready),
        .cancelParked: (.none, .ready),
    ],
    .running: [
        .invoke: (.none, .running(requestID: "a")),
        .next: (.park, .running(requestID: "a")),
        .responseCurrent: (.accept, .responded(requestID: "a")),
        .responseOther: (.reject(.invalidRequestID), .running(requestID: "a")),
        .errorCurrent: (.accept, .responded(requestID: "a")),
        .initError: (forbidden("Ready", "InitError"), .running(requestID: "a")),
        .cancelParked: (.none, .running(requestID: "a")),
    ],
    .runningParked: [
        .invoke: (.none, .running(requestID: "a")),
        .next: (forbidden("Ready", "Ready"), .running(requestID: "a")),
        .responseCurrent: (.accept, .responded(requestID: "a")),
        .responseOther: (.reject(.invalidRequestID), .running(requestID: "a")),
        .errorCurrent: (.accept, .responded(requestID: "a")),
        .initError: (forbidden("Ready", "InitError"), .running(requestID: "a")),
        .cancelParked: (.none, .running(requestID: "a")),
    ],
    .responded: [
        .invoke: (.none, .responded(requestID: "a")),
        .next: (.park, .ready),
        .responseCurrent: (forbidden("RuntimeResponseSentState", "InvocationResponse"), .responded(requestID: "a")),
        .responseOther: (.reject(.invalidRequestID), .responded(requestID: "a")),
        .errorCurrent: (forbidden("RuntimeResponseSentState", "InvocationErrorResponse"), .responded(requestID: "a")),
        .initError: (forbidden("RuntimeResponseSentState", "InitError"), .responded(requestID: "a")),
        .cancelParked: (.none, .responded(requestID: "a")),
    ],
    .respondedParked: [
        .invoke: (.deliver(invocation("b")), .running(requestID: "b")),
        .next: (forbidden("Ready", "Ready"), .ready),
        .responseCurrent: (.reject(.invalidRequestID), .ready),
        .responseOther: (.reject(.invalidRequestID), .ready),
        .errorCurrent: (.reject(.invalidRequestID), .ready),
        .initError: (forbidden("Ready", "InitError"), .ready),
        .cancelParked: (.none, .ready),
    ],
]

@Suite("Invocation state machine")
struct InvocationStateMachineTests {
    @Test("state × event table", arguments: Start.allCases, Event.allCases)
    func transition(start: Start, event: Event) throws {
        let expected = try #require(table[start]?[event], "missing table entry")
        var machine = start.machine
        let action = event.apply(to: &machine)
        #expect(action == expected.0)
        #expect(machine.phase == expected.1)
    }

    @Test("a queued invocation is delivered on the next /next, then the queue is free")
    func queueing() {
        var machine = InvocationStateMachine()
        #expect(machine.nextRequested() == .reportReadyAndPark)
        #expect(machine.invocationArrived(invocation("a")) == .deliver(invocation("a")))
        #expect(machine.responseStarted(requestID: "a") == .accept)
        #expect(machine.invocationArrived(invocation("b")) == .none)
        #expect(machine.pendingInvocation == invocation("b"))
        #expect(machine.nextRequested() == .deliver(invocation("b")))
        #expect(machine.pendingInvocation == nil)
        #expect(machine.errorStarted(requestID: "b") == .accept)
        #expect(machine.nextRequested() == .park)
        #expect(machine.isNextParked)
        #expect(machine.parkedNextCancelled() == .none)
        #expect(!machine.isNextParked)
        #expect(machine.invocationArrived(invocation("c")) == .none)
        #expect(machine.nextRequested() == .deliver(invocation("c")))
    }

    @Test("an empty request id is never the current one")
    func emptyID() {
        var machine = InvocationStateMachine()
        #expect(machine.responseStarted(requestID: "") == .reject(.invalidRequestID))
    }
}
