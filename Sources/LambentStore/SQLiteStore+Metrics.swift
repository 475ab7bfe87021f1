import Foundation
import GRDB

/// CloudWatch metrics' tables: `metricSeries` (one row per namespace, name and dimensions,
/// with the time of its last point) and `metricPoint` (one row per series, resolution and
/// period start, with the period's statistics and histogram).
extension SQLiteStore {
    static func createMetricTables(_ db: Database) throws {
        try db.create(table: "metricSeries") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("namespace", .text).notNull()
            table.column("name", .text).notNull()
            table.column("dimensions", .text).notNull()
            table.column("lastTime", .integer).notNull()
            table.uniqueKey(["namespace", "name", "dimensions"])
        }
        try db.create(table: "metricPoint", options: .withoutRowID) { table in
            table.column("series", .integer).notNull()
            table.column("resolution", .integer).notNull()
            table.column("time", .integer).notNull()
            table.column("sampleCount", .double).notNull()
            table.column("sum", .double).notNull()
            table.column("minimum", .double).notNull()
            table.column("maximum", .double).notNull()
            table.column("unit", .text)
            table.column("histogram", .blob).notNull()
            table.primaryKey(["series", "time", "resolution"])
        }
        try db.create(index: "metricPointByAge", on: "metricPoint", columns: ["resolution", "time"])
    }

    public func recordMetrics(_ points: [MetricPoint]) async throws {
        guard !points.isEmpty else { return }
        try await pool.write { db in
            var ids: [MetricSeries: Int64] = [:]
            for point in points {
                let id = try ids[point.series] ?? Self.seriesID(db, point.series)
                ids[point.series] = id
                try db.execute(sql: "UPDATE metricSeries SET lastTime = MAX(lastTime, ?) WHERE id = ?", arguments: [point.time, id])
                try Self.merge(db, series: id, time: point.time, resolution: point.resolution, statistics: point.statistics)
            }
        }
    }

    private static func seriesID(_ db: Database, _ series: MetricSeries) throws -> Int64 {
        let key = series.dimensionKey
        try db.execute(sql: "INSERT OR IGNORE INTO metricSeries (namespace, name, dimensions, lastTime) VALUES (?, ?, ?, 0)",
                       arguments: [series.namespace, series.name, key])
        return try Int64.fetchOne(db, sql: "SELECT id FROM metricSeries WHERE namespace = ? AND name = ? AND dimensions = ?",
                                  arguments: [series.namespace, series.name, key])!
    }

    /// Adds statistics to a point, creating it if need be.
    private static func merge(_ db: Database, series: Int64, time: Int64, resolution: Int64, statistics: MetricStatistics) throws {
        var merged = statistics
        if let row = try Row.fetchOne(db, sql: """
            SELECT sampleCount, sum, minimum, maximum, unit, histogram FROM metricPoint WHERE series = ? AND time = ? AND resolution = ?
            """, arguments: [series, time, resolution]) {
            merged.merge(Self.statistics(row))
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO metricPoint (series, resolution, time, sampleCount, sum, minimum, maximum, unit, histogram)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [series, resolution, time, merged.sampleCount, merged.sum, merged.minimum, merged.maximum, merged.unit,
                             merged.encodedHistogram])
    }

    private static func statistics(_ row: Row) -> MetricStatistics {
        var statistics = MetricStatistics(unit: row["unit"])
        statistics.sampleCount = row["sampleCount"]
        statistics.sum = row["sum"]
        statistics.minimum = row["minimum"]
        statistics.maximum = row["maximum"]
        statistics.histogram = MetricStatistics.decodeHistogram(row["histogram"])
        return statistics
    }

    public func metricPoints(_ series: MetricSeries, start: Int64, end: Int64) async throws -> [MetricPoint] {
        try await pool.read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM metricSeries WHERE namespace = ? AND name = ? AND dimensions = ?",
                                               arguments: [series.namespace, series.name, series.dimensionKey]) else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT time, resolution, sampleCount, sum, minimum, maximum, unit, histogram FROM metricPoint
                WHERE series = ? AND time >= ? AND time < ? ORDER BY time, resolution
                """, arguments: [id, start, end]).map { row in
                MetricPoint(series: series, time: row["time"], resolution: row["resolution"], statistics: Self.statistics(row))
            }
        }
    }

    public func listMetricSeries(namespace: String?, name: String?, filters: [(name: String, value: String?)], activeSince: Int64?,
                                 after marker: Int64, limit: Int) async throws -> [(position: Int64, series: MetricSeries)] {
        try await pool.read { db in
            var sql = "SELECT id, namespace, name, dimensions FROM metricSeries WHERE id > ?"
            var arguments: StatementArguments = [marker]
            if let namespace {
                sql += " AND namespace = ?"
                arguments += [namespace]
            }
            if let name {
                sql += " AND name = ?"
                arguments += [name]
            }
            if let activeSince {
                sql += " AND lastTime >= ?"
                arguments += [activeSince]
            }
            sql += " ORDER BY id"
            var found: [(position: Int64, series: MetricSeries)] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next(), found.count < limit {
                let series = MetricSeries(namespace: row["namespace"], name: row["name"], dimensionKey: row["dimensions"])
                let matches = filters.allSatisfy { filter in
                    series.dimensions.contains { $0.name == filter.name && (filter.value == nil || $0.value == filter.value) }
                }
                if matches { found.append((row["id"], series)) }
            }
            return found
        }
    }

    public func metricSums(namespace: String, name: String, dimension: String, since: Int64) async throws -> [String: Double] {
        try await pool.read { db in
            var sums: [String: Double] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.dimensions AS dimensions, SUM(p.sum) AS total FROM metricSeries s JOIN metricPoint p ON p.series = s.id
                WHERE s.namespace = ? AND s.name = ? AND s.dimensions LIKE ? ESCAPE '\\' AND instr(s.dimensions, char(31)) = 0
                  AND s.lastTime >= ? AND p.time >= ?
                GROUP BY s.id
                """, arguments: [namespace, name, Self.likePrefix(dimension + "="), since, since])
            for row in rows {
                let key: String = row["dimensions"]
                sums[String(key.dropFirst(dimension.count + 1))] = row["total"]
            }
            return sums
        }
    }

    /// `prefix%` for LIKE, with LIKE's own characters escaped.
    private static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    public func rollUpMetrics(now: Int64) async throws -> Int {
        try await pool.write { db in
            var removed = 0
            let tiers = MetricRetention.tiers
            for (index, tier) in tiers.enumerated() {
                let cutoff = now - tier.keptFor
                if index + 1 < tiers.count {
                    let coarser = tiers[index + 1].resolution
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT series, time, sampleCount, sum, minimum, maximum, unit, histogram FROM metricPoint
                        WHERE resolution = ? AND time < ?
                        """, arguments: [tier.resolution, cutoff])
                    for row in rows {
                        let time: Int64 = row["time"]
                        try Self.merge(db, series: row["series"], time: time - time % coarser, resolution: coarser,
                                       statistics: Self.statistics(row))
                    }
                }
                try db.execute(sql: "DELETE FROM metricPoint WHERE resolution = ? AND time < ?", arguments: [tier.resolution, cutoff])
                removed += db.changesCount
            }
            try db.execute(sql: "DELETE FROM metricSeries WHERE lastTime < ? AND id NOT IN (SELECT series FROM metricPoint)",
                           arguments: [now - tiers.last!.keptFor])
            return removed
        }
    }
}
