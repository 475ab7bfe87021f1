import ArgumentParser
import Foundation
import LambentServer

/// `lambent usage [--since …] [--function …]`: requests and billed GB-seconds per function and
/// day, read with CloudWatch's API from the `Lambent/Usage` metrics the server records with
/// every invocation, and what AWS Lambda would bill for them.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Requests, GB-seconds and the equivalent AWS Lambda bill, per function and day.")

    @Option(help: "First day (YYYY-MM-DD) or a number of days back (7d). Default: the first of this month.") var since: String?
    @Option(help: "Only this function.") var function: String?
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let today = UsageReport.day(of: Date())
        let from = try since.map { try UsageReport.parseSince($0, today: today) } ?? UsageReport.firstOfMonth(today)
        let client = try LambdaClient(endpoint: options.endpointUrl, service: "monitoring")
        var series: [[String: String]] = []
        var token: String?
        repeat {
            var request: [String: Any] = ["Namespace": "Lambent/Usage", "MetricName": "Requests"]
            if let function { request["Dimensions"] = [["Name": "FunctionName", "Value": function]] }
            request["NextToken"] = token
            let page = try await client.cloudWatch("ListMetrics", request)
            for metric in page["Metrics"] as? [[String: Any]] ?? [] {
                let dimensions = metric["Dimensions"] as? [[String: String]] ?? []
                series.append(Dictionary(dimensions.compactMap { d in d["Name"].flatMap { n in d["Value"].map { (n, $0) } } },
                                         uniquingKeysWith: { first, _ in first }))
            }
            token = page["NextToken"] as? String
        } while token != nil

        var rows: [UsageReport.Row] = []
        let start = from.timeIntervalSince1970, end = today.timeIntervalSince1970 + 86_400
        for chunk in stride(from: 0, to: series.count, by: 250).map({ Array(series[$0..<min(series.count, $0 + 250)]) }) {
            var queries: [[String: Any]] = []
            for (index, dimensions) in chunk.enumerated() {
                let metricDimensions = dimensions.sorted { $0.key < $1.key }.map { ["Name": $0.key, "Value": $0.value] }
                for (prefix, name) in [("r", "Requests"), ("g", "GBSeconds")] {
                    queries.append(["Id": "\(prefix)\(index)", "MetricStat": [
                        "Metric": ["Namespace": "Lambent/Usage", "MetricName": name, "Dimensions": metricDimensions],
                        "Period": 86_400, "Stat": "Sum"]])
                }
            }
            let answer = try await client.cloudWatch("GetMetricData", ["MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                                                                       "ScanBy": "TimestampAscending"])
            var values: [String: [Double: Double]] = [:]
            for result in answer["MetricDataResults"] as? [[String: Any]] ?? [] {
                let times = (result["Timestamps"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
                let sums = (result["Values"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
                values[result["Id"] as? String ?? ""] = Dictionary(zip(times, sums), uniquingKeysWith: +)
            }
            for (index, dimensions) in chunk.enumerated() {
                let requests = values["r\(index)"] ?? [:], gbSeconds = values["g\(index)"] ?? [:]
                for time in Set(requests.keys).union(gbSeconds.keys) {
                    rows.append(UsageReport.Row(day: Date(timeIntervalSince1970: time), function: dimensions["FunctionName"] ?? "",
                                                architecture: dimensions["Architecture"] ?? "x86_64",
                                                requests: requests[time] ?? 0, gbSeconds: gbSeconds[time] ?? 0))
                }
            }
        }
        print(UsageReport(rows: rows).text(since: from), terminator: "")
    }
}

/// The usage report: rows per day, function and architecture, priced at AWS Lambda's
/// published on-demand prices (us-east-1, first duration tier), with each month's free tier
/// (1 million requests, 400,000 GB-seconds) shown separately.
struct UsageReport {
    struct Row: Equatable {
        var day: Date
        var function: String
        var architecture: String
        var requests: Double
        var gbSeconds: Double
    }

    var rows: [Row]

    static func cost(_ row: Row) -> (requests: Double, duration: Double) {
        LambdaPricing.cost(requests: row.requests, gbSeconds: row.gbSeconds, architecture: row.architecture)
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func day(of date: Date) -> Date { calendar.startOfDay(for: date) }

    static func firstOfMonth(_ date: Date) -> Date {
        calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
    }

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    /// `2026-11-01` or `7d` (today and the six days before).
    static func parseSince(_ text: String, today: Date) throws -> Date {
        if text.hasSuffix("d"), let days = Int(text.dropLast()), days > 0 {
            return calendar.date(byAdding: .day, value: 1 - days, to: today)!
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else {
            throw ValidationError("--since takes a day (2026-11-01) or a number of days (7d), not \(text)")
        }
        return date
    }

    func text(since: Date) -> String {
        guard !rows.isEmpty else { return "No invocations since \(Self.format(since, "yyyy-MM-dd")).\n" }
        let sorted = rows.sorted { ($0.day, $0.function, $0.architecture) < ($1.day, $1.function, $1.architecture) }
        var table = [["DAY", "FUNCTION", "ARCH", "REQUESTS", "GB-SECONDS", "REQUESTS $", "DURATION $", "TOTAL $"]]
        for row in sorted {
            let cost = Self.cost(row)
            table.append([Self.format(row.day, "yyyy-MM-dd"), row.function, row.architecture, String(Int(row.requests)),
                          String(format: "%.3f", row.gbSeconds), Self.dollars(cost.requests), Self.dollars(cost.duration),
                          Self.dollars(cost.requests + cost.duration)])
        }
        var out = Self.render(table)
        out += "\nBy month, with AWS's free tier (1,000,000 requests and 400,000 GB-seconds a month, per account):\n"
        var months = [["MONTH", "REQUESTS", "GB-SECONDS", "BEFORE FREE TIER $", "FREE TIER $", "BILL $"]]
        for (month, rows) in Dictionary(grouping: sorted, by: { Self.format($0.day, "yyyy-MM") }).sorted(by: { $0.key < $1.key }) {
            let requests = rows.map(\.requests).reduce(0, +)
            let gross = rows.map { Self.cost($0).requests + Self.cost($0).duration }.reduce(0, +)
            // The free GB-seconds go to the costliest architecture first, as AWS's bill applies them per month.
            var freeGB = LambdaPricing.freeGBSeconds
            var freeDuration = 0.0
            let byArchitecture = Dictionary(grouping: rows, by: \.architecture).mapValues { $0.map(\.gbSeconds).reduce(0, +) }
            for (architecture, gbSeconds) in byArchitecture.sorted(by: { LambdaPricing.gbSecondPrice($0.key) > LambdaPricing.gbSecondPrice($1.key) }) {
                let covered = min(freeGB, gbSeconds)
                freeGB -= covered
                freeDuration += covered * LambdaPricing.gbSecondPrice(architecture)
            }
            let free = min(requests, LambdaPricing.freeRequests) * LambdaPricing.perRequest + freeDuration
            months.append([month, String(Int(requests)), String(format: "%.3f", byArchitecture.values.reduce(0, +)), Self.dollars(gross),
                           Self.dollars(free), Self.dollars(max(0, gross - free))])
        }
        out += Self.render(months)
        out += "\nPrices: AWS Lambda on-demand, us-east-1: $0.20 per million requests; $0.0000166667 (x86_64) and "
            + "$0.0000133334 (arm64) per GB-second, billed per millisecond at the configured memory.\n"
        return out
    }

    static func dollars(_ value: Double) -> String {
        value == 0 ? "0" : value < 0.01 ? String(format: "%.8f", value) : String(format: "%.2f", value)
    }

    static func render(_ table: [[String]]) -> String {
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            zip(row, widths).map { $0.padding(toLength: $1 + 2, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
