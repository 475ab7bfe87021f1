import LambentExecution
import Testing

/// Every state × event, in the style of RIE's `core/states_test.go`: each row names where the
/// machine starts, what happens, and what must come out (new state, retiring flag, action) or
/// that the transition is illegal and leaves the machine untouched.
@Suite("EnvironmentStateMachine")
struct EnvironmentStateMachineTests {
    typealias Machine = EnvironmentStateMachine
    typealias State = Machine.State
    typealias Event = Machine.Event
    typealias Action = Machine.Action

    /// A state the machine can be in, with how to get there from a fresh machine.
    enum Start: String, CaseIterable, Sendable {
        case starting, startingRetiring, initializing, initializingRetiring, idle, idleRetiring
        case busy, draining, drainingFromRetiredInit, gone, goneRetiring

        var path: [Event] {
            switch self {
            case .starting: []
            case .startingRetiring: [.retire]
            case .initializing: [.attached]
            case .initializingRetiring: [.attached, .retire]
            case .idle: [.attached, .ready]
            case .idleRetiring: [.attached, .retire, .ready]
            case .busy: [.attached, .ready, .invoke(requestID: "a")]
            case .draining: [.attached, .ready, .invoke(requestID: "a"), .retire]
            case .drainingFromRetiredInit: [.attached, .retire, .ready, .invoke(requestID: "a")]
            case .gone: [.attached, .initFailed]
            case .goneRetiring: [.attached, .retire, .exited]
            }
        }

        var state: State {
            switch self {
            case .starting, .startingRetiring: .starting
            case .initializing, .initializingRetiring: .initializing
            case .idle, .idleRetiring: .idle
            case .busy: .busy(requestID: "a")
            case .draining, .drainingFromRetiredInit: .draining(requestID: "a")
            case .gone, .goneRetiring: .gone
            }
        }

        var isRetiring: Bool {
            switch self {
            case .startingRetiring, .initializingRetiring, .idleRetiring, .drainingFromRetiredInit, .goneRetiring: true
            default: false
            }
        }

        func machine() throws -> Machine {
            var machine = Machine()
            for event in path { _ = try machine.handle(event) }
            return machine
        }
    }

    /// Every event, with request ids that match ("a") and do not match ("b") the busy one.
    static let events: [Event] = [
        .attached, .ready, .nextRequested, .initFailed,
        .invoke(requestID: "a"), .invoke(requestID: "b"),
        .completed(requestID: "a"), .completed(requestID: "b"),
        .timedOut(requestID: "a"), .timedOut(requestID: "b"),
        .exited, .retire,
    ]

    enum Outcome: Equatable, Sendable {
        case transition(State, retiring: Bool, Action)
        case illegal
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var start: Start
        var event: Event
        var outcome: Outcome
        var testDescription: String { "\(start.rawValue) + \(event)" }
    }

    static func row(_ start: Start, _ event: Event, _ outcome: Outcome) -> Row {
        Row(start: start, event: event, outcome: outcome)
    }

    static let busyA = State.busy(requestID: "a")
    static let busyB = State.busy(requestID: "b")

    static let drainingA = State.draining(requestID: "a")
    static let drainingB = State.draining(requestID: "b")

    /// Rows for a state from which only some events are legal; every other event is illegal.
    static func rows(_ start: Start, _ legal: [Event: Outcome]) -> [Row] {
        events.map { row(start, $0, legal[$0] ?? .illegal) }
    }

    static let table: [Row] =
        rows(.starting, [
            .attached: .transition(.initializing, retiring: false, .none),
            .initFailed: .transition(.gone, retiring: false, .failInitAndDestroy),
            .exited: .transition(.gone, retiring: false, .failInitAndDestroy),
            .retire: .transition(.starting, retiring: true, .none),
        ])
        + rows(.startingRetiring, [
            .attached: .transition(.initializing, retiring: true, .none),
            .initFailed: .transition(.gone, retiring: true, .failInitAndDestroy),
            .exited: .transition(.gone, retiring: true, .failInitAndDestroy),
            .retire: .transition(.starting, retiring: true, .none),
        ])
        + rows(.initializing, [
            .ready: .transition(.idle, retiring: false, .initSucceeded),
            .initFailed: .transition(.gone, retiring: false, .failInitAndDestroy),
            .exited: .transition(.gone, retiring: false, .failInitAndDestroy),
            .retire: .transition(.initializing, retiring: true, .none),
        ])
        + rows(.initializingRetiring, [
            // The invocation that started it still runs there.
            .ready: .transition(.idle, retiring: true, .initSucceeded),
            .initFailed: .transition(.gone, retiring: true, .failInitAndDestroy),
            .exited: .transition(.gone, retiring: true, .failInitAndDestroy),
            .retire: .transition(.initializing, retiring: true, .none),
        ])
        + rows(.idle, [
            .nextRequested: .transition(.idle, retiring: false, .none),
            .invoke(requestID: "a"): .transition(busyA, retiring: false, .sendInvoke),
            .invoke(requestID: "b"): .transition(busyB, retiring: false, .sendInvoke),
            .timedOut(requestID: "a"): .transition(.idle, retiring: false, .none),
            .timedOut(requestID: "b"): .transition(.idle, retiring: false, .none),
            .exited: .transition(.gone, retiring: false, .destroy),
            .retire: .transition(.gone, retiring: false, .destroy),
        ])
        + rows(.idleRetiring, [
            .nextRequested: .transition(.idle, retiring: true, .none),
            .invoke(requestID: "a"): .transition(drainingA, retiring: true, .sendInvoke),
            .invoke(requestID: "b"): .transition(drainingB, retiring: true, .sendInvoke),
            .timedOut(requestID: "a"): .transition(.idle, retiring: true, .none),
            .timedOut(requestID: "b"): .transition(.idle, retiring: true, .none),
            .exited: .transition(.gone, retiring: true, .destroy),
            .retire: .transition(.gone, retiring: true, .destroy),
        ])
        + rows(.busy, [
            .nextRequested: .transition(busyA, retiring: false, .none),
            .completed(requestID: "a"): .transition(.idle, retiring: false, .finishInvoke),
            .timedOut(requestID: "a"): .transition(.gone, retiring: false, .failInvokeAndDestroy),
            .timedOut(requestID: "b"): .transition(busyA, retiring: false, .none),
            .exited: .transition(.gone, retiring: false, .failInvokeAndDestroy),
            .retire: .transition(drainingA, retiring: false, .none),
        ])
        + rows(.draining, [
            .nextRequested: .transition(drainingA, retiring: false, .none),
            .completed(requestID: "a"): .transition(.gone, retiring: false, .finishInvokeThenDestroy),
            .timedOut(requestID: "a"): .transition(.gone, retiring: false, .failInvokeAndDestroy),
            .timedOut(requestID: "b"): .transition(drainingA, retiring: false, .none),
            .exited: .transition(.gone, retiring: false, .failInvokeAndDestroy),
            .retire: .transition(drainingA, retiring: false, .none),
        ])
        + rows(.drainingFromRetiredInit, [
            .nextRequested: .transition(drainingA, retiring: true, .none),
            .completed(requestID: "a"): .transition(.gone, retiring: true, .finishInvokeThenDestroy),
            .timedOut(requestID: "a"): .transition(.gone, retiring: true, .failInvokeAndDestroy),
            .timedOut(requestID: "b"): .transition(drainingA, retiring: true, .none),
            .exited: .transition(.gone, retiring: true, .failInvokeAndDestroy),
            .retire: .transition(drainingA, retiring: true, .none),
        ])
        // gone absorbs every event (late frames, timers and retires after destruction).
        + events.map { row(.gone, $0, .transition(.gone, retiring: false, .none)) }
        + events.map { row(.goneRetiring, $0, .transition(.gone, retiring: true, .none)) }

    @Test("state × event", arguments: table)
    func transition(_ row: Row) throws {
        var machine = try row.start.machine()
        #expect(machine.state == row.start.state)
        #expect(machine.isRetiring == row.start.isRetiring)
        let before = machine
        switch row.outcome {
        case .transition(let state, let retiring, let action):
            #expect(try machine.handle(row.event) == action)
            #expect(machine.state == state)
            #expect(machine.isRetiring == retiring)
        case .illegal:
            let error = #expect(throws: Machine.IllegalTransition.self) {
                try machine.handle(row.event)
            }
            #expect(error?.state == row.start.state)
            #expect(error?.event == row.event)
            #expect(machine == before, "an illegal event must leave the machine as it was")
        }
    }

    @Test("the table covers every state and every event exactly once")
    func tableIsExhaustive() {
        #expect(Self.table.count == Start.allCases.count * Self.events.count)
        for start in Start.allCases {
            let rows = Self.table.filter { $0.start == start }
            #expect(rows.map(\.event) == Self.events, "\(start)")
        }
    }

    @Test("a fresh machine is starting and not retiring")
    func fresh() {
        let machine = Machine()
        #expect(machine.state == .starting)
        #expect(!machine.isRetiring)
    }

    @Test("serves invocations one after another")
    func warmReuse() throws {
        var machine = Machine()
        #expect(try machine.handle(.attached) == .none)
        #expect(try machine.handle(.ready) == .initSucceeded)
        for id in ["r1", "r2", "r3"] {
            #expect(try machine.handle(.invoke(requestID: id)) == .sendInvoke)
            #expect(try machine.handle(.completed(requestID: id)) == .finishInvoke)
        }
        #expect(machine.state == .idle)
    }

    @Test("a timer of an earlier invocation does not fail the current one")
    func staleTimer() throws {
        var machine = Machine()
        _ = try machine.handle(.attached)
        _ = try machine.handle(.ready)
        _ = try machine.handle(.invoke(requestID: "r1"))
        _ = try machine.handle(.completed(requestID: "r1"))
        _ = try machine.handle(.invoke(requestID: "r2"))
        #expect(try machine.handle(.timedOut(requestID: "r1")) == .none)
        #expect(machine.state == .busy(requestID: "r2"))
        #expect(try machine.handle(.completed(requestID: "r2")) == .finishInvoke)
    }

    @Test("an invocation the runtime never took reruns in a fresh environment")
    func undeliveredInvocationReruns() throws {
        var machine = Machine()
        _ = try machine.handle(.attached)
        _ = try machine.handle(.ready)
        #expect(machine.runtimeWaiting)
        _ = try machine.handle(.invoke(requestID: "r1"))
        #expect(!machine.isAwaitingDelivery, "the runtime was blocked in /next: it took r1 at once")
        _ = try machine.handle(.completed(requestID: "r1"))
        // The runtime has not asked for its next invocation yet (it died after r1).
        #expect(!machine.runtimeWaiting)
        #expect(try machine.handle(.invoke(requestID: "r2")) == .sendInvoke)
        #expect(machine.isAwaitingDelivery)
        #expect(try machine.handle(.exited) == .rerunAndDestroy)
        #expect(machine.state == .gone)
    }

    @Test("an invocation the runtime took fails with the runtime")
    func deliveredInvocationFails() throws {
        var machine = Machine()
        for event: Event in [.attached, .ready, .invoke(requestID: "r1"), .completed(requestID: "r1"), .invoke(requestID: "r2")] {
            _ = try machine.handle(event)
        }
        // The runtime asks for its next invocation after r2 was sent: it takes r2.
        #expect(try machine.handle(.nextRequested) == .none)
        #expect(!machine.isAwaitingDelivery)
        #expect(try machine.handle(.exited) == .failInvokeAndDestroy)
    }

    @Test("a runtime that asked again before the next invocation takes it at once")
    func waitingRuntimeTakesTheNextInvocation() throws {
        var machine = Machine()
        for event: Event in [.attached, .ready, .invoke(requestID: "r1"), .completed(requestID: "r1"), .nextRequested] {
            _ = try machine.handle(event)
        }
        #expect(machine.runtimeWaiting)
        _ = try machine.handle(.invoke(requestID: "r2"))
        #expect(!machine.isAwaitingDelivery)
        #expect(try machine.handle(.exited) == .failInvokeAndDestroy)
    }
}
