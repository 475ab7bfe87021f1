import Foundation
import LambentStore

/// CloudWatch's metric operations over the store: statistics of a series over periods,
/// several queries at once, the list of series, and clients' own data points.
struct CloudWatchService: Sendable {
    let store: any MetricStore
    let recorder: MetricRecorder

    static let statistics = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
    static let maxStatisticsDatapoints = 1440
    static let listPageSize = 500

    /// What one period of one series is asked for: a statistic (`Sum`, …) or a percentile (`p99`, `p99.9`).
    enum Statistic: Equatable {
        case simple(String)
        case percentile(String, Double)

        init?(_ text: String) {
            if CloudWatchService.statistics.contains(text) {
                self = .simple(text)
                return
            }
            guard text.hasPrefix("p"), let value = Double(text.dropFirst()), value >= 0, value <= 100,
                  text.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
            self = .percentile(text, value)
        }

        var name: String {
            switch self {
            case .simple(let name), .percentile(let name, _): name
            }
        }

        func value(of statistics: MetricStatistics) -> Double? {
            switch self {
            case .simple("SampleCount"): statistics.sampleCount
            case .simple("Sum"): statistics.sum
            case .simple("Average"): statistics.sampleCount > 0 ? statistics.sum / statistics.sampleCount : nil
            case .simple("Minimum"): statistics.minimum
            case .simple("Maximum"): statistics.maximum
            case .simple: nil
            case .percentile(_, let percent): statistics.percentile(percent)
            }
        }
    }

    struct Period {
        var start: Int64
        var statistics: MetricStatistics
    }

    /// Writes what the recorder holds, so the reads that follow see every finished invocation:
    /// once per request, before its reads.
    func refresh() async {
        await recorder.flush()
    }

    /// A series' points merged into periods of `period` seconds from `start` (rounded down to
    /// the minute) up to `end`, oldest first; periods without data are left out. With `unit`,
    /// only points recorded in that unit count.
    func periods(_ series: MetricSeries, start: Double, end: Double, period: Int64, unit: String?) async throws -> [Period] {
        let from = Int64(start.rounded(.down)) - Int64(start.rounded(.down)) % 60
        let to = Int64(end.rounded(.up))
        var merged: [Int64: MetricStatistics] = [:]
        for point in try await store.metricPoints(series, start: from, end: to) {
            if let unit, point.statistics.unit != unit { continue }
            let periodStart = from + (point.time - from) / period * period
            merged[periodStart, default: MetricStatistics()].merge(point.statistics)
        }
        return merged.keys.sorted().map { Period(start: $0, statistics: merged[$0]!) }
    }

    static func checkPeriod(_ period: Int?, field: String) throws(CloudWatchError) -> Int64 {
        guard let period else { throw .missing(field) }
        guard period > 0, period % 60 == 0 || [1, 5, 10, 20, 30].contains(period) else {
            throw .invalidValue("The parameter \(field) must be a multiple of 60.")
        }
        // Points are kept per minute: a shorter period reads as one minute.
        return Int64(max(period, 60))
    }

    static func checkRange(start: Double?, end: Double?) throws(CloudWatchError) -> (Double, Double) {
        guard let start else { throw .missing("StartTime") }
        guard let end else { throw .missing("EndTime") }
        guard start < end else { throw .invalidValue("The parameter StartTime must be less than the parameter EndTime.") }
        return (start, end)
    }

    /// A `NextToken`: a position (a series id, or datapoints already returned), base64-encoded.
    static func token(_ position: Int64) -> String {
        Data(String(position).utf8).base64EncodedString()
    }

    /// The position a `NextToken` holds; nil for one this service did not write.
    static func position(_ token: String) -> Int64? {
        Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) }.flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
    }

    // MARK: PutMetricData

    /// A client's data point, checked: (series, time, statistics).
    struct Datum {
        var series: MetricSeries
        var time: Int64
        var statistics: MetricStatistics
    }

    func put(_ data: [Datum]) async throws {
        try await store.recordMetrics(data.map { datum in
            MetricPoint(series: datum.series, time: datum.time - datum.time % 60, statistics: datum.statistics)
        })
    }

    // MARK: ListMetrics

    func list(namespace: String?, name: String?, filters: [(name: String, value: String?)], recentlyActive: Bool,
              token: String?) async throws -> (series: [MetricSeries], nextToken: String?) {
        var marker: Int64 = 0
        if let token {
            guard let position = Self.position(token) else {
                throw CloudWatchError.invalidValue("The value \(token) for parameter NextToken is invalid.")
            }
            marker = position
        }
        let activeSince = recentlyActive ? Int64(Date().timeIntervalSince1970) - 3 * 3600 : nil
        let page = try await store.listMetricSeries(namespace: namespace, name: name, filters: filters, activeSince: activeSince,
                                                    after: marker, limit: Self.listPageSize + 1)
        let shown = page.prefix(Self.listPageSize)
        let next = page.count > Self.listPageSize ? Self.token(shown.last!.position) : nil
        return (shown.map(\.series), next)
    }
}
