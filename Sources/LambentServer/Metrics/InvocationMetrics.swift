import LambentExecution
import Metrics
import Synchronization

/// The invoker's events as swift-metrics counters, timers and gauges, every one labelled
/// with `function`. It records through the factory it is given, never through the global
/// `MetricsSystem`, so several servers can live in one process (tests do).
///
/// | metric | type | labels |
/// |---|---|---|
/// | `lambent_invocations_total` | counter | `outcome`: success, function_error, timeout, runtime_error |
/// | `lambent_errors_total` | counter | (the non-success outcomes, as Lambda's `Errors`) |
/// | `lambent_cold_starts_total` | counter | |
/// | `lambent_throttles_total` | counter | `reason` |
/// | `lambent_invocation_duration_seconds` | histogram | |
/// | `lambent_init_duration_seconds` | histogram | (successful inits only) |
/// | `lambent_init_errors_total` | counter | |
/// | `lambent_concurrent_executions` | gauge | |
/// | `lambent_environments` | gauge | `state`: starting, initializing, idle, busy, draining |
/// | `lambent_provisioned_environments` | gauge | `state`: ready (all initialized), busy |
/// | `lambent_provisioned_spillover_total` | counter | (invocations of a provisioned version that ran on demand) |
///
/// The gauges are not events: ``update(activity:)`` sets them from `Invoker.activity()`
/// when metrics are read.
public final class InvocationMetrics: InvocationObserver {
    /// Metric names, shared with `lambent top`'s reader.
    public enum Name {
        /// Invocations by `outcome` (counter).
        public static let invocations = "lambent_invocations_total"
        /// Invocations that did not succeed (counter).
        public static let errors = "lambent_errors_total"
        /// Invocations that started an environment (counter).
        public static let coldStarts = "lambent_cold_starts_total"
        /// Invocations refused with 429, by `reason` (counter).
        public static let throttles = "lambent_throttles_total"
        /// Invoke-phase durations (histogram).
        public static let invocationDuration = "lambent_invocation_duration_seconds"
        /// Successful init durations (histogram).
        public static let initDuration = "lambent_init_duration_seconds"
        /// Inits that failed or timed out (counter).
        public static let initErrors = "lambent_init_errors_total"
        /// Invocations in flight (gauge).
        public static let concurrentExecutions = "lambent_concurrent_executions"
        /// Live environments by `state` (gauge).
        public static let environments = "lambent_environments"
        /// Initialized provisioned-concurrency environments, `ready` (all) and `busy` (gauge):
        /// utilization is busy over ready.
        public static let provisionedEnvironments = "lambent_provisioned_environments"
        /// Invocations of a version with provisioned concurrency that found none free (counter).
        public static let provisionedSpillover = "lambent_provisioned_spillover_total"
    }

    /// Histogram buckets (upper bounds) of invocation durations: 1 ms to Lambda's 900 s limit.
    public static let invocationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        .seconds(300), .seconds(600), .seconds(900),
    ]
    /// Histogram buckets of init durations: 1 ms to a minute (Lambda's init phase is capped at 10 s).
    public static let initBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    private let factory: any MetricsFactory
    private let recorder: MetricRecorder?
    // Creating a metric takes the backend's registry lock and allocates; the observer runs on
    // every invocation, so each (name, labels) is made once and kept here.
    private let cache = Mutex(Cache())

    private struct Key: Hashable {
        var name: String
        var function: String
        var label: String = ""
    }

    private struct Cache {
        var counters: [Key: Counter] = [:]
        var timers: [Key: Timer] = [:]
        var gauges: [Key: Gauge] = [:]
        /// Functions whose gauges were set by the last ``update(activity:)``.
        var active: Set<String> = []
    }

    /// Records through `factory` (a `PrometheusMetricsFactory` for `GET /metrics`). Timers must
    /// map to histograms with ``invocationBuckets`` and ``initBuckets``; `PrometheusMetrics` sets
    /// that up.
    /// Also records CloudWatch's metrics into `recorder` when given.
    public init(factory: any MetricsFactory, recorder: MetricRecorder? = nil) {
        self.factory = factory
        self.recorder = recorder
    }

    /// Counts the invocation, its outcome and cold start, and times it.
    public func invoked(_ invocation: InvocationSummary) {
        let function = invocation.function, outcome = invocation.outcome
        // Look the metrics up under the lock, record outside it: recording takes the backend's
        // own (per-metric) locks, and invocations of different functions should not queue here.
        let (invocations, errors, coldStarts, duration) = cache.withLock { cache in
            (counter(Key(name: Name.invocations, function: function, label: outcome.rawValue), in: &cache),
             outcome == .success ? nil : counter(Key(name: Name.errors, function: function), in: &cache),
             invocation.coldStart ? counter(Key(name: Name.coldStarts, function: function), in: &cache) : nil,
             timer(Key(name: Name.invocationDuration, function: function), in: &cache))
        }
        invocations.increment()
        errors?.increment()
        coldStarts?.increment()
        duration.recordNanoseconds(Self.nanoseconds(invocation.durationSeconds))
        recorder?.invoked(invocation)
    }

    /// Times a successful init; counts a failed one.
    public func initialized(function: String, durationSeconds: Double, succeeded: Bool) {
        // A failed init reports no meaningful duration (the invoker passes 0); count it instead
        // of dragging the histogram towards zero.
        if succeeded {
            let duration = cache.withLock { timer(Key(name: Name.initDuration, function: function), in: &$0) }
            duration.recordNanoseconds(Self.nanoseconds(durationSeconds))
        } else {
            cache.withLock { counter(Key(name: Name.initErrors, function: function), in: &$0) }.increment()
        }
    }

    /// Counts a throttle under its reason.
    public func throttled(function: String, reason: String) {
        cache.withLock { counter(Key(name: Name.throttles, function: function, label: reason), in: &$0) }.increment()
        recorder?.record("Throttles", function: function, value: 1)
    }

    /// Counts an invocation that spilled over its provisioned environments.
    public func spilledOver(function: String) {
        cache.withLock { counter(Key(name: Name.provisionedSpillover, function: function), in: &$0) }.increment()
        recorder?.recordFunction("ProvisionedConcurrencySpilloverInvocations", function: function, value: 1)
    }

    private static func nanoseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return 0 }
        return Int64((min(max(seconds, 0), 1e9) * 1e9).rounded())
    }

    /// Sets the gauges from a snapshot of `Invoker.activity()`. A function that had activity
    /// at the previous update and has none now has its gauges set to 0, not left stale.
    public func update(activity: [FunctionActivity]) {
        cache.withLock { cache in
            var current: Set<String> = []
            for entry in activity {
                current.insert(entry.function)
                set(entry, in: &cache)
            }
            for function in cache.active.subtracting(current) {
                set(FunctionActivity(function: function), in: &cache)
            }
            cache.active = current
        }
    }

    private func set(_ activity: FunctionActivity, in cache: inout Cache) {
        let function = activity.function
        gauge(Key(name: Name.concurrentExecutions, function: function), in: &cache).record(activity.concurrentExecutions)
        let states = [("starting", activity.starting), ("initializing", activity.initializing), ("idle", activity.idle),
                      ("busy", activity.busy), ("draining", activity.draining)]
        for (state, count) in states {
            gauge(Key(name: Name.environments, function: function, label: state), in: &cache).record(count)
        }
        gauge(Key(name: Name.provisionedEnvironments, function: function, label: "ready"), in: &cache).record(activity.provisioned)
        gauge(Key(name: Name.provisionedEnvironments, function: function, label: "busy"), in: &cache).record(activity.provisionedBusy)
    }

    // MARK: Cached metric objects

    private static let labelName: [String: String] = [
        Name.invocations: "outcome", Name.throttles: "reason", Name.environments: "state", Name.provisionedEnvironments: "state",
    ]

    private func dimensions(_ key: Key) -> [(String, String)] {
        guard let name = Self.labelName[key.name] else { return [("function", key.function)] }
        return [("function", key.function), (name, key.label)]
    }

    private func counter(_ key: Key, in cache: inout Cache) -> Counter {
        if let counter = cache.counters[key] { return counter }
        let counter = Counter(label: key.name, dimensions: dimensions(key), factory: factory)
        cache.counters[key] = counter
        return counter
    }

    private func timer(_ key: Key, in cache: inout Cache) -> Timer {
        if let timer = cache.timers[key] { return timer }
        let timer = Timer(label: key.name, dimensions: dimensions(key), factory: factory)
        cache.timers[key] = timer
        return timer
    }

    private func gauge(_ key: Key, in cache: inout Cache) -> Gauge {
        if let gauge = cache.gauges[key] { return gauge }
        let gauge = Gauge(label: key.name, dimensions: dimensions(key), factory: factory)
        cache.gauges[key] = gauge
        return gauge
    }
}
