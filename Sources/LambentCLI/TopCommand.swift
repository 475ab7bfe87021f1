import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LambentServer

/// `lambent top`: what every function is doing, refreshed from `GET /metrics`.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top", abstract: "Show live per-function metrics (invocations, errors, concurrency, latency).",
        aliases: ["stats"])

    @Option(help: "Seconds between refreshes.") var interval: Double = 1
    @Flag(help: "Print one table and exit.") var once = false
    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() async throws {
        let url = try ClientSettings.endpoint(options.endpointUrl).appendingPathComponent("metrics")
        let clearsScreen = !once && isatty(STDOUT_FILENO) == 1
        var previous: (time: ContinuousClock.Instant, table: [String: FunctionMetrics])?
        while true {
            let samples = PrometheusSample.parse(try await Self.fetch(url))
            let table = FunctionMetrics.table(from: samples)
            let now = ContinuousClock.now
            var rates: [String: Double] = [:]
            if let previous {
                let elapsed = (now - previous.time) / .seconds(1)
                for (function, metrics) in table {
                    let before = previous.table[function]?.invocations ?? 0
                    rates[function] = max(0, metrics.invocations - before) / elapsed
                }
            }
            // Written straight to the descriptor: print's buffer would hold a piped refresh back.
            let separator = clearsScreen ? "\u{1B}[H\u{1B}[2J" : previous == nil ? "" : "\n"
            let queues = QueueRow.table(from: samples)
            let queueText = queues.isEmpty ? "" : "\n\n" + QueueRow.render(queues)
            let screen = separator + FunctionMetrics.render(table, rates: rates) + queueText + "\n"
            FileHandle.standardOutput.write(Data(screen.utf8))
            if once { return }
            previous = (now, table)
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }

    static func fetch(_ url: URL) async throws -> String {
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw ValidationError("GET \(url) failed: \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// One function's row of `lambent top`, read from the `lambent_*` metrics.
struct FunctionMetrics: Equatable {
    var invocations = 0.0
    var errors = 0.0
    var throttles = 0.0
    var coldStarts = 0.0
    var concurrent = 0.0
    var idle = 0.0
    var busy = 0.0
    var initializing = 0.0
    /// Asynchronous events: queued, retried, given up (dropped), and delivery failures.
    var asyncQueued = 0.0
    var asyncRetried = 0.0
    var asyncDropped = 0.0
    var destinationFailures = 0.0
    var deadLetterErrors = 0.0
    /// Cumulative `le` buckets of the invocation duration histogram.
    var durationBuckets: [Double: Double] = [:]

    var p50: Double? { HistogramBuckets(buckets: durationBuckets.map { ($0.key, $0.value) }).quantile(0.5) }
    var p99: Double? { HistogramBuckets(buckets: durationBuckets.map { ($0.key, $0.value) }).quantile(0.99) }

    /// Rows by function name.
    static func table(from samples: [PrometheusSample]) -> [String: FunctionMetrics] {
        typealias Name = InvocationMetrics.Name
        var table: [String: FunctionMetrics] = [:]
        for sample in samples {
            guard let function = sample.labels["function"] else { continue }
            var row = table[function] ?? FunctionMetrics()
            switch sample.name {
            case Name.invocations: row.invocations += sample.value
            case Name.errors: row.errors += sample.value
            case Name.throttles: row.throttles += sample.value
            case Name.coldStarts: row.coldStarts += sample.value
            case Name.concurrentExecutions: row.concurrent = sample.value
            case Name.environments:
                switch sample.labels["state"] {
                case "idle": row.idle = sample.value
                case "busy": row.busy = sample.value
                case "initializing": row.initializing = sample.value
                default: break
                }
            case QueueMetrics.Name.asyncEvents:
                switch sample.labels["outcome"] {
                case "queued": row.asyncQueued += sample.value
                case "retried": row.asyncRetried += sample.value
                case "failed": row.asyncDropped += sample.value
                default: break
                }
            case QueueMetrics.Name.destinationFailures: row.destinationFailures += sample.value
            case QueueMetrics.Name.deadLetterErrors: row.deadLetterErrors += sample.value
            case Name.invocationDuration + "_bucket":
                guard let le = sample.labels["le"], let bound = le == "+Inf" ? .infinity : Double(le) else { continue }
                row.durationBuckets[bound] = sample.value
            default: continue
            }
            table[function] = row
        }
        return table
    }

    /// The table as aligned text; `rates` are invocations per second by function.
    static func render(_ table: [String: FunctionMetrics], rates: [String: Double]) -> String {
        var rows = [["FUNCTION", "INVOKES", "ERRORS", "THROTTLES", "COLD", "CONC", "IDLE", "BUSY", "INIT", "P50", "P99", "RATE/S",
                     "ASYNC", "RETRIED", "DROPPED", "DEST-ERR", "DLQ-ERR"]]
        for (function, row) in table.sorted(by: { $0.key < $1.key }) {
            rows.append([
                function, count(row.invocations), count(row.errors), count(row.throttles), count(row.coldStarts),
                count(row.concurrent), count(row.idle), count(row.busy), count(row.initializing),
                seconds(row.p50), seconds(row.p99), rates[function].map { String(format: "%.1f", $0) } ?? "-",
                count(row.asyncQueued), count(row.asyncRetried), count(row.asyncDropped), count(row.destinationFailures),
                count(row.deadLetterErrors),
            ])
        }
        if table.isEmpty { rows.append(["(no invocations yet)"]) }
        return aligned(rows)
    }

    /// Rows as text columns: the first left-aligned, the others right-aligned; a row may be
    /// shorter than the header.
    static func aligned(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func count(_ value: Double) -> String { String(Int(value.rounded())) }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value < 1 ? String(format: "%.1fms", value * 1000) : String(format: "%.2fs", value)
    }
}

/// One queue's row of `lambent top`: depth by state and the oldest message's age.
struct QueueRow: Equatable {
    var visible = 0.0
    var inFlight = 0.0
    var delayed = 0.0
    var oldestSeconds = 0.0

    static func table(from samples: [PrometheusSample]) -> [String: QueueRow] {
        var table: [String: QueueRow] = [:]
        for sample in samples {
            guard let queue = sample.labels["queue"] else { continue }
            var row = table[queue] ?? QueueRow()
            switch (sample.name, sample.labels["state"]) {
            case (QueueMetrics.Name.queueMessages, "visible"?): row.visible = sample.value
            case (QueueMetrics.Name.queueMessages, "in_flight"?): row.inFlight = sample.value
            case (QueueMetrics.Name.queueMessages, "delayed"?): row.delayed = sample.value
            case (QueueMetrics.Name.queueOldestAge, _): row.oldestSeconds = sample.value
            default: continue
            }
            table[queue] = row
        }
        return table
    }

    static func render(_ table: [String: QueueRow]) -> String {
        var rows = [["QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST"]]
        for (queue, row) in table.sorted(by: { $0.key < $1.key }) {
            rows.append([queue, FunctionMetrics.count(row.visible), FunctionMetrics.count(row.inFlight), FunctionMetrics.count(row.delayed),
                         FunctionMetrics.seconds(row.oldestSeconds == 0 ? nil : row.oldestSeconds)])
        }
        return FunctionMetrics.aligned(rows)
    }
}
