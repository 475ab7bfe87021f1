import Foundation
import LambentExecution
import LambentStore
import Logging
import ServiceLifecycle
import Synchronization

/// CloudWatch's `AWS/Lambda` metrics (and the `Lambent/Usage` figures `lambent usage` reads),
/// aggregated per minute in memory and written to the store every few seconds, so an
/// invocation costs a dictionary update under a lock and no I/O. Readers call ``flush()``
/// first and see every invocation that has finished.
///
/// | metric | dimensions | unit |
/// |---|---|---|
/// | `Invocations`, `Errors` (0 or 1 each), `Duration` | none; `FunctionName`; `FunctionName`+`Resource`; `FunctionName`+`Resource`+`ExecutedVersion` (qualified invocations) | Count, Count, Milliseconds |
/// | `Throttles` | none; `FunctionName` | Count |
/// | `ConcurrentExecutions` (the function's, at each admission; the account's, sampled every interval while non-zero) | none; `FunctionName` | Count |
/// | `ProvisionedConcurrentExecutions`, `ProvisionedConcurrencyUtilization`, `ProvisionedConcurrencySpilloverInvocations` | `FunctionName` | Count, None, Count |
/// | `AsyncEventsReceived`, `AsyncEventAge`, `AsyncEventsDropped`, `DeadLetterErrors`, `DestinationDeliveryFailures` | none; `FunctionName` | Count, Milliseconds, Count, Count, Count |
/// | `Lambent/Usage`: `Requests`, `BilledDuration`, `GBSeconds` | `FunctionName`+`Architecture`+`MemorySize` | Count, Milliseconds, None |
public final class MetricRecorder: Service, Sendable {
    public static let lambdaNamespace = "AWS/Lambda"
    public static let usageNamespace = "Lambent/Usage"

    private let store: any MetricStore
    private let activity = Mutex<(@Sendable () -> [FunctionActivity])?>(nil)
    private let interval: Duration
    private let logger: Logger
    private let pending = Mutex(Pending())

    private struct InvocationKey: Hashable {
        var minute: Int64
        var function: String
        var qualifier: String?
        var executedVersion: String
        var architecture: String
        var memorySizeMB: Int
    }

    fileprivate struct InvocationTotals {
        var invocations = 0.0
        var errors = 0.0
        var billedMilliseconds = 0.0
        var maxConcurrency = 0
        var duration = MetricStatistics(unit: "Milliseconds")
    }

    private struct SeriesKey: Hashable {
        var minute: Int64
        var series: MetricSeries
    }

    private struct Pending {
        var invocations: [InvocationKey: InvocationTotals] = [:]
        var points: [SeriesKey: MetricStatistics] = [:]
    }

    public init(store: any MetricStore, interval: Duration = .seconds(5), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// What is read every interval for the concurrency gauges (`Invoker.activity()`).
    public func attach(activity: @escaping @Sendable () -> [FunctionActivity]) {
        self.activity.withLock { $0 = activity }
    }

    static func minute(_ date: Date = Date()) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return seconds - seconds % 60
    }

    // MARK: Recording (on invocations' paths)

    public func invoked(_ invocation: InvocationSummary) {
        let key = InvocationKey(minute: Self.minute(), function: invocation.function, qualifier: invocation.qualifier,
                                executedVersion: invocation.executedVersion, architecture: invocation.architecture,
                                memorySizeMB: invocation.memorySizeMB)
        pending.withLock { pending in
            pending.invocations[key, default: InvocationTotals()].record(invocation)
        }
    }

    /// One value of a metric of `AWS/Lambda`, for the account and, when given, for the function.
    public func record(_ name: String, function: String?, value: Double, unit: String = "Count") {
        let byFunction = function.map { [[MetricDimension(name: "FunctionName", value: $0)]] } ?? []
        add(name, to: [[]] + byFunction, value: value, unit: unit)
    }

    /// A value for the function's series only.
    func recordFunction(_ name: String, function: String, value: Double, unit: String = "Count") {
        add(name, to: [[MetricDimension(name: "FunctionName", value: function)]], value: value, unit: unit)
    }

    private func add(_ name: String, to dimensionSets: [[MetricDimension]], value: Double, unit: String) {
        let minute = Self.minute()
        pending.withLock { pending in
            for dimensions in dimensionSets {
                let key = SeriesKey(minute: minute, series: MetricSeries(namespace: Self.lambdaNamespace, name: name, dimensions: dimensions))
                pending.points[key, default: MetricStatistics(unit: unit)].add(value)
            }
        }
    }

    // MARK: Writing

    /// Writes everything recorded so far to the store.
    public func flush() async {
        let taken = pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
        var points = taken.points
        for (key, totals) in taken.invocations {
            for (series, statistics) in Self.expand(key, totals) {
                points[SeriesKey(minute: key.minute, series: series), default: MetricStatistics(unit: statistics.unit)].merge(statistics)
            }
        }
        guard !points.isEmpty else { return }
        do {
            try await store.recordMetrics(points.map { MetricPoint(series: $0.key.series, time: $0.key.minute, statistics: $0.value) })
        } catch {
            logger.error("could not write metrics, \(points.count) points lost: \(error)")
        }
    }

    /// An invocation key's totals as the series CloudWatch shows them.
    private static func expand(_ key: InvocationKey, _ totals: InvocationTotals) -> [(MetricSeries, MetricStatistics)] {
        let function = MetricDimension(name: "FunctionName", value: key.function)
        let resource = MetricDimension(name: "Resource", value: key.qualifier.map { "\(key.function):\($0)" } ?? key.function)
        var sets: [[MetricDimension]] = [[], [function], [function, resource]]
        if key.qualifier != nil { sets.append([function, resource, MetricDimension(name: "ExecutedVersion", value: key.executedVersion)]) }
        var invocations = MetricStatistics(unit: "Count")
        invocations.add(1, count: totals.invocations)
        var errors = MetricStatistics(unit: "Count")
        errors.add(1, count: totals.errors)
        errors.add(0, count: totals.invocations - totals.errors)
        var expanded: [(MetricSeries, MetricStatistics)] = []
        for dimensions in sets {
            for (name, statistics) in [("Invocations", invocations), ("Errors", errors), ("Duration", totals.duration)] {
                expanded.append((MetricSeries(namespace: lambdaNamespace, name: name, dimensions: dimensions), statistics))
            }
        }
        // Each invocation's concurrency at admission, so short invocations between samples count too.
        var concurrency = MetricStatistics(unit: "Count")
        concurrency.add(Double(totals.maxConcurrency))
        expanded.append((MetricSeries(namespace: lambdaNamespace, name: "ConcurrentExecutions", dimensions: [function]), concurrency))
        let usage = [function, MetricDimension(name: "Architecture", value: key.architecture),
                     MetricDimension(name: "MemorySize", value: String(key.memorySizeMB))]
        var billed = MetricStatistics(unit: "Milliseconds")
        billed.add(sampleCount: totals.invocations, sum: totals.billedMilliseconds, minimum: 0, maximum: totals.billedMilliseconds)
        var gbSeconds = MetricStatistics(unit: "None")
        let gbs = totals.billedMilliseconds / 1000 * Double(key.memorySizeMB) / 1024
        gbSeconds.add(sampleCount: totals.invocations, sum: gbs, minimum: 0, maximum: gbs)
        for (name, statistics) in [("Requests", invocations), ("BilledDuration", billed), ("GBSeconds", gbSeconds)] {
            expanded.append((MetricSeries(namespace: usageNamespace, name: name, dimensions: usage), statistics))
        }
        return expanded
    }

    /// Samples the concurrency gauges: functions with invocations in flight or provisioned environments.
    func sampleActivity() {
        let activity = self.activity.withLock { $0 }?() ?? []
        var total = 0
        for entry in activity {
            total += entry.concurrentExecutions
            if entry.concurrentExecutions > 0 {
                recordFunction("ConcurrentExecutions", function: entry.function, value: Double(entry.concurrentExecutions))
            }
            if entry.provisioned > 0 {
                recordFunction("ProvisionedConcurrentExecutions", function: entry.function, value: Double(entry.provisionedBusy))
                recordFunction("ProvisionedConcurrencyUtilization", function: entry.function,
                               value: Double(entry.provisionedBusy) / Double(entry.provisioned), unit: "None")
            }
        }
        if total > 0 { record("ConcurrentExecutions", function: nil, value: Double(total)) }
    }

    /// Every `interval`: samples the gauges and flushes; every hour, rolls old points up.
    public func run() async throws {
        var lastRollUp = ContinuousClock.now - .seconds(3600)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            sampleActivity()
            await flush()
            if ContinuousClock.now - lastRollUp >= .seconds(3600) {
                lastRollUp = .now
                do {
                    _ = try await store.rollUpMetrics(now: Int64(Date().timeIntervalSince1970))
                } catch {
                    logger.error("could not roll metrics up: \(error)")
                }
            }
        }
        await flush()
    }
}

extension MetricRecorder.InvocationTotals {
    fileprivate mutating func record(_ invocation: InvocationSummary) {
        invocations += 1
        if invocation.outcome != .success { errors += 1 }
        billedMilliseconds += Double(invocation.billedMilliseconds)
        maxConcurrency = max(maxConcurrency, invocation.concurrency)
        duration.add(invocation.durationSeconds * 1000)
    }
}
