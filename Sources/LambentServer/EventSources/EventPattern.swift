import Foundation

/// A JSON value, for matching patterns against records.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses JSON text; nil when it is not JSON.
    static func parse(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }
}

/// Lambda's event-filtering patterns (the EventBridge pattern language) applied to a record:
/// a pattern is a JSON object whose leaves are arrays of allowed values or matchers — exact
/// strings, numbers, booleans and null; `{"prefix": …}`, `{"suffix": …}`,
/// `{"equals-ignore-case": …}`, `{"exists": true|false}`, `{"anything-but": value, list or
/// {"prefix": …}}`, `{"numeric": [">", 0, "<=", 5]}`; `"$or": [pattern, …]` at any level.
/// A field matches when any of its allowed values does (an array field, when any element does).
struct EventPattern: Sendable {
    let root: [String: JSONValue]

    /// Parses a `Pattern` string; nil when it is not a pattern Lambda accepts.
    init?(_ text: String) {
        guard case .object(let fields)? = JSONValue.parse(text), !fields.isEmpty, Self.problem(in: fields) == nil else { return nil }
        root = fields
    }

    /// What is wrong with a pattern, in EventBridge's words where they are known (its
    /// `InvalidEventPatternException` says "Event pattern is not valid. Reason: " and this);
    /// nil for a valid one.
    static func problem(in text: String) -> String? {
        guard let parsed = JSONValue.parse(text) else { return "Invalid JSON" }
        guard case .object(let fields) = parsed else { return "Filter is not an object" }
        return problem(in: fields)
    }

    private static let matcherNames: Set<String> = ["prefix", "suffix", "equals-ignore-case", "exists", "anything-but", "numeric"]

    private static func problem(in pattern: [String: JSONValue]) -> String? {
        for (key, rule) in pattern.sorted(by: { $0.key < $1.key }) {
            if key == "$or" {
                guard case .array(let alternatives) = rule, !alternatives.isEmpty else { return "\"$or\" must be a non-empty array" }
                for alternative in alternatives {
                    guard case .object(let inner) = alternative else { return "\"$or\" must hold objects" }
                    if let problem = problem(in: inner) { return problem }
                }
                continue
            }
            switch rule {
            case .object(let nested):
                if let problem = problem(in: nested) { return problem }
            case .array(let options):
                guard !options.isEmpty else { return "Empty arrays are not allowed" }
                for option in options {
                    switch option {
                    case .object(let matcher):
                        guard matcher.count == 1, let name = matcher.keys.first else { return "Only one key allowed in match expression" }
                        guard matcherNames.contains(name) else { return "Unrecognized match type \(name)" }
                    case .array:
                        return "Match value must be String, number, true, false, or null"
                    default:
                        break
                    }
                }
            default:
                return "\"\(key)\" must be an object or an array"
            }
        }
        return nil
    }

    func matches(_ event: JSONValue?) -> Bool { Self.matches(root, event) }

    private static func matches(_ pattern: [String: JSONValue], _ event: JSONValue?) -> Bool {
        pattern.allSatisfy { key, rule in
            if key == "$or", case .array(let alternatives) = rule {
                return alternatives.contains { if case .object(let inner) = $0 { return matches(inner, event) } else { return false } }
            }
            let value = event?[key]
            switch rule {
            case .object(let nested):
                return matches(nested, value)
            case .array(let options):
                let values: [JSONValue?]
                if case .array(let elements)? = value { values = elements.map(Optional.some) } else { values = [value] }
                return options.contains { option in values.contains { matchesOne(option, $0) } }
            default:
                return false
            }
        }
    }

    private static func matchesOne(_ option: JSONValue, _ value: JSONValue?) -> Bool {
        guard case .object(let matcher) = option, let (name, argument) = matcher.first else {
            guard let value else { return false }
            return option == value
        }
        switch (name, argument) {
        case ("exists", .bool(let wanted)):
            return wanted == (value != nil)
        case ("prefix", .string(let prefix)):
            if case .string(let text)? = value { return text.hasPrefix(prefix) }
            return false
        case ("prefix", .object(let nested)):
            if case .string(let text)? = value, case .string(let prefix)? = nested["equals-ignore-case"] {
                return text.lowercased().hasPrefix(prefix.lowercased())
            }
            return false
        case ("suffix", .string(let suffix)):
            if case .string(let text)? = value { return text.hasSuffix(suffix) }
            return false
        case ("equals-ignore-case", .string(let other)):
            if case .string(let text)? = value { return text.lowercased() == other.lowercased() }
            return false
        case ("anything-but", let excluded):
            guard let value else { return false }
            switch excluded {
            case .array(let list): return !list.contains(value)
            case .object: return !matchesOne(excluded, value)
            default: return excluded != value
            }
        case ("numeric", .array(let conditions)):
            guard case .number(let number)? = value, conditions.count % 2 == 0 else { return false }
            for index in stride(from: 0, to: conditions.count, by: 2) {
                guard case .string(let operation) = conditions[index], case .number(let bound) = conditions[index + 1] else { return false }
                let holds: Bool
                switch operation {
                case "=": holds = number == bound
                case "<": holds = number < bound
                case "<=": holds = number <= bound
                case ">": holds = number > bound
                case ">=": holds = number >= bound
                default: return false
                }
                if !holds { return false }
            }
            return true
        default:
            return false
        }
    }
}
