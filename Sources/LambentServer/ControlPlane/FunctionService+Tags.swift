import Foundation
import LambentModel
import LambentStore

/// Tags on functions (not on versions or aliases, as on AWS) and on event source mappings.
extension FunctionService {
    /// Lambda's limit of tags on one resource.
    static let maximumTags = 50

    /// `ListTags`.
    public func tags(resource: String) async throws -> [String: String] {
        switch try await taggedResource(resource) {
        case .function(let record): return record.tags
        case .mapping(let uuid): return try await store.mappingTags(uuid) ?? [:]
        }
    }

    /// `TagResource`: adds or overwrites tags.
    public func tagResource(_ resource: String, tags: [String: String]?) async throws {
        let target = try await taggedResource(resource)
        guard let tags, !tags.isEmpty else {
            throw LambdaError.invalidParameter("An error occurred and the request cannot be processed.")
        }
        try Self.validateTags(tags)
        try await changeTags(target, resource: resource) { current in
            let merged = current.merging(tags) { _, new in new }
            if merged.count > Self.maximumTags { throw LambdaError.invalidParameter("Number of tags exceeds resource tag limit.") }
            return merged
        }
    }

    /// `UntagResource`: removes tags by key; unknown keys are ignored.
    public func untagResource(_ resource: String, keys: [String]) async throws {
        let target = try await taggedResource(resource)
        guard !keys.isEmpty else {
            throw LambdaError(status: 400, type: "ValidationException",
                              message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
                              isUserError: false)
        }
        try await changeTags(target, resource: resource) { current in current.filter { !keys.contains($0.key) } }
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

    /// What a tagging call's resource ARN names that Lambent keeps tags for.
    enum TaggedResource {
        case function(FunctionRecord)
        case mapping(uuid: String)
    }

    /// `TaggableResource`'s pattern, as AWS prints it.
    static let taggableResourcePattern =
        #"arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)"#
    private static let taggableResource = try! NSRegularExpression(pattern: "^(?:\(taggableResourcePattern))$")

    /// The resource a tagging call names: an unqualified function, or an event source mapping;
    /// capacity providers (which Lambent has none of) are not found, as AWS words it.
    private func taggedResource(_ resource: String) async throws -> TaggedResource {
        let range = NSRange(resource.startIndex..., in: resource)
        guard Self.taggableResource.firstMatch(in: resource, range: range)?.range == range else {
            throw LambdaError.validation(value: resource, field: "resource",
                                         constraint: "Member must satisfy regular expression pattern: \(Self.taggableResourcePattern)")
        }
        let parts = resource.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[5] {
        case "event-source-mapping":
            guard parts[3] == names.region, parts[4] == names.accountID, try await store.mapping(parts[6].lowercased()) != nil else {
                throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Event source mapping not found: \(resource)")
            }
            return .mapping(uuid: parts[6].lowercased())
        case "function":
            let parsed = try localReference(resource)
            if parsed.qualifier != nil {
                throw LambdaError.invalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
            }
            return .function(try await function(resource))
        case "capacity-provider":
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Capacity provider not found: \(resource)")
        default:
            throw LambdaError.invalidParameter("Lambent keeps tags on functions and event source mappings only, not on \(parts[5]) resources.")
        }
    }

    private func changeTags(_ target: TaggedResource, resource: String,
                            _ change: @escaping @Sendable ([String: String]) throws -> [String: String]) async throws {
        switch target {
        case .function(let function):
            let record = try await store.updateFunction(named: function.name) { old in
                var new = old
                new.tags = try change(old.tags)
                return new
            }
            guard let record else { throw LambdaError.functionNotFound(arn: names.functionARN(function.name)) }
            cache.functionChanged(record)
        case .mapping(let uuid):
            guard try await store.updateMappingTags(uuid, change) != nil else {
                throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Event source mapping not found: \(resource)")
            }
        }
    }
}
