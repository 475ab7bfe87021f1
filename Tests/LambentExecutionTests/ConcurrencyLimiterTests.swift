import Testing

@testable import LambentExecution

/// The reservation arithmetic: reserved functions run up to their reservation, the rest
/// share what the reservations leave of the account limit.
@Suite("ConcurrencyLimiter")
struct ConcurrencyLimiterTests {
    static func admitted(_ admission: ConcurrencyLimiter.Admission) -> ConcurrencyLimiter.Permit? {
        if case .admitted(let permit) = admission { return permit }
        return nil
    }

    static func reason(_ admission: ConcurrencyLimiter.Admission) -> ConcurrencyLimiter.ThrottleReason? {
        if case .throttled(let reason) = admission { return reason }
        return nil
    }

    @Test("functions without a reservation share the account limit")
    func accountLimit() throws {
        let limiter = ConcurrencyLimiter(accountLimit: 2)
        let first = try #require(Self.admitted(limiter.acquire(function: "a", reserved: nil)))
        _ = try #require(Self.admitted(limiter.acquire(function: "b", reserved: nil)))
        #expect(Self.reason(limiter.acquire(function: "c", reserved: nil)) == .accountLimit)
        #expect(limiter.inFlight() == ["a": 1, "b": 1])
        limiter.release(first)
        #expect(Self.admitted(limiter.acquire(function: "c", reserved: nil)) != nil)
        #expect(limiter.inFlight() == ["b": 1, "c": 1])
    }

    @Test("a reservation is both a guarantee and a cap")
    func reservation() throws {
        let limiter = ConcurrencyLimiter(accountLimit: 3)
        limiter.setReservedTotal(2)
        #expect(limiter.unreservedLimit == 1)
        _ = try #require(Self.admitted(limiter.acquire(function: "r", reserved: 2)))
        _ = try #require(Self.admitted(limiter.acquire(function: "r", reserved: 2)))
        #expect(Self.reason(limiter.acquire(function: "r", reserved: 2)) == .reservedFunctionLimit)
        // The unreserved pool is what the reservations leave: one.
        _ = try #require(Self.admitted(limiter.acquire(function: "u", reserved: nil)))
        #expect(Self.reason(limiter.acquire(function: "v", reserved: nil)) == .accountLimit)
    }

    @Test("a reservation of 0 stops a function")
    func zero() {
        let limiter = ConcurrencyLimiter(accountLimit: 10)
        #expect(Self.reason(limiter.acquire(function: "off", reserved: 0)) == .reservedFunctionLimit)
        #expect(limiter.inFlight().isEmpty)
    }

    @Test("reservations beyond the account leave nothing unreserved, never less")
    func overReserved() {
        let limiter = ConcurrencyLimiter(accountLimit: 5)
        limiter.setReservedTotal(9)
        #expect(limiter.unreservedLimit == 0)
        #expect(Self.reason(limiter.acquire(function: "u", reserved: nil)) == .accountLimit)
    }

    @Test("provisioned concurrency is carved out of the unreserved pool and used first; beyond it, invocations spill into the pool")
    func provisioned() throws {
        let limiter = ConcurrencyLimiter(accountLimit: 3)
        limiter.setProvisioned(["p": 1], carvedFromUnreserved: 1)
        #expect(limiter.unreservedLimit == 2)
        let first = try #require(Self.admitted(limiter.acquire(function: "p", reserved: nil)))
        _ = try #require(Self.admitted(limiter.acquire(function: "p", reserved: nil)))  // spills over
        _ = try #require(Self.admitted(limiter.acquire(function: "u", reserved: nil)))
        #expect(Self.reason(limiter.acquire(function: "u", reserved: nil)) == .accountLimit, "the pool holds 2")
        limiter.release(first)
        // The provisioned slot is free again, and only "p" may use it.
        #expect(Self.reason(limiter.acquire(function: "u", reserved: nil)) == .accountLimit)
        #expect(Self.admitted(limiter.acquire(function: "p", reserved: nil)) != nil)
        #expect(limiter.inFlight() == ["p": 2, "u": 1])
    }
}
