import Foundation

/// Encodes and decodes the JSON documents the store keeps, so that rows written by an older
/// Lambent still decode after a field was added: when a document lacks a field its type now
/// requires, the field is taken from `defaults` (a template value) and decoding is retried.
///
/// ```swift
/// let configuration = try StoredJSON.decode(FunctionConfiguration.self, from: data, defaults: .template)
/// ```
enum StoredJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func encode(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    static func decode<T: Codable>(_ type: T.Type, from data: Data, defaults: @autoclosure () -> T) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch DecodingError.keyNotFound, DecodingError.valueNotFound {
            guard let stored = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let template = try JSONSerialization.jsonObject(with: encode(defaults())) as? [String: Any] else {
                throw StoreError("a stored document is not a JSON object")
            }
            let merged = try JSONSerialization.data(withJSONObject: fill(stored, from: template))
            return try JSONDecoder().decode(type, from: merged)
        }
    }

    /// `stored` with every key of `template` it lacks (recursively, for nested objects).
    static func fill(_ stored: [String: Any], from template: [String: Any]) -> [String: Any] {
        var result = stored
        for (key, value) in template {
            if let existing = result[key] {
                if let existingObject = existing as? [String: Any], let templateObject = value as? [String: Any] {
                    result[key] = fill(existingObject, from: templateObject)
                }
            } else {
                result[key] = value
            }
        }
        return result
    }
}

/// A store whose data cannot be read as Lambent wrote it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
