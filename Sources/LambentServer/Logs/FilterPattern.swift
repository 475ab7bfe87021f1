import Foundation
import LambentStore

/// A CloudWatch Logs filter pattern, as `FilterLogEvents` takes it.
///
/// - Terms: every term must occur in the message (`ERROR timeout`); a quoted term is taken
///   whole, spaces and punctuation included (`"request failed"`).
/// - `?term`: at least one of the `?` terms must occur (`?ERROR ?WARN`).
/// - `-term`: the term must not occur (`ERROR -healthcheck`).
/// - JSON: `{ $.level = "ERROR" }`, `{ $.latency > 100 && $.path != "/health" }`: the message must be
///   a JSON object; selectors are `$.a.b` (and `$.a[0]`), comparisons `=` `!=` with strings (`*`
///   as a wildcard) or numbers, `<` `<=` `>` `>=` with numbers, `IS NULL`, `NOT EXISTS`, combined
///   with `&&`, `||` and parentheses.
///
/// Matching is case-sensitive, as AWS's is. Space-delimited patterns (`[ip, user, ...]`) are
/// refused as invalid for now.
enum FilterPattern: Sendable {
    case all
    case terms(required: [String], optional: [String], excluded: [String])
    indirect case json(JSONCondition)

    struct Invalid: Error {}

    init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            self = .all
        } else if trimmed.hasPrefix("{") {
            guard trimmed.hasSuffix("}") else { throw Invalid() }
            var parser = JSONConditionParser(String(trimmed.dropFirst().dropLast()))
            self = .json(try parser.parse())
        } else if trimmed.hasPrefix("[") {
            throw Invalid()
        } else {
            var required: [String] = [], optional: [String] = [], excluded: [String] = []
            for token in try Self.tokens(trimmed) {
                switch token.first {
                case "?": optional.append(String(token.dropFirst()))
                case "-" where token.count > 1: excluded.append(String(token.dropFirst()))
                default: required.append(token)
                }
            }
            self = .terms(required: required, optional: optional, excluded: excluded)
        }
    }

    /// Splits on spaces, keeping quoted phrases (their quotes removed) together.
    private static func tokens(_ text: String) throws(Invalid) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !quoted else { throw Invalid() }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// What the store can test before the pattern does: the required terms, or that the line
    /// is a JSON object.
    var prefilter: LogPrefilter {
        switch self {
        case .all: .none
        case .terms(let required, _, _): LogPrefilter(terms: required.filter { !$0.isEmpty })
        case .json: LogPrefilter(jsonObject: true)
        }
    }

    /// Whether `term`'s UTF-8 bytes occur in `bytes`, byte for byte (matching is case-sensitive):
    /// `memchr` for the first byte, `memcmp` for the rest, rather than `String.contains`, which
    /// compares characters and made a term search over a million lines several times slower.
    private static func occurs(_ term: String, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var term = term
        return term.withUTF8 { needle in
            guard let needleStart = needle.baseAddress, needle.count > 0 else { return true }
            guard let base = bytes.baseAddress, bytes.count >= needle.count else { return false }
            var offset = 0
            while offset + needle.count <= bytes.count {
                guard let found = memchr(base + offset, Int32(needle[0]), bytes.count - needle.count - offset + 1) else { return false }
                let candidate = found.assumingMemoryBound(to: UInt8.self)
                if memcmp(candidate, needleStart, needle.count) == 0 { return true }
                offset = base.distance(to: candidate) + 1
            }
            return false
        }
    }

    func matches(_ message: String) -> Bool {
        switch self {
        case .all:
            return true
        case .terms(let required, let optional, let excluded):
            var message = message
            return message.withUTF8 { bytes in
                required.allSatisfy { Self.occurs($0, in: bytes) }
                    && (optional.isEmpty || optional.contains { Self.occurs($0, in: bytes) })
                    && !excluded.contains { Self.occurs($0, in: bytes) }
            }
        case .json(let condition):
            // Only an object can match: skip the parse for lines that cannot be one.
            guard message.utf8.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{"),
                  let data = message.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data), object is [String: Any] else { return false }
            return condition.holds(for: object)
        }
    }
}

/// A condition of a JSON filter pattern.
indirect enum JSONCondition: Sendable {
    case compare(path: [JSONPathStep], op: String, value: Literal)
    case isNull(path: [JSONPathStep])
    case notExists(path: [JSONPathStep])
    case and(JSONCondition, JSONCondition)
    case or(JSONCondition, JSONCondition)

    enum Literal: Sendable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    func holds(for root: Any) -> Bool {
        switch self {
        case .and(let left, let right): return left.holds(for: root) && right.holds(for: root)
        case .or(let left, let right): return left.holds(for: root) || right.holds(for: root)
        case .isNull(let path): return Self.value(at: path, in: root).map { $0 is NSNull } ?? false
        case .notExists(let path): return Self.value(at: path, in: root) == nil
        case .compare(let path, let op, let literal):
            guard let value = Self.value(at: path, in: root) else { return false }
            return Self.compare(value, op, literal)
        }
    }

    private static func value(at path: [JSONPathStep], in root: Any) -> Any? {
        var current: Any? = root
        for step in path {
            switch step {
            case .key(let key): current = (current as? [String: Any])?[key]
            case .index(let index):
                guard let array = current as? [Any], index < array.count else { return nil }
                current = array[index]
            }
        }
        return current
    }

    private static func compare(_ value: Any, _ op: String, _ literal: Literal) -> Bool {
        switch literal {
        case .string(let expected):
            guard let text = value as? String else { return false }
            let equal = wildcard(expected, matches: text)
            return op == "=" ? equal : op == "!=" ? !equal : false
        case .number(let expected):
            guard let number = value as? NSNumber, !isBoolean(number) else { return false }
            let actual = number.doubleValue
            switch op {
            case "=": return actual == expected
            case "!=": return actual != expected
            case "<": return actual < expected
            case "<=": return actual <= expected
            case ">": return actual > expected
            case ">=": return actual >= expected
            default: return false
            }
        case .bool(let expected):
            guard let number = value as? NSNumber, isBoolean(number) else { return false }
            return op == "=" ? number.boolValue == expected : op == "!=" ? number.boolValue != expected : false
        case .null:
            return op == "=" ? value is NSNull : op == "!=" ? !(value is NSNull) : false
        }
    }

    /// JSONSerialization's booleans are NSNumbers of type `c` (it makes no other of that type).
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// `*` matches any run of characters.
    private static func wildcard(_ pattern: String, matches text: String) -> Bool {
        guard pattern.contains("*") else { return pattern == text }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for (index, part) in parts.enumerated().dropFirst() {
            if index == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}

enum JSONPathStep: Sendable, Equatable {
    case key(String)
    case index(Int)
}

/// A recursive-descent parser for the inside of `{ … }`.
struct JSONConditionParser {
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        characters = Array(text)
    }

    mutating func parse() throws(FilterPattern.Invalid) -> JSONCondition {
        let condition = try parseOr()
        skipSpaces()
        guard position == characters.count else { throw FilterPattern.Invalid() }
        return condition
    }

    private mutating func parseOr() throws(FilterPattern.Invalid) -> JSONCondition {
        var left = try parseAnd()
        while consume("||") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(FilterPattern.Invalid) -> JSONCondition {
        var left = try parseTerm()
        while consume("&&") { left = .and(left, try parseTerm()) }
        return left
    }

    private mutating func parseTerm() throws(FilterPattern.Invalid) -> JSONCondition {
        if consume("(") {
            let inner = try parseOr()
            guard consume(")") else { throw FilterPattern.Invalid() }
            return inner
        }
        let path = try parsePath()
        if consume("IS NULL") { return .isNull(path: path) }
        if consume("NOT EXISTS") { return .notExists(path: path) }
        for op in ["!=", "<=", ">=", "=", "<", ">"] where consume(op) {
            return .compare(path: path, op: op, value: try parseLiteral(op: op))
        }
        throw FilterPattern.Invalid()
    }

    private mutating func parsePath() throws(FilterPattern.Invalid) -> [JSONPathStep] {
        skipSpaces()
        guard consume("$") else { throw FilterPattern.Invalid() }
        var steps: [JSONPathStep] = []
        while position < characters.count {
            if characters[position] == "." {
                position += 1
                let start = position
                while position < characters.count, characters[position].isLetter || characters[position].isNumber
                        || characters[position] == "_" || characters[position] == "-" || characters[position] == "@" {
                    position += 1
                }
                guard position > start else { throw FilterPattern.Invalid() }
                steps.append(.key(String(characters[start..<position])))
            } else if characters[position] == "[" {
                position += 1
                let start = position
                while position < characters.count, characters[position].isNumber { position += 1 }
                guard position > start, position < characters.count, characters[position] == "]",
                      let index = Int(String(characters[start..<position])) else { throw FilterPattern.Invalid() }
                position += 1
                steps.append(.index(index))
            } else {
                break
            }
        }
        guard !steps.isEmpty else { throw FilterPattern.Invalid() }
        return steps
    }

    private mutating func parseLiteral(op: String) throws(FilterPattern.Invalid) -> JSONCondition.Literal {
        skipSpaces()
        guard position < characters.count else { throw FilterPattern.Invalid() }
        if characters[position] == "\"" {
            position += 1
            let start = position
            while position < characters.count, characters[position] != "\"" { position += 1 }
            guard position < characters.count else { throw FilterPattern.Invalid() }
            let text = String(characters[start..<position])
            position += 1
            guard op == "=" || op == "!=" else { throw FilterPattern.Invalid() }
            return .string(text)
        }
        let start = position
        while position < characters.count, !" )&|".contains(characters[position]) { position += 1 }
        let word = String(characters[start..<position])
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "NULL", "null": return .null
        default:
            if let number = Double(word) { return .number(number) }
            guard op == "=" || op == "!=", !word.isEmpty else { throw FilterPattern.Invalid() }
            return .string(word)
        }
    }

    private mutating func skipSpaces() {
        while position < characters.count, characters[position] == " " { position += 1 }
    }

    /// Consumes `text` (after spaces) if it is next.
    private mutating func consume(_ text: String) -> Bool {
        skipSpaces()
        let expected = Array(text)
        guard position + expected.count <= characters.count, Array(characters[position..<(position + expected.count)]) == expected else {
            return false
        }
        position += expected.count
        return true
    }
}
