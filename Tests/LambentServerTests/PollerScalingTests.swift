import Testing

@testable import LambentServer

@Suite struct PollerScalingTests {
    @Test("grows by a step while each step raises the rate; a step that does not is taken back and growth pauses")
    func probes() {
        var scaling = PollerScaling(minimum: 5, maximum: 50, step: 5)
        // Throughput follows the pollers up to 15, then stays flat (the machine is full).
        func rate(_ pollers: Int) -> Int { min(pollers, 15) * 100 }
        var pollers = scaling.target
        var history: [Int] = []
        for _ in 0..<20 {
            pollers = scaling.next(handled: rate(pollers), backlog: 100_000, idle: false, batchSize: 10)
            history.append(pollers)
        }
        #expect(history.max() == 20, "the step past 15 was tried")
        #expect(history.suffix(10).allSatisfy { $0 == 15 }, "and taken back: \(history)")
        // After the pause it probes again (and gives the step back again).
        for _ in 0..<(PollerScaling.holdSeconds + 5) {
            pollers = scaling.next(handled: rate(pollers), backlog: 100_000, idle: false, batchSize: 10)
            history.append(pollers)
        }
        #expect(history.suffix(PollerScaling.holdSeconds).contains(20))
        #expect(history.last == 15)
    }

    @Test("no growth without a backlog; an idle queue loses a poller a second down to the minimum; the maximum holds")
    func backlogAndIdle() {
        var scaling = PollerScaling(minimum: 2, maximum: 8, step: 5)
        #expect(scaling.next(handled: 0, backlog: 10, idle: false, batchSize: 10) == 2)
        var pollers = 2
        for _ in 0..<10 { pollers = scaling.next(handled: pollers * 1_000, backlog: 1_000_000, idle: false, batchSize: 10) }
        #expect(pollers == 8)
        #expect(scaling.next(handled: 0, backlog: 0, idle: true, batchSize: 10) == 7)
        for _ in 0..<10 { pollers = scaling.next(handled: 0, backlog: 0, idle: true, batchSize: 10) }
        #expect(pollers == 2)
    }
}
