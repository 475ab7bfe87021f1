import Foundation
import LambentModel

/// A browser-based upload's policy (S3's POST policy): a base64 JSON document saying when it
/// expires and which conditions the form must meet. The signature covers the base64 text; this
/// is what it says.
///
/// ```json
/// {"expiration": "2026-01-01T12:00:00.000Z",
///  "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/eric/"],
///                 ["content-length-range", 1, 10485760], {"x-amz-credential": "…"}]}
/// ```
///
/// Conditions are exact matches (`{"acl": "public-read"}`, or `["eq", "$acl", "public-read"]`),
/// prefixes (`["starts-with", "$key", "user/"]`: `""` allows any value, and a `Content-Type`
/// holding commas is a list whose every item must match) and `content-length-range` (bounds
/// included). Field names and operators are case-insensitive, values are not; a condition on a
/// field the form lacks fails. Every field of the form but the policy, its signature, `file` and
/// `x-ignore-*` must be named by some condition.
struct S3PostPolicy: Sendable, Equatable {
    enum Condition: Sendable, Equatable {
        /// The field (`$key`, as written) equals the value.
        case equals(field: String, value: String)
        /// The field starts with the prefix.
        case startsWith(field: String, prefix: String)
        /// The file's length is within the bounds; a bound that is not a number fails.
        case contentLengthRange(minimum: Int64?, maximum: Int64?)
    }

    struct Entry: Sendable, Equatable {
        var condition: Condition
        /// As S3 prints a failed condition: `["eq", "$key", "a.jpg"]`, simple conditions too,
        /// in the policy's spelling.
        var text: String
    }

    var expiration: Date
    var conditions: [Entry]

    /// Decodes a policy as the form carries it (base64).
    /// - Throws: 400 `InvalidPolicyDocument` with S3's "Invalid Policy: …" message.
    init(base64 policy: String) throws(S3Error) {
        guard let data = Data(base64Encoded: policy, options: .ignoreUnknownCharacters) else {
            throw .invalidPolicyDocument("invalid Base64 encoding.")
        }
        guard case .object(let document)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw .invalidPolicyDocument("Invalid JSON.")
        }
        if let unexpected = document.keys.filter({ $0 != "expiration" && $0 != "conditions" }).sorted().first {
            throw .invalidPolicyDocument("Unexpected: '\(unexpected.lowercased())'")
        }
        guard let expiration = document["expiration"] else { throw .invalidPolicyDocument("Policy missing expiration.") }
        guard case .string(let text) = expiration, let date = Self.date(text) else {
            throw .invalidPolicyDocument("Invalid 'expiration' value: '\(Self.plain(expiration))'")
        }
        guard let conditions = document["conditions"] else { throw .invalidPolicyDocument("Policy missing conditions.") }
        guard case .array(let items) = conditions else { throw .invalidPolicyDocument("Invalid 'conditions' value: must be a List.") }
        self.expiration = date
        self.conditions = []
        for item in items { self.conditions.append(try Self.entry(item)) }
    }

    /// The largest file `content-length-range` allows (the smallest of its maxima); nil without one.
    var maximumSize: Int64? {
        conditions.compactMap { entry -> Int64? in
            if case .contentLengthRange(_, let maximum) = entry.condition { return maximum }
            return nil
        }.min()
    }

    /// Whether the policy has expired at `now` (it is good until its `expiration`, included).
    func isExpired(at now: Date) -> Bool { now > expiration }

    /// Checks a form against the conditions, in order, then that every field is named by one.
    /// - Parameters:
    ///   - form: the form, `${filename}` already expanded.
    ///   - bucket: the bucket posted to, which the `bucket` condition is about.
    ///   - size: the file's length.
    ///   - signatureFields: the lower-case names of the signature's fields no condition names
    ///     (`policy` and `x-amz-signature`; `signature` and `awsaccesskeyid` for version 2).
    /// - Throws: 403 `AccessDenied` "Invalid according to Policy: …", or `EntityTooSmall` /
    ///   `EntityTooLarge` for a file outside `content-length-range`.
    func check(_ form: S3PostForm, bucket: String, size: Int64, signatureFields: Set<String>) throws(S3Error) {
        for entry in conditions {
            switch entry.condition {
            case .equals(let field, let value):
                guard Self.subject(field, form: form, bucket: bucket) == value else { throw .postConditionFailed(entry.text) }
            case .startsWith(let field, let prefix):
                guard let actual = Self.subject(field, form: form, bucket: bucket) else { throw .postConditionFailed(entry.text) }
                // A Content-Type with commas is a list (`image/jpg,image/png`); other fields are text.
                let values = Self.name(field) == "content-type"
                    ? actual.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                    : [actual]
                guard values.allSatisfy({ $0.hasPrefix(prefix) }) else { throw .postConditionFailed(entry.text) }
            case .contentLengthRange(let minimum, let maximum):
                guard let minimum, let maximum else { throw .postConditionFailed(entry.text) }
                if size < minimum { throw .entityTooSmall(size, minimum: minimum) }
                if size > maximum { throw .entityTooLarge(size, maximum: maximum) }
            }
        }
        var named = Set<String>()
        for entry in conditions {
            switch entry.condition {
            case .equals(let field, _), .startsWith(let field, _):
                if let name = Self.name(field) { named.insert(name) }
            case .contentLengthRange:
                break
            }
        }
        var extra: [String] = []
        for field in form.fields {
            let name = field.name.lowercased()
            if named.contains(name) || signatureFields.contains(name) || name == "file" || name.hasPrefix("x-ignore-") { continue }
            if !extra.contains(where: { $0.lowercased() == name }) { extra.append(field.name) }
        }
        if !extra.isEmpty { throw .postExtraFields(extra) }
    }

    /// The lower-case field a condition's `$name` is about; nil without the `$` (S3 then fails
    /// the condition).
    static func name(_ field: String) -> String? {
        field.hasPrefix("$") ? field.dropFirst().lowercased() : nil
    }

    private static func subject(_ field: String, form: S3PostForm, bucket: String) -> String? {
        guard let name = name(field) else { return nil }
        return name == "bucket" ? bucket : form[name]
    }

    // MARK: Reading

    private static func entry(_ item: JSONValue) throws(S3Error) -> Entry {
        switch item {
        case .object(let properties):
            guard properties.count == 1, case let (name, value)? = properties.first else {
                throw .invalidPolicyDocument("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
            }
            switch value {
            case .string(let text):
                return Entry(condition: .equals(field: "$" + name, value: text), text: render([.string("eq"), .string("$" + name), value]))
            case .null:
                throw .invalidPolicyDocument("Invalid JSON.")
            default:
                throw .invalidPolicyDocument("Invalid Simple-Condition: value must be a string.")
            }
        case .array(let elements):
            guard case .string(let operation)? = elements.first else {
                throw .invalidPolicyDocument("Invalid Condition: missing operation identifier.")
            }
            let known = ["eq", "starts-with", "content-length-range"]
            guard known.contains(operation.lowercased()) else {
                throw .invalidPolicyDocument("Invalid Condition: unknown operation '\(operation)'.")
            }
            guard elements.count == 3 else { throw .invalidPolicyDocument("Invalid \(operation): wrong number of arguments.") }
            let text = render(elements)
            if operation.lowercased() == "content-length-range" {
                return Entry(condition: .contentLengthRange(minimum: integer(elements[1]), maximum: integer(elements[2])), text: text)
            }
            guard case .string(let field) = elements[1], case .string(let value) = elements[2] else {
                throw .invalidPolicyDocument("Invalid JSON.")
            }
            let condition: Condition = operation.lowercased() == "eq" ? .equals(field: field, value: value) : .startsWith(field: field, prefix: value)
            return Entry(condition: condition, text: text)
        default:
            throw .invalidPolicyDocument("Invalid condition test: must be a List or Object.")
        }
    }

    /// `2026-01-01T12:00:00.000Z` or `2026-01-01T12:00:00Z` (what botocore sends); UTC only.
    static func date(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// A bound of `content-length-range`: a whole number, or a string holding one.
    private static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let number) where number.rounded() == number && abs(number) < 9e15: Int64(number)
        case .string(let text): Int64(text)
        default: nil
        }
    }

    /// `["eq", "$key", "a.jpg"]`: S3's rendering, JSON with a space after each comma.
    private static func render(_ elements: [JSONValue]) -> String {
        "[" + elements.map(json).joined(separator: ", ") + "]"
    }

    private static func json(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : String(number)
        case .string(let text): JSONText.quoted(text)
        case .array(let items): render(items)
        case .object(let fields): "{" + fields.keys.sorted().map { JSONText.quoted($0) + ": " + json(fields[$0]!) }.joined(separator: ", ") + "}"
        }
    }

    /// A value as text, for messages (`'2011-09-13 07:52:58'`).
    private static func plain(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return json(value)
    }
}
