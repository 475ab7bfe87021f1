import Testing

/// Reserved concurrency through the API: the arithmetic that keeps part of the account
/// unreserved, and GetAccountSettings's view of it.
@Suite("Concurrency routes")
struct ConcurrencyRoutesTests {
    static func unreserved(_ client: SignedClient) async throws -> Int? {
        let settings = try await client.send(.get, "/2016-08-19/account-settings")
        return (try settings.json()["AccountLimit"] as? [String: Any])?["UnreservedConcurrentExecutions"] as? Int
    }

    @Test("reservations leave at least 100 of the account unreserved, and are given back on delete")
    func reservationArithmetic() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("a")
            _ = try await client.createFunction("b")
            #expect(try await Self.unreserved(client) == 1000)

            let reserved = try await client.send(.put, "/2017-10-31/functions/a/concurrency", json: ["ReservedConcurrentExecutions": 900])
            #expect(reserved.status == .ok)
            #expect(try reserved.json()["ReservedConcurrentExecutions"] as? Int == 900)
            #expect(try await Self.unreserved(client) == 100)

            let refused = try await client.send(.put, "/2017-10-31/functions/b/concurrency", json: ["ReservedConcurrentExecutions": 1])
            #expect(refused.status == .badRequest)
            #expect(try refused.awsError().type == "InvalidParameterValueException")
            #expect(try refused.awsError().message ==
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")

            // Changing a function's own reservation counts the others only.
            let lowered = try await client.send(.put, "/2017-10-31/functions/a/concurrency", json: ["ReservedConcurrentExecutions": 899])
            #expect(lowered.status == .ok)
            #expect(try await client.send(.put, "/2017-10-31/functions/b/concurrency", json: ["ReservedConcurrentExecutions": 1]).status == .ok)
            #expect(try await Self.unreserved(client) == 100)

            #expect(try await client.send(.delete, "/2017-10-31/functions/a/concurrency").status == .noContent)
            #expect(try await Self.unreserved(client) == 999)
            // Deleting a function gives its reservation back too.
            #expect(try await client.send(.delete, "/2015-03-31/functions/b").status == .noContent)
            #expect(try await Self.unreserved(client) == 1000)
        }
    }
}
