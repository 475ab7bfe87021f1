import Foundation

/// CloudWatch metrics: series (namespace, name, dimensions) and their aggregated points, one
/// per series and period start. Points are written at 1-minute resolution and rolled up as
/// CloudWatch keeps them: 1-minute points for 15 days, 5-minute for 63, 1-hour for 455.
public protocol MetricStore: Sendable {
    /// Merges `points` into the 1-minute points of their series (in one transaction), creating
    /// series on first use.
    func recordMetrics(_ points: [MetricPoint]) async throws
    /// A series' points with `start <= time < end`, oldest first, at every resolution kept.
    func metricPoints(_ series: MetricSeries, start: Int64, end: Int64) async throws -> [MetricPoint]
    /// Series in creation order after `marker` (a position from an earlier page), at most
    /// `limit`: of `namespace` and `name` when given, having every dimension of `filters`
    /// (with that value when one is given), and with a point since `activeSince` when given.
    func listMetricSeries(namespace: String?, name: String?, filters: [(name: String, value: String?)], activeSince: Int64?,
                          after marker: Int64, limit: Int) async throws -> [(position: Int64, series: MetricSeries)]
    /// For each series of `namespace` and `name` whose only dimension is `dimension`: the sum of
    /// its points since `since`, by that dimension's value (invocations per function, for the console).
    func metricSums(namespace: String, name: String, dimension: String, since: Int64) async throws -> [String: Double]
    /// Rolls points older than the retention of their resolution into the next one, and deletes
    /// those past the last; returns how many points it removed.
    func rollUpMetrics(now: Int64) async throws -> Int
}

/// What identifies a metric: its namespace, name and dimensions (kept sorted by name, so one
/// set of dimensions is one series whatever order a client sent them in).
public struct MetricSeries: Hashable, Sendable {
    public var namespace: String
    public var name: String
    public private(set) var dimensions: [MetricDimension]

    public init(namespace: String, name: String, dimensions: [MetricDimension] = []) {
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions.sorted { $0.name < $1.name }
    }

    /// The dimensions as one string (`name=value` joined with the unit separator), the store's key.
    public var dimensionKey: String {
        dimensions.map { $0.name + "=" + $0.value }.joined(separator: "\u{1F}")
    }

    public init(namespace: String, name: String, dimensionKey: String) {
        let pairs = dimensionKey.isEmpty ? [] : dimensionKey.split(separator: "\u{1F}", omittingEmptySubsequences: false)
        let dimensions = pairs.map { pair -> MetricDimension in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return MetricDimension(name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        self.init(namespace: namespace, name: name, dimensions: dimensions)
    }
}

public struct MetricDimension: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A series' aggregate over one period starting at `time` (epoch seconds), `resolution` seconds long.
public struct MetricPoint: Sendable, Equatable {
    public var series: MetricSeries
    public var time: Int64
    public var resolution: Int64
    public var statistics: MetricStatistics

    public init(series: MetricSeries, time: Int64, resolution: Int64 = 60, statistics: MetricStatistics) {
        self.series = series
        self.time = time
        self.resolution = resolution
        self.statistics = statistics
    }
}

/// Sample count, sum, minimum and maximum of some values, with a log-scale histogram of them
/// for percentiles (buckets 2 % wide, so a percentile is within about 1 % of the exact value).
public struct MetricStatistics: Sendable, Equatable {
    public var sampleCount: Double = 0
    public var sum: Double = 0
    public var minimum: Double = .infinity
    public var maximum: Double = -.infinity
    public var unit: String?
    /// Sample counts by ``bucket(of:)``.
    public var histogram: [Int32: Double] = [:]

    public init(unit: String? = nil) {
        self.unit = unit
    }

    /// One value, `count` times.
    public mutating func add(_ value: Double, count: Double = 1) {
        guard count > 0 else { return }
        sampleCount += count
        sum += value * count
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
        histogram[Self.bucket(of: value), default: 0] += count
    }

    /// A client's own statistic set (PutMetricData's `StatisticValues`): no histogram beyond
    /// its mean, so percentiles of such points are approximate.
    public mutating func add(sampleCount count: Double, sum: Double, minimum: Double, maximum: Double) {
        guard count > 0 else { return }
        sampleCount += count
        self.sum += sum
        self.minimum = Swift.min(self.minimum, minimum)
        self.maximum = Swift.max(self.maximum, maximum)
        histogram[Self.bucket(of: sum / count), default: 0] += count
    }

    public mutating func merge(_ other: MetricStatistics) {
        guard other.sampleCount > 0 else { return }
        sampleCount += other.sampleCount
        sum += other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        unit = unit ?? other.unit
        for (bucket, count) in other.histogram { histogram[bucket, default: 0] += count }
    }

    /// The value at or below which `percent` % of the samples lie (nil without samples).
    public func percentile(_ percent: Double) -> Double? {
        guard sampleCount > 0 else { return nil }
        let rank = Swift.max(1, (percent / 100 * sampleCount).rounded(.up))
        var seen = 0.0
        for bucket in histogram.keys.sorted() {
            seen += histogram[bucket] ?? 0
            if seen >= rank { return Swift.min(Swift.max(Self.value(ofBucket: bucket), minimum), maximum) }
        }
        return maximum
    }

    private static let growth = 1.02
    private static let offset: Int32 = 100_000

    /// The bucket of a value: 0 for zero, `±(offset + ⌈log₁.₀₂ |v|⌉)` otherwise, so buckets sort as values do.
    static func bucket(of value: Double) -> Int32 {
        guard value != 0, value.isFinite else { return 0 }
        let exponent = Int32((Foundation.log(Swift.abs(value)) / Foundation.log(growth)).rounded(.up))
        return value > 0 ? offset + exponent : -(offset + exponent)
    }

    /// A value representing a bucket: the geometric middle of its range.
    static func value(ofBucket bucket: Int32) -> Double {
        guard bucket != 0 else { return 0 }
        let exponent = Double(Swift.abs(bucket) - offset) - 0.5
        let magnitude = Foundation.pow(growth, exponent)
        return bucket > 0 ? magnitude : -magnitude
    }

    /// The histogram as bytes for the store: (Int32 bucket, Float64 count) pairs, little-endian.
    public var encodedHistogram: Data {
        var data = Data(capacity: histogram.count * 12)
        for (bucket, count) in histogram.sorted(by: { $0.key < $1.key }) {
            withUnsafeBytes(of: bucket.littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: count.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    public static func decodeHistogram(_ data: Data) -> [Int32: Double] {
        var histogram: [Int32: Double] = [:]
        let bytes = [UInt8](data)
        var index = 0
        while index + 12 <= bytes.count {
            var bucket: UInt32 = 0
            for shift in 0..<4 { bucket |= UInt32(bytes[index + shift]) << (8 * shift) }
            var bits: UInt64 = 0
            for shift in 0..<8 { bits |= UInt64(bytes[index + 4 + shift]) << (8 * shift) }
            histogram[Int32(bitPattern: bucket)] = Double(bitPattern: bits)
            index += 12
        }
        return histogram
    }
}

/// How long CloudWatch keeps each resolution, and what it becomes after.
public enum MetricRetention {
    /// (resolution, kept for) in seconds: 1 minute for 15 days, 5 minutes for 63 days, 1 hour for 455 days.
    public static let tiers: [(resolution: Int64, keptFor: Int64)] = [(60, 15 * 86_400), (300, 63 * 86_400), (3600, 455 * 86_400)]
}
