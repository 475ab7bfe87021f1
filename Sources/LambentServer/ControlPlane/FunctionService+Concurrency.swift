import LambentModel
import LambentExecution
import LambentStore

extension FunctionService {
    /// At least this much of the account's concurrency stays unreserved (Lambda: 100), or all
    /// of it when the account limit is smaller.
    var minimumUnreserved: Int { min(100, accountConcurrencyLimit) }

    /// `PutFunctionConcurrency`: reserves concurrency for a function.
    public func putConcurrency(_ reference: String, reserved: Int?) async throws -> Int {
        guard let reserved else {
            throw LambdaError(status: 400, type: "ValidationException",
                              message: "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null",
                              isUserError: false)
        }
        guard reserved >= 0 else {
            throw LambdaError.validation(value: "\(reserved)", field: "reservedConcurrentExecutions",
                                         constraint: "Member must have value greater than or equal to 0")
        }
        let current = try await unqualifiedFunction(reference)
        let provisioned = try await provisionedTotal(of: current.name)
        if reserved < provisioned {
            throw LambdaError(status: 400, type: "InvalidParameterValueException",
                              message: " ReservedConcurrentExecutions  \(reserved) should not be lower than function's total provisioned concurrency [\(provisioned)].",
                              isUserError: false)
        }
        let othersReserved = try await reservedTotal() - (current.reservedConcurrency ?? 0)
        if accountConcurrencyLimit - othersReserved - reserved < minimumUnreserved {
            throw LambdaError.invalidParameter(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(minimumUnreserved)].")
        }
        try await setReservation(current.name, to: reserved)
        return reserved
    }

    /// The function a concurrency reservation is for: named without a qualifier, as AWS
    /// requires (a missing one is named with `$LATEST`, as AWS words it).
    private func unqualifiedFunction(_ reference: String) async throws -> FunctionRecord {
        let parsed = try localReference(reference)
        if parsed.qualifier != nil {
            throw LambdaError.invalidParameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
        }
        guard let record = try await cachedFunction(FunctionVersionID(functionName: parsed.name)) else {
            throw LambdaError.functionNotFound(arn: names.functionARN(parsed.name, qualifier: FunctionVersion.latest.rawValue))
        }
        return record
    }

    /// `GetFunctionConcurrency`: the reservation, or nil.
    public func concurrency(_ reference: String) async throws -> Int? {
        try await function(reference).reservedConcurrency
    }

    /// `DeleteFunctionConcurrency`: removes a reservation.
    public func deleteConcurrency(_ reference: String) async throws {
        let current = try await latestFunction(reference)
        try await setReservation(current.name, to: nil)
    }

    /// The account's concurrency limit and what of it no function has reserved.
    public func accountConcurrency() async throws -> (limit: Int, unreserved: Int) {
        (accountConcurrencyLimit, max(0, accountConcurrencyLimit - (try await reservedTotal())))
    }

    /// Reads every function's reservation and tells the limiter their sum (at startup).
    public func loadReservations() async throws {
        changes.reservedConcurrencyChanged(total: try await reservedTotal())
    }

    private func setReservation(_ name: String, to reserved: Int?) async throws {
        let record = try await store.updateFunction(named: name) { old in
            var new = old
            new.reservedConcurrency = reserved
            return new
        }
        guard let record else { throw LambdaError.functionNotFound(arn: names.functionARN(name)) }
        cache.functionChanged(record)
        changes.reservedConcurrencyChanged(total: try await reservedTotal())
        try await refreshProvisionedLimits()
    }

    /// The sum of all reservations, read from the store.
    func reservedTotal() async throws -> Int {
        var total = 0
        var marker: String?
        repeat {
            let page = try await store.listFunctions(after: marker, limit: 1000)
            total += page.reduce(0) { $0 + ($1.reservedConcurrency ?? 0) }
            marker = page.count == 1000 ? page.last?.name : nil
        } while marker != nil
        return total
    }
}
