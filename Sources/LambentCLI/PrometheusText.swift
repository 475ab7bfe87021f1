/// One sample line of Prometheus's text format: `name{label="value",…} 42`.
struct PrometheusSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double

    /// Parses an exposition, skipping comments, blank lines and lines it cannot read.
    static func parse(_ text: String) -> [PrometheusSample] {
        text.split(whereSeparator: \.isNewline).compactMap { parse(line: Substring($0)) }
    }

    static func parse(line: Substring) -> PrometheusSample? {
        let line = line.trimmingPrefix(while: \.isWhitespace)
        guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
        var labels: [String: String] = [:]
        let name: Substring
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = line[..<brace]
            rest = line[line.index(after: brace)...]
            while true {
                rest = rest.trimmingPrefix(while: { $0 == "," || $0 == " " })
                if rest.hasPrefix("}") { rest = rest.dropFirst(); break }
                guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].hasPrefix("\"") else { return nil }
                let key = String(rest[..<equals])
                rest = rest[rest.index(equals, offsetBy: 2)...]
                var value = ""
                var escaped = false
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                labels[key] = value
            }
        } else {
            guard let space = line.firstIndex(where: \.isWhitespace) else { return nil }
            name = line[..<space]
            rest = line[space...]
        }
        // The value, then an optional timestamp.
        guard let field = rest.split(whereSeparator: \.isWhitespace).first else { return nil }
        let value: Double
        switch field {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        default:
            guard let parsed = Double(field) else { return nil }
            value = parsed
        }
        return PrometheusSample(name: String(name), labels: labels, value: value)
    }
}

/// Quantiles from a Prometheus histogram's cumulative buckets, interpolated linearly inside
/// the bucket that holds the rank (as PromQL's `histogram_quantile` does).
struct HistogramBuckets {
    /// (upper bound, cumulative count), sorted by bound; the last is +Inf.
    var buckets: [(bound: Double, count: Double)]

    /// Nil when the histogram is empty.
    func quantile(_ q: Double) -> Double? {
        let sorted = buckets.sorted { $0.bound < $1.bound }
        guard let total = sorted.last?.count, total > 0 else { return nil }
        let rank = q * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for bucket in sorted {
            if bucket.count >= rank {
                // Observations above the highest finite bound: report that bound.
                if bucket.bound.isInfinite { return lowerBound }
                let inBucket = bucket.count - lowerCount
                if inBucket <= 0 { return bucket.bound }
                return lowerBound + (bucket.bound - lowerBound) * (rank - lowerCount) / inBucket
            }
            lowerBound = bucket.bound
            lowerCount = bucket.count
        }
        return lowerBound
    }
}
