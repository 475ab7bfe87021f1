import Foundation

/// Access to the test fixtures copied into the bundle (`Fixtures/`).
enum Fixtures {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures folder missing from the test bundle")
        }
        return url
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    static func text(_ relativePath: String) throws -> String {
        String(decoding: try data(relativePath), as: UTF8.self)
    }
}

/// A request parsed from the raw HTTP text of an AWS test-suite `.req` / `.sreq` file.
struct RawHTTPRequest {
    var method: String
    var path: String
    var query: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// Parses `METHOD target HTTP/1.1`, header lines (continuation lines start with
    /// whitespace and are folded into the previous value), a blank line and the body.
    /// The target may contain raw spaces (the `get-space` vector), so it spans from the
    /// first to the last space of the request line.
    init(_ text: String) {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let firstSpace = requestLine.firstIndex(of: " ")!
        let lastSpace = requestLine.lastIndex(of: " ")!
        method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<lastSpace]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = String(target)
            query = ""
        }
        headers = []
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        body = Array(lines.joined(separator: "\n").utf8)
    }
}
