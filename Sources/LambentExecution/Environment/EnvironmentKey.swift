import LambentModel

/// Which environments may serve an invocation: those of one function version, started from
/// one revision of its configuration. An update of `$LATEST` makes a new revision, so its
/// old environments are never handed an invocation again.
public struct EnvironmentKey: Hashable, Sendable, CustomStringConvertible {
    public var function: FunctionVersionID
    /// The configuration's `RevisionId` when the environment started.
    public var revisionID: String

    public init(function: FunctionVersionID, revisionID: String) {
        self.function = function
        self.revisionID = revisionID
    }

    public var description: String { "\(function)@\(revisionID)" }
}
