import Foundation
import HTTPTypes
import Hummingbird
import LambentCode
import LambentModel
import LambentStore
import NIOCore

/// CloudWatch's metric operations (SigV4 service `monitoring`) in both protocols its clients
/// speak: JSON 1.0 (`POST /`, `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`: what
/// botocore 1.43 and the aws CLI send) and Smithy RPC v2 CBOR
/// (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`, newer SDKs). Both read
/// into the same values; answers are written back in the protocol asked.
struct CloudWatchRoutes {
    let cloudWatch: CloudWatchService

    typealias Object = [String: Any]
    static let targetPrefix = "GraniteServiceVersion20100801."
    static let maxBody = 1024 * 1024

    func register(on router: Router<LambentRequestContext>) {
        router.post("/service/GraniteServiceVersion20100801/operation/:operation") { request, context in
            guard context.service == "monitoring" else {
                throw LambdaError.unknownOperation(method: request.method.rawValue, path: request.uri.path)
            }
            return await dispatch(request, operation: context.parameters.get("operation") ?? "", cbor: true)
        }
    }

    /// `POST /` for service `monitoring`.
    func dispatch(_ request: Request, target: String) async -> Response {
        guard target.hasPrefix(Self.targetPrefix) else { return CloudWatchError.unknownOperation(target).response(cbor: false) }
        return await dispatch(request, operation: String(target.dropFirst(Self.targetPrefix.count)), cbor: false)
    }

    private func dispatch(_ request: Request, operation: String, cbor: Bool) async -> Response {
        do {
            let body = try await Self.body(of: request, cbor: cbor)
            let answer = try await perform(operation, body)
            if cbor {
                return Response(status: .ok, headers: [.contentType: "application/cbor", HTTPField.Name("smithy-protocol")!: "rpc-v2-cbor"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: CBOR.encode(answer))))
            }
            let json = try JSONSerialization.data(withJSONObject: Self.jsonValue(answer), options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.0"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as CloudWatchError {
            return error.response(cbor: cbor)
        } catch {
            return CloudWatchError(shape: "InternalServiceFault", code: "InternalServiceError", message: "\(error)", status: 500)
                .response(cbor: cbor)
        }
    }

    private static func body(of request: Request, cbor: Bool) async throws -> Object {
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch {
            throw CloudWatchError(shape: "RequestEntityTooLarge", code: "RequestEntityTooLarge",
                                  message: "Request size exceeded \(maxBody) bytes", status: 413)
        }
        var data = Data(buffer.readableBytesView)
        buffer.clear()
        if request.headers[.contentEncoding]?.lowercased() == "gzip" {
            do {
                data = try Gzip.decompress(data, limit: maxBody)
            } catch {
                throw CloudWatchError.invalidValue("The request body could not be decompressed: \(error)")
            }
        }
        guard !data.isEmpty else { return [:] }
        let parsed: Any?
        if cbor {
            parsed = try? CBOR.decode([UInt8](data))
        } else {
            parsed = try? JSONSerialization.jsonObject(with: data)
        }
        guard let object = parsed as? Object else { throw CloudWatchError.serialization }
        return object
    }

    /// Timestamps as JSON 1.0 writes them: epoch seconds.
    private static func jsonValue(_ value: Any) -> Any {
        switch value {
        case let timestamp as CBOR.Timestamp: timestamp.seconds
        case let object as Object: object.mapValues(jsonValue)
        case let array as [Any]: array.map(jsonValue)
        default: value
        }
    }

    private func perform(_ operation: String, _ body: Object) async throws -> Object {
        if ["GetMetricStatistics", "GetMetricData", "ListMetrics"].contains(operation) { await cloudWatch.refresh() }
        return switch operation {
        case "GetMetricStatistics": try await getMetricStatistics(body)
        case "GetMetricData": try await getMetricData(body)
        case "ListMetrics": try await listMetrics(body)
        case "PutMetricData": try await putMetricData(body)
        default: throw CloudWatchError.unknownOperation(operation)
        }
    }

    // MARK: GetMetricStatistics

    private func getMetricStatistics(_ body: Object) async throws -> Object {
        let series = try Self.series(body, field: "")
        let period = try CloudWatchService.checkPeriod(Self.integer(body["Period"]), field: "Period")
        let (start, end) = try CloudWatchService.checkRange(start: Self.number(body["StartTime"]), end: Self.number(body["EndTime"]))
        let simple = body["Statistics"] as? [String] ?? []
        let extended = body["ExtendedStatistics"] as? [String] ?? []
        guard !simple.isEmpty || !extended.isEmpty else {
            throw CloudWatchError.combination("Must specify either Statistics or ExtendedStatistics")
        }
        for name in simple where !CloudWatchService.statistics.contains(name) {
            throw CloudWatchError.invalidValue("The parameter Statistics contains the invalid value \(name).")
        }
        let percentiles = try extended.map { name throws(CloudWatchError) -> CloudWatchService.Statistic in
            guard let statistic = CloudWatchService.Statistic(name), case .percentile = statistic else {
                throw CloudWatchError.invalidValue("The parameter ExtendedStatistics contains the invalid value \(name).")
            }
            return statistic
        }
        let requested = Int64(((end - start) / Double(period)).rounded(.up))
        guard requested <= CloudWatchService.maxStatisticsDatapoints else {
            throw CloudWatchError.combination("""
                You have requested up to \(requested) datapoints, which exceeds the limit of \(CloudWatchService.maxStatisticsDatapoints). \
                You may reduce the datapoints requested by increasing Period, or decreasing the time range.
                """)
        }
        let unit = body["Unit"] as? String
        let periods = try await cloudWatch.periods(series, start: start, end: end, period: period, unit: unit)
        let datapoints = periods.map { period -> Object in
            var point: Object = ["Timestamp": CBOR.Timestamp(seconds: Double(period.start)),
                                 "Unit": period.statistics.unit ?? unit ?? "None"]
            for name in simple {
                point[name] = CloudWatchService.Statistic.simple(name).value(of: period.statistics)
            }
            if !percentiles.isEmpty {
                var values: Object = [:]
                for statistic in percentiles { values[statistic.name] = statistic.value(of: period.statistics) }
                point["ExtendedStatistics"] = values
            }
            return point
        }
        return ["Label": series.name, "Datapoints": datapoints]
    }

    // MARK: GetMetricData

    private func getMetricData(_ body: Object) async throws -> Object {
        let (start, end) = try CloudWatchService.checkRange(start: Self.number(body["StartTime"]), end: Self.number(body["EndTime"]))
        guard let queries = body["MetricDataQueries"] as? [Object] else { throw CloudWatchError.missing("MetricDataQueries") }
        guard (1...500).contains(queries.count) else {
            throw CloudWatchError.invalidValue("The collection MetricDataQueries must not have a size greater than 500 or less than 1.")
        }
        let descending = (body["ScanBy"] as? String ?? "TimestampDescending") == "TimestampDescending"
        let maxDatapoints = Self.integer(body["MaxDatapoints"]) ?? 100_800
        var skip = 0
        if let token = body["NextToken"] as? String {
            guard let offset = CloudWatchService.position(token).map(Int.init) else {
                throw CloudWatchError(shape: "InvalidNextToken", code: "InvalidNextToken", message: "The service returned an invalid NextToken.")
            }
            skip = offset
        }
        var ids = Set<String>()
        var results: [Object] = []
        var seen = 0
        var returned = 0
        var more = false
        for (index, query) in queries.enumerated() {
            guard let id = query["Id"] as? String else { throw CloudWatchError.missing("MetricDataQueries.member.\(index + 1).Id") }
            guard let first = id.unicodeScalars.first, ("a"..."z").contains(first),
                  id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }),
                  id.count <= 255 else {
                throw CloudWatchError.invalidValue(
                    "The value \(id) for parameter MetricDataQueries.member.\(index + 1).Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.")
            }
            guard ids.insert(id).inserted else {
                throw CloudWatchError.invalidValue("The values for parameter id in MetricDataQueries are not unique.")
            }
            if query["Expression"] != nil {
                throw CloudWatchError.invalidValue(
                    "Lambent does not evaluate metric math or Metrics Insights expressions (MetricDataQueries.member.\(index + 1).Expression).")
            }
            guard let stat = query["MetricStat"] as? Object, let metric = stat["Metric"] as? Object else {
                throw CloudWatchError.missing("MetricDataQueries.member.\(index + 1).MetricStat")
            }
            let field = "MetricDataQueries.member.\(index + 1).MetricStat"
            let series = try Self.series(metric, field: field + ".Metric.")
            let period = try CloudWatchService.checkPeriod(Self.integer(stat["Period"]) ?? Self.integer(query["Period"]), field: field + ".Period")
            guard let statName = stat["Stat"] as? String else { throw CloudWatchError.missing(field + ".Stat") }
            guard let statistic = CloudWatchService.Statistic(statName) else {
                throw CloudWatchError.invalidValue("The value \(statName) for parameter \(field).Stat is invalid.")
            }
            let periods = try await cloudWatch.periods(series, start: start, end: end, period: period, unit: stat["Unit"] as? String)
            var points = periods.compactMap { period in statistic.value(of: period.statistics).map { (period.start, $0) } }
            if descending { points.reverse() }
            guard query["ReturnData"] as? Bool ?? true else { continue }
            let from = min(points.count, max(0, skip - seen))
            seen += points.count
            let room = max(0, maxDatapoints - returned)
            let shown = points[from..<min(points.count, from + room)]
            returned += shown.count
            let partial = from + shown.count < points.count
            more = more || partial
            results.append(["Id": id, "Label": query["Label"] as? String ?? series.name,
                            "Timestamps": shown.map { CBOR.Timestamp(seconds: Double($0.0)) }, "Values": shown.map(\.1),
                            "StatusCode": partial ? "PartialData" : "Complete", "Messages": [Object]()])
        }
        var answer: Object = ["MetricDataResults": results, "Messages": [Object]()]
        if more { answer["NextToken"] = CloudWatchService.token(Int64(skip + returned)) }
        return answer
    }

    // MARK: ListMetrics

    private func listMetrics(_ body: Object) async throws -> Object {
        let filters = try (body["Dimensions"] as? [Object] ?? []).enumerated().map { index, filter throws(CloudWatchError) in
            guard let name = filter["Name"] as? String else { throw CloudWatchError.missing("Dimensions.member.\(index + 1).Name") }
            return (name: name, value: filter["Value"] as? String)
        }
        if let active = body["RecentlyActive"] as? String, active != "PT3H" {
            throw CloudWatchError.invalidValue("The value \(active) for parameter RecentlyActive is invalid.")
        }
        let page = try await cloudWatch.list(namespace: body["Namespace"] as? String, name: body["MetricName"] as? String, filters: filters,
                                             recentlyActive: body["RecentlyActive"] != nil, token: body["NextToken"] as? String)
        var answer: Object = ["Metrics": page.series.map { series -> Object in
            ["Namespace": series.namespace, "MetricName": series.name,
             "Dimensions": series.dimensions.map { ["Name": $0.name, "Value": $0.value] }]
        }]
        answer["NextToken"] = page.nextToken
        return answer
    }

    // MARK: PutMetricData

    private func putMetricData(_ body: Object) async throws -> Object {
        guard let namespace = body["Namespace"] as? String else { throw CloudWatchError.missing("Namespace") }
        guard (1...255).contains(namespace.count), !namespace.hasPrefix(":"),
              namespace.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw CloudWatchError.invalidValue("The value \(namespace) for parameter Namespace is invalid.")
        }
        guard !namespace.hasPrefix("AWS/") else {
            throw CloudWatchError.invalidValue("The value AWS/ for parameter Namespace is invalid.")
        }
        let items = body["MetricData"] as? [Object] ?? []
        guard (1...1000).contains(items.count) else {
            throw CloudWatchError.invalidValue("The collection MetricData must not have a size greater than 1000 or less than 1.")
        }
        let now = Date().timeIntervalSince1970
        let data = try items.enumerated().map { index, item throws(CloudWatchError) -> CloudWatchService.Datum in
            let field = "MetricData.member.\(index + 1)"
            guard let name = item["MetricName"] as? String else { throw CloudWatchError.missing("\(field).MetricName") }
            let series = try Self.series(["Namespace": namespace, "MetricName": name, "Dimensions": item["Dimensions"] ?? [Any]()],
                                         field: field + ".")
            let time = Self.number(item["Timestamp"]) ?? now
            guard time >= now - 14 * 86_400 else {
                throw CloudWatchError.invalidValue("The parameter \(field).Timestamp must specify a time no more than two weeks in the past.")
            }
            guard time <= now + 2 * 3600 else {
                throw CloudWatchError.invalidValue("The parameter \(field).Timestamp must specify a time no more than two hours in the future.")
            }
            var statistics = MetricStatistics(unit: item["Unit"] as? String ?? "None")
            let value = Self.number(item["Value"])
            let values = (item["Values"] as? [Any])?.compactMap(Self.number)
            let set = item["StatisticValues"] as? Object
            guard [value != nil, values != nil, set != nil].filter({ $0 }).count <= 1 else {
                throw CloudWatchError.combination("The parameters \(field).Value, \(field).Values and \(field).StatisticValues are mutually exclusive.")
            }
            if let value {
                statistics.add(value)
            } else if let values {
                let counts = (item["Counts"] as? [Any])?.compactMap(Self.number)
                guard values.count <= 150, counts == nil || counts!.count == values.count else {
                    throw CloudWatchError.invalidValue("The parameters \(field).Values and \(field).Counts must be arrays of the same size, at most 150.")
                }
                for (offset, value) in values.enumerated() { statistics.add(value, count: counts?[offset] ?? 1) }
            } else if let set {
                guard let count = Self.number(set["SampleCount"]), let sum = Self.number(set["Sum"]), let minimum = Self.number(set["Minimum"]),
                      let maximum = Self.number(set["Maximum"]) else {
                    throw CloudWatchError.missing("\(field).StatisticValues")
                }
                guard minimum <= maximum, count > 0 else {
                    throw CloudWatchError.invalidValue("The parameter \(field).StatisticValues is invalid.")
                }
                statistics.add(sampleCount: count, sum: sum, minimum: minimum, maximum: maximum)
            } else {
                throw CloudWatchError.combination("At least one of the parameters \(field).Value, \(field).Values or \(field).StatisticValues must be specified.")
            }
            return CloudWatchService.Datum(series: series, time: Int64(time), statistics: statistics)
        }
        try await cloudWatch.put(data)
        return [:]
    }

    // MARK: Members

    /// A metric's namespace, name and dimensions (`Namespace`, `MetricName`, `Dimensions` under `field`), checked.
    private static func series(_ object: Object, field: String) throws(CloudWatchError) -> MetricSeries {
        guard let namespace = object["Namespace"] as? String else { throw .missing(field + "Namespace") }
        guard let name = object["MetricName"] as? String else { throw .missing(field + "MetricName") }
        guard (1...255).contains(name.count) else { throw .invalidValue("The value \(name) for parameter \(field)MetricName is invalid.") }
        let items = object["Dimensions"] as? [Object] ?? []
        guard items.count <= 30 else {
            throw .invalidValue("The collection \(field)Dimensions must not have a size greater than 30.")
        }
        var dimensions: [MetricDimension] = []
        for (index, item) in items.enumerated() {
            guard let key = item["Name"] as? String, let value = item["Value"] as? String else {
                throw .missing("\(field)Dimensions.member.\(index + 1).\(item["Name"] == nil ? "Name" : "Value")")
            }
            guard (1...255).contains(key.count), (1...1024).contains(value.count), !key.hasPrefix(":"),
                  !key.contains("\u{1F}"), !value.contains("\u{1F}"), !key.contains("=") else {
                throw .invalidValue("The value \(key) for parameter \(field)Dimensions.member.\(index + 1) is invalid.")
            }
            guard !dimensions.contains(where: { $0.name == key }) else {
                throw .invalidValue("No Metric may specify the same dimension name twice: \(key)")
            }
            dimensions.append(MetricDimension(name: key, value: value))
        }
        return MetricSeries(namespace: namespace, name: name, dimensions: dimensions)
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let double as Double: double
        case let int as Int: Double(int)
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }

    static func integer(_ value: Any?) -> Int? {
        number(value).flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }
    }
}
