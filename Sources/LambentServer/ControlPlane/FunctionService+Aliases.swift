import Foundation
import LambentModel
import LambentStore

/// Aliases: names for a version, with an optional weighted second version.
extension FunctionService {
    /// `CreateAlias`.
    public func createAlias(_ reference: String, _ request: CreateAliasRequest) async throws -> AliasConfiguration {
        guard let name = request.name else { throw missing("Name") }
        guard let version = request.functionVersion else { throw missing("FunctionVersion") }
        try Self.validateAliasName(name)
        let latest: FunctionRecord
        do {
            latest = try await latestFunction(reference)
        } catch let error as LambdaError where error.status == 404 {
            // AWS names the version the alias was to point at.
            let parsed = try localReference(reference)
            throw LambdaError.functionNotFound(arn: names.functionARN(parsed.name, qualifier: version))
        }
        try await validateTarget(function: latest.name, version: version, routing: request.routingConfig)
        let alias = AliasConfiguration(
            aliasArn: names.functionARN(latest.name, qualifier: name), name: name, functionVersion: version,
            description: request.description ?? "", revisionId: Self.newRevision(),
            routingConfig: Self.stored(request.routingConfig))
        guard try await store.insertAlias(alias, function: latest.name) else {
            throw LambdaError(status: 409, type: "ResourceConflictException", message: "Alias already exists: \(alias.aliasArn)")
        }
        aliasCache.changed(AliasID(functionName: latest.name, name: name), to: alias)
        return alias
    }

    /// `GetAlias`.
    public func alias(_ reference: String, name: String) async throws -> AliasConfiguration {
        let latest = try await latestFunction(reference)
        guard let alias = try await cachedAlias(AliasID(functionName: latest.name, name: name)) else {
            throw LambdaError(status: 404, type: "ResourceNotFoundException",
                              message: "Cannot find alias arn: \(names.functionARN(latest.name, qualifier: name))")
        }
        return alias
    }

    /// `UpdateAlias`: a new version, description or routing, with an optional RevisionId check.
    public func updateAlias(_ reference: String, name: String, _ request: UpdateAliasRequest) async throws -> AliasConfiguration {
        let latest = try await latestFunction(reference)
        let arn = names.functionARN(latest.name, qualifier: name)
        guard let current = try await store.alias(name, function: latest.name) else {
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Alias not found: \(arn)")
        }
        if let expected = request.revisionId, expected != current.revisionId { throw LambdaError.revisionMismatch }
        if let version = request.functionVersion ?? (request.routingConfig != nil ? current.functionVersion : nil) {
            try await validateTarget(function: latest.name, version: version, routing: request.routingConfig ?? current.routingConfig)
        }
        let revision = Self.newRevision()
        let updated = try await store.updateAlias(name, function: latest.name) { old in
            if let expected = request.revisionId, expected != old.revisionId { throw LambdaError.revisionMismatch }
            var new = old
            if let version = request.functionVersion { new.functionVersion = version }
            if let description = request.description { new.description = description }
            if let routing = request.routingConfig { new.routingConfig = Self.stored(routing) }
            new.revisionId = revision
            return new
        }
        guard let updated else { throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Alias not found: \(arn)") }
        aliasCache.changed(AliasID(functionName: latest.name, name: name), to: updated)
        if updated.functionVersion != current.functionVersion { try await aliasMoved(function: latest.name, alias: name) }
        return updated
    }

    /// `DeleteAlias`: 204 whether or not it existed, as AWS answers.
    public func deleteAlias(_ reference: String, name: String) async throws {
        let latest = try await latestFunction(reference)
        let deleted = try await store.deleteAlias(name, function: latest.name)
        aliasCache.changed(AliasID(functionName: latest.name, name: name), to: nil)
        urls.remove(function: latest.name, qualifier: name)
        if deleted != nil { try await qualifierDeleted(function: latest.name, qualifier: name) }
    }

    /// `ListAliases`, optionally only those whose version is `functionVersion`.
    public func listAliases(_ reference: String, functionVersion: String?, marker: String?, maxItems: Int?) async throws
        -> (aliases: [AliasConfiguration], nextMarker: String?) {
        let latest = try await latestFunction(reference)
        let request = try PageRequest(marker: marker, maxItems: maxItems)
        let limit = request.limit
        var after = request.after
        var page: [AliasConfiguration] = []
        var more = false
        // Filtering happens after reading, so read on until the page is full.
        while page.count <= limit {
            let batch = try await store.listAliases(function: latest.name, after: after, limit: 100)
            for alias in batch where functionVersion == nil || alias.functionVersion == functionVersion {
                if page.count == limit { more = true; break }
                page.append(alias)
            }
            if more || batch.count < 100 { break }
            after = batch.last?.name
        }
        return (page, PageRequest.marker(after: page.last?.name, more: more))
    }

    /// The aliases of `function` that route to `version` (as their version or their weighted one).
    func aliasesRouting(to version: String, function: String) async throws -> [String] {
        var names: [String] = []
        var after: String?
        repeat {
            let batch = try await store.listAliases(function: function, after: after, limit: 100)
            for alias in batch where alias.functionVersion == version || alias.routingConfig?.additionalVersionWeights?[version] != nil {
                names.append(alias.name)
            }
            after = batch.count == 100 ? batch.last?.name : nil
        } while after != nil
        return names
    }

    // MARK: Validation

    /// `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`, 1 to 128 characters: an alias name never looks like a version.
    static func validateAliasName(_ name: String) throws {
        let pattern = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        let allowed = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
        if name.isEmpty || name.count > 128 || !allowed || isVersionNumber(name) {
            throw LambdaError.validation(value: name, field: "name",
                                         constraint: "Member must satisfy regular expression pattern: \(pattern)")
        }
    }

    /// The alias's version exists, and its routing is one other existing version weighted in [0, 1].
    func validateTarget(function: String, version: String, routing: AliasRoutingConfiguration?) async throws {
        let weights = routing?.additionalVersionWeights ?? [:]
        if let bad = weights.first(where: { !Self.isVersionNumber($0.key) }) {
            throw LambdaError.validation(
                value: "{\(bad.key)=\(bad.value)}", field: "routingConfig.additionalVersionWeights",
                constraint: "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]")
        }
        if let bad = weights.first(where: { !(0...1).contains($0.value) }) {
            throw LambdaError.validation(
                value: "{\(bad.key)=\(bad.value)}", field: "routingConfig.additionalVersionWeights",
                constraint: "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]")
        }
        if weights.count > 1 {
            throw LambdaError.invalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
        }
        if version == FunctionVersion.latest.rawValue, !weights.isEmpty {
            throw LambdaError.invalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
        }
        if weights[version] != nil {
            throw LambdaError.invalidParameter(
                "Invalid function version \(version). Function version \(version) is already included in routing configuration.")
        }
        for candidate in [version] + weights.keys.sorted() {
            guard candidate == FunctionVersion.latest.rawValue || Self.isVersionNumber(candidate),
                  try await cachedFunction(FunctionVersionID(functionName: function, version: FunctionVersion(candidate))) != nil else {
                throw LambdaError.functionNotFound(arn: names.functionARN(function, qualifier: candidate))
            }
        }
    }

    /// An empty routing configuration is not kept (AWS answers without `RoutingConfig`).
    static func stored(_ routing: AliasRoutingConfiguration?) -> AliasRoutingConfiguration? {
        guard let weights = routing?.additionalVersionWeights, !weights.isEmpty else { return nil }
        return routing
    }
}
