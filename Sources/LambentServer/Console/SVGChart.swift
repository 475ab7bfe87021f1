import Foundation

/// A line chart drawn as SVG by the server: one series of (time, value) points over a window,
/// with its axis labels. `data-points` and `data-total` carry what is drawn, for tests and for
/// anyone reading the page without seeing it.
struct SVGChart {
    var metric: String
    var unit: String
    var start: Double
    var end: Double
    var points: [(time: Double, value: Double)]

    static let width = 360.0, height = 150.0, left = 44.0, bottom = 22.0, top = 8.0, right = 8.0

    var svg: String {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let maximum = points.map(\.value).max() ?? 0
        let ceiling = maximum > 0 ? Self.niceCeiling(maximum) : 1
        func x(_ time: Double) -> Double { Self.left + (time - start) / max(end - start, 1) * plotWidth }
        func y(_ value: Double) -> Double { Self.top + plotHeight - value / ceiling * plotHeight }
        let total = points.map(\.value).reduce(0, +)
        var shapes = ""
        let sorted = points.sorted { $0.time < $1.time }
        if sorted.count > 1 {
            let path = sorted.enumerated().map { index, point in
                (index == 0 ? "M" : "L") + String(format: "%.1f,%.1f", x(point.time), y(point.value))
            }.joined(separator: " ")
            shapes += "<path d=\"\(path)\" fill=\"none\" stroke=\"#0972d3\" stroke-width=\"1.5\"/>"
        }
        for point in sorted {
            shapes += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#0972d3\">", x(point.time), y(point.value))
                + "<title>\(HTML.escape(Self.format(point.value) + " " + unit))</title></circle>"
        }
        if sorted.isEmpty {
            shapes += "<text x=\"\(Self.left + plotWidth / 2)\" y=\"\(Self.top + plotHeight / 2)\" text-anchor=\"middle\" fill=\"#8d99a8\">No data</text>"
        }
        let grid = (0...2).map { step -> String in
            let value = ceiling * Double(step) / 2
            let line = y(value)
            return String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e9ebed\"/>", Self.left, Self.width - Self.right, line, line)
                + String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#5f6b7a\">", Self.left - 4, line + 3)
                + Self.format(value) + "</text>"
        }.joined()
        let axis = "<text x=\"\(Self.left)\" y=\"\(Self.height - 6)\" font-size=\"10\" fill=\"#5f6b7a\">\(Self.clock(start))</text>"
            + "<text x=\"\(Self.width - Self.right)\" y=\"\(Self.height - 6)\" font-size=\"10\" fill=\"#5f6b7a\" text-anchor=\"end\">\(Self.clock(end))</text>"
        return """
            <svg class="chart" data-metric="\(HTML.escape(metric))" data-points="\(points.count)" data-total="\(Self.format(total))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            role="img" aria-label="\(HTML.escape(metric))">\(grid)\(axis)\(shapes)</svg>
            """
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(format: abs(value) >= 100 ? "%.0f" : abs(value) >= 1 ? "%.2f" : "%.3f", value)
    }

    static func clock(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + " UTC"
    }
}
