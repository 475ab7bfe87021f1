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
