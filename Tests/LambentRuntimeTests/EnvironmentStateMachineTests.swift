import LambentRuntime
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
        case initializing, initializingRetiring, idle, busy, busyRetiring, gone, goneRetiring

        var path: [Event] {
            switch self {
            case .initializing: []
            case .initializingRetiring: [.retire]
            case .idle: [.ready]
            case .busy: [.ready, .invoke(requestID: "a")]
            case .busyRetiring: [.ready, .invoke(requestID: "a"), .retire]
            case .gone: [.initFailed]
            case .goneRetiring: [.retire, .ready]
            }
        }

        var state: State {
            switch self {
            case .initializing, .initializingRetiring: .initializing
            case .idle: .idle
            case .busy, .busyRetiring: .busy(requestID: "a")
            case .gone, .goneRetiring: .gone
            }
        }

        var isRetiring: Bool {
            switch self {
            case .initializingRetiring, .busyRetiring, .goneRetiring: true
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
        .ready, .initFailed,
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

    static let table: [Row] = [
        // initializing
        row(.initializing, .ready, .transition(.idle, retiring: false, .initSucceeded)),
        row(.initializing, .initFailed, .transition(.gone, retiring: false, .failInitAndDestroy)),
        row(.initializing, .invoke(requestID: "a"), .illegal),
        row(.initializing, .invoke(requestID: "b"), .illegal),
        row(.initializing, .completed(requestID: "a"), .illegal),
        row(.initializing, .completed(requestID: "b"), .illegal),
        row(.initializing, .timedOut(requestID: "a"), .illegal),
        row(.initializing, .timedOut(requestID: "b"), .illegal),
        row(.initializing, .exited, .transition(.gone, retiring: false, .failInitAndDestroy)),
        row(.initializing, .retire, .transition(.initializing, retiring: true, .none)),

        // initializing, retired meanwhile
        row(.initializingRetiring, .ready, .transition(.gone, retiring: true, .initSucceededThenDestroy)),
        row(.initializingRetiring, .initFailed, .transition(.gone, retiring: true, .failInitAndDestroy)),
        row(.initializingRetiring, .invoke(requestID: "a"), .illegal),
        row(.initializingRetiring, .invoke(requestID: "b"), .illegal),
        row(.initializingRetiring, .completed(requestID: "a"), .illegal),
        row(.initializingRetiring, .completed(requestID: "b"), .illegal),
        row(.initializingRetiring, .timedOut(requestID: "a"), .illegal),
        row(.initializingRetiring, .timedOut(requestID: "b"), .illegal),
        row(.initializingRetiring, .exited, .transition(.gone, retiring: true, .failInitAndDestroy)),
        row(.initializingRetiring, .retire, .transition(.initializing, retiring: true, .none)),

        // idle
        row(.idle, .ready, .illegal),
        row(.idle, .initFailed, .illegal),
        row(.idle, .invoke(requestID: "a"), .transition(busyA, retiring: false, .sendInvoke)),
        row(.idle, .invoke(requestID: "b"), .transition(busyB, retiring: false, .sendInvoke)),
        row(.idle, .completed(requestID: "a"), .illegal),
        row(.idle, .completed(requestID: "b"), .illegal),
        row(.idle, .timedOut(requestID: "a"), .illegal),
        row(.idle, .timedOut(requestID: "b"), .illegal),
        row(.idle, .exited, .transition(.gone, retiring: false, .destroy)),
        row(.idle, .retire, .transition(.gone, retiring: false, .destroy)),

        // busy with "a"
        row(.busy, .ready, .illegal),
        row(.busy, .initFailed, .illegal),
        row(.busy, .invoke(requestID: "a"), .illegal),
        row(.busy, .invoke(requestID: "b"), .illegal),
        row(.busy, .completed(requestID: "a"), .transition(.idle, retiring: false, .finishInvoke)),
        row(.busy, .completed(requestID: "b"), .illegal),
        row(.busy, .timedOut(requestID: "a"), .transition(.gone, retiring: false, .failInvokeAndDestroy)),
        row(.busy, .timedOut(requestID: "b"), .transition(busyA, retiring: false, .none)),
        row(.busy, .exited, .transition(.gone, retiring: false, .failInvokeAndDestroy)),
        row(.busy, .retire, .transition(busyA, retiring: true, .none)),

        // busy with "a", retired meanwhile
        row(.busyRetiring, .ready, .illegal),
        row(.busyRetiring, .initFailed, .illegal),
        row(.busyRetiring, .invoke(requestID: "a"), .illegal),
        row(.busyRetiring, .invoke(requestID: "b"), .illegal),
        row(.busyRetiring, .completed(requestID: "a"), .transition(.gone, retiring: true, .finishInvokeThenDestroy)),
        row(.busyRetiring, .completed(requestID: "b"), .illegal),
        row(.busyRetiring, .timedOut(requestID: "a"), .transition(.gone, retiring: true, .failInvokeAndDestroy)),
        row(.busyRetiring, .timedOut(requestID: "b"), .transition(busyA, retiring: true, .none)),
        row(.busyRetiring, .exited, .transition(.gone, retiring: true, .failInvokeAndDestroy)),
        row(.busyRetiring, .retire, .transition(busyA, retiring: true, .none)),
    ]
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

    @Test("a fresh machine is initializing and not retiring")
    func fresh() {
        let machine = Machine()
        #expect(machine.state == .initializing)
        #expect(!machine.isRetiring)
    }

    @Test("serves invocations one after another")
    func warmReuse() throws {
        var machine = Machine()
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
        _ = try machine.handle(.ready)
        _ = try machine.handle(.invoke(requestID: "r1"))
        _ = try machine.handle(.completed(requestID: "r1"))
        _ = try machine.handle(.invoke(requestID: "r2"))
        #expect(try machine.handle(.timedOut(requestID: "r1")) == .none)
        #expect(machine.state == .busy(requestID: "r2"))
        #expect(try machine.handle(.completed(requestID: "r2")) == .finishInvoke)
    }
}
