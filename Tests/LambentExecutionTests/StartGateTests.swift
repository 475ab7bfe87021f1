import Testing

@testable import LambentExecution

@Suite("StartGate")
struct StartGateTests {
    @Test("admits up to its limit at once, then one per release, in arrival order")
    func fifo() async throws {
        let gate = StartGate(limit: 2)
        try await gate.acquire()
        try await gate.acquire()
        let order = Recorder()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<3 {
                group.addTask {
                    try? await gate.acquire()
                    await order.append(index)
                }
                // Let each waiter queue before the next one arrives.
                try? await Task.sleep(for: .milliseconds(20))
            }
            #expect(await order.values.isEmpty)
            for _ in 0..<3 {
                gate.release()
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(await order.values == [0, 1, 2])
    }

    @Test("a waiter whose caller goes away leaves the queue without taking a turn")
    func cancellation() async throws {
        let gate = StartGate(limit: 1)
        try await gate.acquire()
        let waiter = Task { try await gate.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The cancelled waiter did not take the turn the release hands on.
        gate.release()
        try await gate.acquire()
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await gate.acquire()
        }
        await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
    }

    @Test("the default keeps every core busy")
    func defaultLimit() {
        #expect(StartGate.defaultLimit(cores: 2) == 8)
        #expect(StartGate.defaultLimit(cores: 1) == 4)
    }
}

actor Recorder {
    private(set) var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}
