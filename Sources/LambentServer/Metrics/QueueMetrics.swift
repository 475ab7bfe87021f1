import Metrics
import Synchronization

/// Asynchronous invocations and queues as swift-metrics counters, timers and gauges.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `lambent_async_events_total` | counter | `function`, `outcome`: queued, retried, succeeded, failed |
/// | `lambent_async_event_age_seconds` | histogram | `function` (an event's age when an attempt starts) |
/// | `lambent_destination_delivery_failures_total` | counter | `function` |
/// | `lambent_dead_letter_errors_total` | counter | `function` |
/// | `lambent_queue_messages` | gauge | `queue`, `state`: visible, in_flight, delayed |
/// | `lambent_queue_oldest_message_age_seconds` | gauge | `queue` |
public final class QueueMetrics: Sendable {
    public enum Name {
        public static let asyncEvents = "lambent_async_events_total"
        public static let asyncEventAge = "lambent_async_event_age_seconds"
        public static let destinationFailures = "lambent_destination_delivery_failures_total"
        public static let deadLetterErrors = "lambent_dead_letter_errors_total"
        public static let queueMessages = "lambent_queue_messages"
        public static let queueOldestAge = "lambent_queue_oldest_message_age_seconds"
    }

    /// Buckets of event ages: 1 ms to Lambda's 6-hour maximum age.
    public static let ageBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300),
        .seconds(1800), .seconds(3600), .seconds(21_600),
    ]

    private let factory: any MetricsFactory
    private let recorder: MetricRecorder?
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    private let shownQueues = Mutex<Set<String>>([])

    init(factory: any MetricsFactory, recorder: MetricRecorder? = nil) {
        self.factory = factory
        self.recorder = recorder
    }

    func event(_ function: String, outcome: String) {
        counter(Name.asyncEvents, [("function", function), ("outcome", outcome)]).increment()
        switch outcome {
        case "queued": recorder?.record("AsyncEventsReceived", function: function, value: 1)
        case "failed": recorder?.record("AsyncEventsDropped", function: function, value: 1)
        default: break
        }
    }

    func eventAge(_ function: String, milliseconds: Int64) {
        let dimensions = [("function", function)]
        let timer = Self.cached(timers, Self.key(Name.asyncEventAge, dimensions)) {
            Timer(label: Name.asyncEventAge, dimensions: dimensions, factory: factory)
        }
        timer.recordNanoseconds(max(0, milliseconds) * 1_000_000)
        recorder?.record("AsyncEventAge", function: function, value: Double(max(0, milliseconds)), unit: "Milliseconds")
    }

    func destinationFailed(_ function: String) {
        counter(Name.destinationFailures, [("function", function)]).increment()
        recorder?.record("DestinationDeliveryFailures", function: function, value: 1)
    }

    func deadLetterFailed(_ function: String) {
        counter(Name.deadLetterErrors, [("function", function)]).increment()
        recorder?.record("DeadLetterErrors", function: function, value: 1)
    }

    /// Sets the queue gauges (read when metrics are scraped); queues that are gone read 0.
    func update(queues: [(name: String, visible: Int, inFlight: Int, delayed: Int, oldestAgeMillis: Int64)]) {
        let names = Set(queues.map(\.name))
        let gone = shownQueues.withLock { shown -> Set<String> in
            defer { shown = names }
            return shown.subtracting(names)
        }
        for entry in queues {
            gauge(Name.queueMessages, [("queue", entry.name), ("state", "visible")]).record(entry.visible)
            gauge(Name.queueMessages, [("queue", entry.name), ("state", "in_flight")]).record(entry.inFlight)
            gauge(Name.queueMessages, [("queue", entry.name), ("state", "delayed")]).record(entry.delayed)
            gauge(Name.queueOldestAge, [("queue", entry.name)]).record(Double(entry.oldestAgeMillis) / 1000)
        }
        for name in gone {
            for state in ["visible", "in_flight", "delayed"] { gauge(Name.queueMessages, [("queue", name), ("state", state)]).record(0) }
            gauge(Name.queueOldestAge, [("queue", name)]).record(0)
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        Self.cached(counters, Self.key(label, dimensions)) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        Self.cached(gauges, Self.key(label, dimensions)) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// Creating a metric takes the backend's registry lock and allocates: each (label,
    /// dimensions) is made once and kept.
    private static func cached<Metric>(_ cache: borrowing Mutex<[String: Metric]>, _ key: String, _ make: () -> Metric) -> Metric {
        cache.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
    }
}
