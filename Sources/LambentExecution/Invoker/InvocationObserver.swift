/// How an invocation ended, for metrics.
public enum InvocationOutcome: String, Sendable, CaseIterable {
    case success
    /// The handler raised, or the response was refused (`X-Amz-Function-Error: Unhandled`).
    case functionError = "function_error"
    case timeout
    /// The runtime exited or failed to initialize.
    case runtimeError = "runtime_error"
}

/// One finished invocation, as metrics and the usage report count it.
public struct InvocationSummary: Sendable, Equatable {
    public var function: String
    public var requestID: String
    /// The alias or version the caller named; nil for the bare name.
    public var qualifier: String?
    public var executedVersion: String
    public var coldStart: Bool
    public var outcome: InvocationOutcome
    public var durationSeconds: Double
    /// The REPORT line's Billed Duration.
    public var billedMilliseconds: Int
    public var memorySizeMB: Int
    public var architecture: String
    /// The function's executions in flight, this one included, when it was admitted.
    public var concurrency: Int
    /// The platform's part of the invocation, when it was sampled for tracing.
    public var trace: InvocationTrace?

    public init(function: String, requestID: String = "", qualifier: String? = nil, executedVersion: String = "$LATEST", coldStart: Bool = false,
                outcome: InvocationOutcome, durationSeconds: Double, billedMilliseconds: Int = 0, memorySizeMB: Int = 128,
                architecture: String = "x86_64", concurrency: Int = 1, trace: InvocationTrace? = nil) {
        self.function = function
        self.requestID = requestID
        self.qualifier = qualifier
        self.executedVersion = executedVersion
        self.coldStart = coldStart
        self.outcome = outcome
        self.durationSeconds = durationSeconds
        self.billedMilliseconds = billedMilliseconds
        self.memorySizeMB = memorySizeMB
        self.architecture = architecture
        self.concurrency = concurrency
        self.trace = trace
    }
}

/// Receives the invoker's events as they happen (counters and histograms). Called on the
/// invocation's path: implementations must be cheap and must not block.
public protocol InvocationObserver: Sendable {
    /// One invocation finished (including its cold start, if it had one).
    func invoked(_ invocation: InvocationSummary)
    /// An environment finished initializing (`succeeded` false for init errors and timeouts).
    func initialized(function: String, durationSeconds: Double, succeeded: Bool)
    /// An invocation was refused with 429 for this reason (`ConcurrentInvocationLimitExceeded`, …).
    func throttled(function: String, reason: String)
    /// An invocation of a version with provisioned concurrency found none of its environments
    /// free and ran in an on-demand one.
    func spilledOver(function: String)
}

/// Several observers, each told of every event in turn.
public struct InvocationObservers: InvocationObserver {
    let observers: [any InvocationObserver]

    public init(_ observers: [any InvocationObserver]) {
        self.observers = observers
    }

    public func invoked(_ invocation: InvocationSummary) {
        for observer in observers { observer.invoked(invocation) }
    }

    public func initialized(function: String, durationSeconds: Double, succeeded: Bool) {
        for observer in observers { observer.initialized(function: function, durationSeconds: durationSeconds, succeeded: succeeded) }
    }

    public func throttled(function: String, reason: String) {
        for observer in observers { observer.throttled(function: function, reason: reason) }
    }

    public func spilledOver(function: String) {
        for observer in observers { observer.spilledOver(function: function) }
    }
}

/// An observer that ignores everything.
public struct NoInvocationObserver: InvocationObserver {
    public init() {}
    public func invoked(_ invocation: InvocationSummary) {}
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
