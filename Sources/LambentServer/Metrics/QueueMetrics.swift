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
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    private let shownQueues = Mutex<Set<String>>([])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func event(_ function: String, outcome: String) {
        counter(Name.asyncEvents, [("function", function), ("outcome", outcome)]).increment()
    }

    func eventAge(_ function: String, milliseconds: Int64) {
        let key = "\(Name.asyncEventAge)|\(function)"
        let timer = timers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Timer(label: Name.asyncEventAge, dimensions: [("function", function)], factory: factory)
            timers[key] = timer
            return timer
        }
        timer.recordNanoseconds(max(0, milliseconds) * 1_000_000)
    }

    func destinationFailed(_ function: String) {
        counter(Name.destinationFailures, [("function", function)]).increment()
    }

    func deadLetterFailed(_ function: String) {
        counter(Name.deadLetterErrors, [("function", function)]).increment()
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
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
        return gauges.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let gauge = Gauge(label: label, dimensions: dimensions, factory: factory)
            gauges[key] = gauge
            return gauge
        }
    }
}
