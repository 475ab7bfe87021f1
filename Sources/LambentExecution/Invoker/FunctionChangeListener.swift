import LambentModel

/// What the control plane tells the execution side when functions change, so that neither
/// reaches into the other: the invoker retires environments and resizes reservations.
public protocol FunctionChangeListener: Sendable {
    /// A version's configuration or code changed; environments of other revisions must go.
    func functionChanged(_ function: FunctionVersionID, revisionID: String)
    /// One published version was deleted; its environments must go.
    func functionVersionDeleted(_ function: FunctionVersionID)
    /// A function (every version of it) was deleted.
    func functionDeleted(_ functionName: String)
    /// The sum of all reserved concurrency is now `total`.
    func reservedConcurrencyChanged(total: Int)
}

/// What the control plane asks of the execution side for provisioned concurrency.
public protocol ProvisionedConcurrencyProvider: Sendable {
    /// Keeps `target.count` initialized environments for configuration `target.id`.
    func provision(_ target: ProvisionedConcurrencyTarget)
    /// Stops keeping environments for a configuration.
    func deprovision(_ id: String)
    /// How far a configuration is; nil when none is kept under `id`.
    func provisionedStatus(_ id: String) -> ProvisionedConcurrencyStatus?
    /// Each function's provisioned concurrency, and the part of it carved from the unreserved pool.
    func provisionedConcurrencyChanged(_ perFunction: [String: Int], carvedFromUnreserved: Int)
}
