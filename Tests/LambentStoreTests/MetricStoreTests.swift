import Foundation
import Testing

@testable import LambentStore

@Suite struct MetricStoreTests {
    let store: SQLiteStore

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
    }

    static let day: Int64 = 86_400
    /// A whole number of hours, so that `now` minus whole days starts a window of every tier.
    static let now: Int64 = 500_000 * 3600
    static let function = MetricSeries(namespace: "AWS/Lambda", name: "Duration", dimensions: [
        MetricDimension(name: "FunctionName", value: "f"),
    ])
    static let percents: [Double] = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]

    static func stats(_ values: [Double], unit: String? = "Milliseconds") -> MetricStatistics {
        var statistics = MetricStatistics(unit: unit)
        for value in values { statistics.add(value) }
        return statistics
    }

    static func merged(_ parts: MetricStatistics...) -> MetricStatistics {
        var result = MetricStatistics()
        for part in parts { result.merge(part) }
        return result
    }

    /// The exact percentile as `percentile` ranks it: the ⌈p/100·n⌉-th smallest value.
    static func exactPercentile(_ percent: Double, of sorted: [Double]) -> Double {
        let rank = max(1, Int((percent / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    // MARK: - Series

    @Test("dimensions in any order make one series")
    func dimensionsAreSorted() {
        let a = MetricSeries(namespace: "AWS/Lambda", name: "Duration", dimensions: [
            MetricDimension(name: "Resource", value: "f:prod"), MetricDimension(name: "FunctionName", value: "f"),
        ])
        let b = MetricSeries(namespace: "AWS/Lambda", name: "Duration", dimensions: [
            MetricDimension(name: "FunctionName", value: "f"), MetricDimension(name: "Resource", value: "f:prod"),
        ])
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a.dimensions.map(\.name) == ["FunctionName", "Resource"])
        #expect(a.dimensionKey == "FunctionName=f\u{1F}Resource=f:prod")
        #expect(a.dimensionKey == b.dimensionKey)
    }

    @Test("dimensionKey round trips, with '=' in a value, an empty value and no dimensions")
    func dimensionKeyRoundTrip() {
        let cases: [[MetricDimension]] = [
            [],
            [MetricDimension(name: "FunctionName", value: "f")],
            [
                MetricDimension(name: "Query", value: "a=b=c"), MetricDimension(name: "Empty", value: ""),
                MetricDimension(name: "Z", value: "="),
            ],
        ]
        for dimensions in cases {
            let series = MetricSeries(namespace: "Custom/App", name: "Latency", dimensions: dimensions)
            let decoded = MetricSeries(namespace: "Custom/App", name: "Latency", dimensionKey: series.dimensionKey)
            #expect(decoded == series, "\(series.dimensionKey)")
        }
        #expect(MetricSeries(namespace: "N", name: "m", dimensionKey: "").dimensions.isEmpty)
        #expect(MetricSeries(namespace: "N", name: "m", dimensionKey: "Query=a=b").dimensions == [
            MetricDimension(name: "Query", value: "a=b"),
        ])
    }

    @Test func retentionTiersAreCloudWatchs() {
        #expect(MetricRetention.tiers.map { $0.resolution } == [60, 300, 3600])
        #expect(MetricRetention.tiers.map { $0.keptFor / 86_400 } == [15, 63, 455])
    }

    // MARK: - Statistics

    @Test func sumCountMinimumAndMaximum() {
        var statistics = MetricStatistics(unit: "Count")
        #expect(statistics.percentile(50) == nil)
        for value in [4.0, 1, 7, 2.5] { statistics.add(value) }
        statistics.add(10, count: 3)
        statistics.add(99, count: 0)
        #expect(statistics.sampleCount == 7)
        #expect(statistics.sum == 44.5)
        #expect(statistics.minimum == 1)
        #expect(statistics.maximum == 10)
        #expect(statistics.unit == "Count")
        #expect(statistics.histogram.values.reduce(0, +) == 7)
        #expect(statistics.histogram[MetricStatistics.bucket(of: 10)] == 3)
    }

    @Test("a client's statistic set adds its count, sum and extremes, and its mean to the histogram")
    func statisticSet() throws {
        var statistics = MetricStatistics()
        statistics.add(sampleCount: 4, sum: 20, minimum: 1, maximum: 9)
        statistics.add(sampleCount: 0, sum: 100, minimum: -100, maximum: 100)
        #expect(statistics.sampleCount == 4)
        #expect(statistics.sum == 20)
        #expect(statistics.minimum == 1)
        #expect(statistics.maximum == 9)
        #expect(statistics.histogram == [MetricStatistics.bucket(of: 5): 4])
        let median = try #require(statistics.percentile(50))
        #expect(abs(median - 5) <= 0.02 * 5)
    }

    @Test("merging equals adding every sample to one; merging nothing changes nothing")
    func merge() {
        var first = Self.stats([1, 2, 3])
        first.merge(Self.stats([10, 20, 0.5]))
        #expect(first == Self.stats([1, 2, 3, 10, 20, 0.5]))
        #expect(first.sampleCount == 6 && first.sum == 36.5 && first.minimum == 0.5 && first.maximum == 20)

        var unchanged = first
        unchanged.merge(MetricStatistics(unit: "Bytes"))
        #expect(unchanged == first)

        var empty = MetricStatistics()
        empty.merge(first)
        #expect(empty == first)

        var seconds = Self.stats([1], unit: "Seconds")
        seconds.merge(Self.stats([2], unit: "Bytes"))
        #expect(seconds.unit == "Seconds")
    }

    @Test("percentiles of 1...1000 are within 2 % of the exact values")
    func percentilesOfIntegers() throws {
        let values = (1...1000).map { Double($0) }
        var statistics = MetricStatistics()
        for value in values.reversed() { statistics.add(value) }
        for percent in Self.percents {
            let exact = Self.exactPercentile(percent, of: values)
            let estimate = try #require(statistics.percentile(percent))
            #expect(abs(estimate - exact) <= 0.02 * exact, "p\(percent): \(estimate) against \(exact)")
        }
    }

    @Test("percentiles of values from 0.01 to 1e6 are within 2 % of the exact values")
    func percentilesOverEightDecades() throws {
        let values = (0..<2000).map { pow(10, -2 + 8 * Double($0) / 1999) }
        var statistics = MetricStatistics()
        for value in values { statistics.add(value) }
        #expect(statistics.minimum == values[0] && statistics.maximum == values[1999])
        for percent in Self.percents {
            let exact = Self.exactPercentile(percent, of: values)
            let estimate = try #require(statistics.percentile(percent))
            #expect(abs(estimate - exact) <= 0.02 * exact, "p\(percent): \(estimate) against \(exact)")
        }
    }

    @Test("with one sample, every percentile is exactly that sample")
    func oneSample() {
        for value in [42.5, 0.003, -7.25, 0, 1e9] {
            var statistics = MetricStatistics()
            statistics.add(value)
            for percent in Self.percents {
                #expect(statistics.percentile(percent) == value, "p\(percent) of \(value)")
            }
        }
    }

    @Test("zero and negative values rank below positive ones")
    func zeroAndNegativeValues() throws {
        var statistics = MetricStatistics()
        for value in [3.0, -5, 0, -5, -0.5] { statistics.add(value) }
        #expect(statistics.sampleCount == 5)
        #expect(statistics.sum == -7.5)
        #expect(statistics.minimum == -5)
        #expect(statistics.maximum == 3)
        #expect(statistics.percentile(20) == -5)
        #expect(statistics.percentile(40) == -5)
        let third = try #require(statistics.percentile(60))
        #expect(abs(third + 0.5) <= 0.02 * 0.5)
        #expect(statistics.percentile(80) == 0)
        #expect(statistics.percentile(100) == 3)
    }

    @Test("buckets sort as their values do, and a bucket's value is within 1 % of its members")
    func buckets() {
        let magnitudes = (0..<400).map { pow(10, -4 + 12 * Double($0) / 399) }
        let values: [Double] = magnitudes.reversed().map { -$0 } + [0] + magnitudes
        let buckets = values.map { MetricStatistics.bucket(of: $0) }
        let ascending = zip(buckets, buckets.dropFirst()).allSatisfy { pair in pair.0 <= pair.1 }
        #expect(ascending)
        for value in values {
            let representative = MetricStatistics.value(ofBucket: MetricStatistics.bucket(of: value))
            #expect(abs(representative - value) <= 0.01 * abs(value), "\(value) → \(representative)")
        }
        #expect(MetricStatistics.bucket(of: 0) == 0)
        #expect(MetricStatistics.value(ofBucket: 0) == 0)
        #expect(MetricStatistics.bucket(of: .nan) == 0)
        #expect(MetricStatistics.bucket(of: .infinity) == 0)
    }

    @Test("the histogram encodes as little-endian (Int32, Float64) pairs and decodes back")
    func histogramRoundTrip() {
        var statistics = MetricStatistics()
        for value in [-1e6, -3, -0.001, 0, 0.001, 1, 1, 2.5, 1e6] { statistics.add(value) }
        statistics.add(7, count: 0.5)
        let encoded = statistics.encodedHistogram
        #expect(encoded.count == 12 * statistics.histogram.count)
        #expect(MetricStatistics.decodeHistogram(encoded) == statistics.histogram)

        var known = MetricStatistics()
        known.histogram = [0x0102_0304: 1, -1: 2]
        let expected: [UInt8] = [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,  // -1: 2.0
            0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,  // 0x01020304: 1.0
        ]
        #expect([UInt8](known.encodedHistogram) == expected)
        var padded = known.encodedHistogram
        padded.append(0xAA)
        #expect(MetricStatistics.decodeHistogram(padded) == known.histogram)
        #expect(MetricStatistics.decodeHistogram(Data()).isEmpty)
    }

    // MARK: - Store

    /// Every matching series (one page of up to 100), in creation order.
    func list(namespace: String? = nil, name: String? = nil, filters: [(name: String, value: String?)] = [],
              activeSince: Int64? = nil) async throws -> [MetricSeries] {
        try await store.listMetricSeries(namespace: namespace, name: name, filters: filters, activeSince: activeSince,
                                         after: 0, limit: 100).map { $0.series }
    }

    @Test("recording the same minute twice merges both into one point")
    func recordingMerges() async throws {
        let time: Int64 = 1_700_000_040
        let first = Self.stats([10, 20])
        let second = Self.stats([5, 30, 20])
        // The same series, its dimensions given in the other order.
        let reordered = MetricSeries(namespace: "AWS/Lambda", name: "Duration", dimensions: [
            MetricDimension(name: "Resource", value: "f:prod"), MetricDimension(name: "FunctionName", value: "f"),
        ])
        let series = MetricSeries(namespace: "AWS/Lambda", name: "Duration", dimensions: [
            MetricDimension(name: "FunctionName", value: "f"), MetricDimension(name: "Resource", value: "f:prod"),
        ])
        try await store.recordMetrics([])
        try await store.recordMetrics([MetricPoint(series: series, time: time, statistics: first)])
        try await store.recordMetrics([MetricPoint(series: reordered, time: time, statistics: second)])

        let points = try await store.metricPoints(series, start: 0, end: .max)
        #expect(points.count == 1)
        let point = try #require(points.first)
        #expect(point.time == time && point.resolution == 60)
        #expect(point.statistics.sampleCount == 5)
        #expect(point.statistics.sum == 85)
        #expect(point.statistics.minimum == 5)
        #expect(point.statistics.maximum == 30)
        #expect(point.statistics.histogram[MetricStatistics.bucket(of: 20)] == 2)
        #expect(point.statistics == Self.merged(first, second))

        // Twice in one call merges as well.
        let third = Self.stats([1])
        try await store.recordMetrics([
            MetricPoint(series: series, time: time, statistics: third),
            MetricPoint(series: reordered, time: time, statistics: third),
        ])
        #expect(try await store.metricPoints(series, start: 0, end: .max).map(\.statistics) == [
            Self.merged(first, second, third, third),
        ])
        #expect(try await list() == [series])
    }

    @Test("metricPoints is start-inclusive, end-exclusive, ordered by time then resolution, and of one series")
    func pointRange() async throws {
        let time: Int64 = 1_700_000_040  // time + 60 is a multiple of 300
        let other = MetricSeries(namespace: "AWS/Lambda", name: "Errors", dimensions: [MetricDimension(name: "FunctionName", value: "f")])
        try await store.recordMetrics([
            MetricPoint(series: Self.function, time: time + 180, statistics: Self.stats([4])),
            MetricPoint(series: Self.function, time: time + 60, statistics: Self.stats([2])),
            MetricPoint(series: Self.function, time: time, statistics: Self.stats([1])),
            MetricPoint(series: Self.function, time: time + 120, statistics: Self.stats([3])),
            MetricPoint(series: Self.function, time: time + 60, resolution: 300, statistics: Self.stats([9])),
            MetricPoint(series: other, time: time + 60, statistics: Self.stats([100])),
        ])
        let points = try await store.metricPoints(Self.function, start: time + 60, end: time + 180)
        #expect(points.map { [$0.time, $0.resolution] } == [[time + 60, 60], [time + 60, 300], [time + 120, 60]])
        #expect(points.map { $0.statistics.sum } == [2, 9, 3])
        #expect(points.allSatisfy { $0.series == Self.function })
        #expect(try await store.metricPoints(Self.function, start: time, end: time).isEmpty)
        #expect(try await store.metricPoints(Self.function, start: 0, end: .max).map(\.time) == [
            time, time + 60, time + 60, time + 120, time + 180,
        ])
        let missing = MetricSeries(namespace: "AWS/Lambda", name: "Throttles")
        #expect(try await store.metricPoints(missing, start: 0, end: .max).isEmpty)
    }

    @Test("listMetricSeries filters by namespace, name, dimensions and activity, in creation order")
    func listFilters() async throws {
        let functionA = MetricDimension(name: "FunctionName", value: "a")
        let invocationsA = MetricSeries(namespace: "AWS/Lambda", name: "Invocations", dimensions: [functionA])
        let errorsA = MetricSeries(namespace: "AWS/Lambda", name: "Errors", dimensions: [functionA])
        let invocationsB = MetricSeries(namespace: "AWS/Lambda", name: "Invocations", dimensions: [
            MetricDimension(name: "Resource", value: "b:prod"), MetricDimension(name: "FunctionName", value: "b"),
        ])
        let custom = MetricSeries(namespace: "Custom/App", name: "Invocations")
        try await store.recordMetrics([
            MetricPoint(series: invocationsA, time: 1_000, statistics: Self.stats([1])),
            MetricPoint(series: errorsA, time: 1_000, statistics: Self.stats([1])),
            MetricPoint(series: invocationsB, time: 5_000, statistics: Self.stats([1])),
            MetricPoint(series: custom, time: 5_000, statistics: Self.stats([1])),
        ])
        // A late point for an earlier minute does not make a series look less recently active.
        try await store.recordMetrics([MetricPoint(series: custom, time: 100, statistics: Self.stats([1]))])

        #expect(try await list() == [invocationsA, errorsA, invocationsB, custom])
        #expect(try await list(namespace: "AWS/Lambda") == [invocationsA, errorsA, invocationsB])
        #expect(try await list(namespace: "AWS/Lambda", name: "Invocations") == [invocationsA, invocationsB])
        #expect(try await list(name: "Invocations") == [invocationsA, invocationsB, custom])
        #expect(try await list(namespace: "Nobody") == [])
        // A dimension by name only, and by name and value.
        #expect(try await list(filters: [("FunctionName", nil)]) == [invocationsA, errorsA, invocationsB])
        #expect(try await list(filters: [("FunctionName", "b")]) == [invocationsB])
        #expect(try await list(filters: [("FunctionName", "c")]) == [])
        #expect(try await list(filters: [("FunctionName", "b"), ("Resource", nil)]) == [invocationsB])
        #expect(try await list(filters: [("FunctionName", "a"), ("Resource", nil)]) == [])
        #expect(try await list(filters: [("Resource", "b:prod")]) == [invocationsB])
        // Activity: the series' latest point at or after the time.
        #expect(try await list(activeSince: 1_000) == [invocationsA, errorsA, invocationsB, custom])
        #expect(try await list(activeSince: 5_000) == [invocationsB, custom])
        #expect(try await list(activeSince: 5_001) == [])
        #expect(try await list(namespace: "AWS/Lambda", name: "Invocations", filters: [("FunctionName", nil)], activeSince: 5_000)
            == [invocationsB])
    }

    @Test("paging resumes after the returned position, and the limit counts only matching series")
    func paging() async throws {
        let created = (0..<5).map { index in
            MetricSeries(namespace: "Custom/App", name: "m\(index)", dimensions: [
                MetricDimension(name: "Shard", value: index.isMultiple(of: 2) ? "even" : "odd"),
            ])
        }
        try await store.recordMetrics(created.map { MetricPoint(series: $0, time: 60, statistics: Self.stats([1])) })

        var pages: [[MetricSeries]] = []
        var marker: Int64 = 0
        for _ in 0..<10 {
            let page = try await store.listMetricSeries(namespace: nil, name: nil, filters: [], activeSince: nil,
                                                        after: marker, limit: 2)
            guard let last = page.last else { break }
            pages.append(page.map { $0.series })
            marker = last.position
        }
        #expect(pages == [[created[0], created[1]], [created[2], created[3]], [created[4]]])

        var evens: [MetricSeries] = []
        marker = 0
        for _ in 0..<10 {
            let page = try await store.listMetricSeries(namespace: nil, name: nil, filters: [("Shard", "even")], activeSince: nil,
                                                        after: marker, limit: 1)
            guard let last = page.last else { break }
            #expect(page.count == 1)
            evens.append(last.series)
            marker = last.position
        }
        #expect(evens == [created[0], created[2], created[4]])
    }

    // MARK: - Roll-up

    @Test("1-minute points older than 15 days merge into 5-minute points aligned to 300 s")
    func rollUpMinutes() async throws {
        let window = Self.now - 16 * Self.day
        let a = Self.stats([1, 2])
        let b = Self.stats([10])
        let c = Self.stats([40, 5, 5])
        let d = Self.stats([7])
        let recent = Self.stats([3])
        try await store.recordMetrics([
            MetricPoint(series: Self.function, time: window + 60, statistics: a),
            MetricPoint(series: Self.function, time: window + 120, statistics: b),
            MetricPoint(series: Self.function, time: window + 240, statistics: c),
            MetricPoint(series: Self.function, time: window + 360, statistics: d),
            // Exactly 15 days old: still within retention.
            MetricPoint(series: Self.function, time: Self.now - 15 * Self.day, statistics: recent),
            MetricPoint(series: Self.function, time: Self.now - 60, statistics: recent),
        ])

        #expect(try await store.rollUpMetrics(now: Self.now) == 4)
        let points = try await store.metricPoints(Self.function, start: 0, end: .max)
        #expect(points == [
            MetricPoint(series: Self.function, time: window, resolution: 300, statistics: Self.merged(a, b, c)),
            MetricPoint(series: Self.function, time: window + 300, resolution: 300, statistics: d),
            MetricPoint(series: Self.function, time: Self.now - 15 * Self.day, statistics: recent),
            MetricPoint(series: Self.function, time: Self.now - 60, statistics: recent),
        ])
        #expect(points.filter { $0.resolution == 300 }.allSatisfy { $0.time % 300 == 0 })
        let first = try #require(points.first)
        #expect(first.statistics.sampleCount == 6 && first.statistics.sum == 63)
        #expect(first.statistics.minimum == 1 && first.statistics.maximum == 40)

        #expect(try await store.rollUpMetrics(now: Self.now) == 0)
    }

    @Test("5-minute points older than 63 days merge into 1-hour points; younger ones stay")
    func rollUpFiveMinutes() async throws {
        let hour = Self.now - 64 * Self.day
        let a = Self.stats([1])
        let b = Self.stats([2, 4])
        let c = Self.stats([8])
        let kept = Self.stats([16])
        try await store.recordMetrics([
            MetricPoint(series: Self.function, time: hour + 300, resolution: 300, statistics: a),
            MetricPoint(series: Self.function, time: hour + 3300, resolution: 300, statistics: b),
            MetricPoint(series: Self.function, time: hour + 3600 + 900, resolution: 300, statistics: c),
            MetricPoint(series: Self.function, time: Self.now - 62 * Self.day, resolution: 300, statistics: kept),
        ])

        #expect(try await store.rollUpMetrics(now: Self.now) == 3)
        let points = try await store.metricPoints(Self.function, start: 0, end: .max)
        #expect(points == [
            MetricPoint(series: Self.function, time: hour, resolution: 3600, statistics: Self.merged(a, b)),
            MetricPoint(series: Self.function, time: hour + 3600, resolution: 3600, statistics: c),
            MetricPoint(series: Self.function, time: Self.now - 62 * Self.day, resolution: 300, statistics: kept),
        ])
        #expect(points.filter { $0.resolution == 3600 }.allSatisfy { $0.time % 3600 == 0 })
    }

    @Test("a 1-minute point older than 63 days reaches the 1-hour tier in one pass")
    func rollUpChains() async throws {
        let hour = Self.now - 100 * Self.day + 3 * 3600
        let statistics = Self.stats([5, 6])
        try await store.recordMetrics([MetricPoint(series: Self.function, time: hour + 660, statistics: statistics)])

        // The 1-minute row, then the 5-minute row made from it.
        #expect(try await store.rollUpMetrics(now: Self.now) == 2)
        #expect(try await store.metricPoints(Self.function, start: 0, end: .max) == [
            MetricPoint(series: Self.function, time: hour, resolution: 3600, statistics: statistics),
        ])
    }

    @Test("1-hour points older than 455 days are deleted, and so is a series left without points")
    func rollUpDeletes() async throws {
        let gone = MetricSeries(namespace: "AWS/Lambda", name: "Invocations", dimensions: [
            MetricDimension(name: "FunctionName", value: "gone"),
        ])
        let kept = Self.stats([1])
        try await store.recordMetrics([
            MetricPoint(series: gone, time: Self.now - 456 * Self.day, resolution: 3600, statistics: Self.stats([1])),
            MetricPoint(series: Self.function, time: Self.now - 456 * Self.day, resolution: 3600, statistics: Self.stats([2])),
            MetricPoint(series: Self.function, time: Self.now - 454 * Self.day, resolution: 3600, statistics: kept),
        ])

        #expect(try await store.rollUpMetrics(now: Self.now) == 2)
        #expect(try await store.metricPoints(gone, start: 0, end: .max).isEmpty)
        #expect(try await store.metricPoints(Self.function, start: 0, end: .max) == [
            MetricPoint(series: Self.function, time: Self.now - 454 * Self.day, resolution: 3600, statistics: kept),
        ])
        #expect(try await list() == [Self.function])
    }

    @Test("points within their tier's retention are left as they are")
    func rollUpKeepsRecentPoints() async throws {
        let points = [
            MetricPoint(series: Self.function, time: Self.now - 455 * Self.day, resolution: 3600, statistics: Self.stats([3])),
            MetricPoint(series: Self.function, time: Self.now - 63 * Self.day, resolution: 300, statistics: Self.stats([2])),
            MetricPoint(series: Self.function, time: Self.now - 15 * Self.day, statistics: Self.stats([1])),
            MetricPoint(series: Self.function, time: Self.now - 60, statistics: Self.stats([4])),
        ]
        try await store.recordMetrics(points)

        #expect(try await store.rollUpMetrics(now: Self.now) == 0)
        #expect(try await store.metricPoints(Self.function, start: 0, end: .max) == points)
    }
}
