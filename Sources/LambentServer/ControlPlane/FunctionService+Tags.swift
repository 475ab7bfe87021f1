import LambentModel
import LambentStore

/// Tags on functions (not on versions or aliases, as on AWS).
extension FunctionService {
    /// Lambda's limit of tags on one resource.
    static let maximumTags = 50

    /// `ListTags`.
    public func tags(resource: String) async throws -> [String: String] {
        try await taggedFunction(resource).tags
    }

    /// `TagResource`: adds or overwrites tags.
    public func tagResource(_ resource: String, tags: [String: String]?) async throws {
        let function = try await taggedFunction(resource)
        guard let tags, !tags.isEmpty else {
            throw LambdaError.invalidParameter("An error occurred and the request cannot be processed.")
        }
        try Self.validateTags(tags)
        try await changeTags(function.name) { current in
            let merged = current.merging(tags) { _, new in new }
            if merged.count > Self.maximumTags { throw LambdaError.invalidParameter("Number of tags exceeds resource tag limit.") }
            return merged
        }
    }

    /// `UntagResource`: removes tags by key; unknown keys are ignored.
    public func untagResource(_ resource: String, keys: [String]) async throws {
        let function = try await taggedFunction(resource)
        guard !keys.isEmpty else {
            throw LambdaError(status: 400, type: "ValidationException",
                              message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
                              isUserError: false)
        }
        try await changeTags(function.name) { current in current.filter { !keys.contains($0.key) } }
    }

    /// Tags as CreateFunction and TagResource accept them: at most 50, keys of 1–128
    /// characters, values of at most 256.
    static func validateTags(_ tags: [String: String]) throws {
        if tags.count > maximumTags { throw LambdaError.invalidParameter("Number of tags exceeds resource tag limit.") }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.count > 128 {
                throw LambdaError.validation(value: key, field: "tags", constraint: "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
            }
            if value.count > 256 {
                throw LambdaError.validation(value: value, field: "tags", constraint: "Map value must satisfy constraint: [Member must have length less than or equal to 256]")
            }
        }
    }

    /// The function a tagging call's resource ARN names: an unqualified function ARN.
    private func taggedFunction(_ resource: String) async throws -> FunctionRecord {
        let parsed: FunctionReference
        do {
            guard resource.hasPrefix("arn:"), resource.contains(":function:") else { throw LambdaError.invalidParameter("") }
            parsed = try FunctionReference(parsing: resource)
        } catch {
            throw LambdaError.validation(
                value: resource, field: "resource",
                constraint: #"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)"#)
        }
        if parsed.qualifier != nil {
            throw LambdaError.invalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
        }
        return try await function(resource)
    }

    private func changeTags(_ name: String, _ change: @escaping @Sendable ([String: String]) throws -> [String: String]) async throws {
        let record = try await store.updateFunction(named: name) { old in
            var new = old
            new.tags = try change(old.tags)
            return new
        }
        guard let record else { throw LambdaError.functionNotFound(arn: names.functionARN(name)) }
        cache.functionChanged(record)
    }
}
