/// How an invocation ended, for metrics.
public enum InvocationOutcome: String, Sendable, CaseIterable {
    case success
    /// The handler raised, or the response was refused (`X-Amz-Function-Error: Unhandled`).
    case functionError = "function_error"
    case timeout
    /// The runtime exited or failed to initialize.
    case runtimeError = "runtime_error"
}

/// Receives the invoker's events as they happen (counters and histograms). Called on the
/// invocation's path: implementations must be cheap and must not block.
public protocol InvocationObserver: Sendable {
    /// One invocation finished (including its cold start, if it had one).
    func invoked(function: String, coldStart: Bool, outcome: InvocationOutcome, durationSeconds: Double)
    /// An environment finished initializing (`succeeded` false for init errors and timeouts).
    func initialized(function: String, durationSeconds: Double, succeeded: Bool)
    /// An invocation was refused with 429 for this reason (`ConcurrentInvocationLimitExceeded`, …).
    func throttled(function: String, reason: String)
    /// An invocation of a version with provisioned concurrency found none of its environments
    /// free and ran in an on-demand one.
    func spilledOver(function: String)
}

/// An observer that ignores everything.
public struct NoInvocationObserver: InvocationObserver {
    public init() {}
    public func invoked(function: String, coldStart: Bool, outcome: InvocationOutcome, durationSeconds: Double) {}
    public func initialized(function: String, durationSeconds: Double, succeeded: Bool) {}
    public func throttled(function: String, reason: String) {}
    public func spilledOver(function: String) {}
}

/// What one function is doing right now (gauges, read when metrics are scraped).
public struct FunctionActivity: Sendable, Equatable {
    public var function: String
    /// Environments by lifecycle state.
    public var starting = 0
    public var initializing = 0
    public var idle = 0
    public var busy = 0
    public var draining = 0
    /// Invocations in flight (cold starts included), as concurrency limits count them.
    public var concurrentExecutions = 0
    /// Initialized environments held for provisioned concurrency, and how many of them are busy.
    public var provisioned = 0
    public var provisionedBusy = 0

    public init(function: String) { self.function = function }
}
