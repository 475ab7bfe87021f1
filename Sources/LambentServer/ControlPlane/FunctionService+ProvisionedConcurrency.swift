import Foundation
import LambentExecution
import LambentModel
import LambentStore

/// Provisioned concurrency: environments of a published version (named directly or through
/// an alias) initialized ahead of demand. The configuration is a stored setting of the
/// version or alias; the environments are the invoker's (`ProvisionedConcurrencyProvider`).
extension FunctionService {
    /// What is stored for one configuration.
    struct ProvisionedConcurrencySetting: Codable, Sendable {
        var requested: Int
        var lastModified: String
    }

    static func provisionedID(function: String, qualifier: String) -> String { "\(function):\(qualifier)" }

    public func putProvisionedConcurrency(_ reference: String, qualifier: String?, requested: Int?) async throws -> ProvisionedConcurrencyConfig {
        guard let requested else { throw missing("ProvisionedConcurrentExecutions") }
        if requested < 1 {
            throw LambdaError.validation(value: "\(requested)", field: "provisionedConcurrentExecutions",
                                         constraint: "Member must have value greater than or equal to 1")
        }
        let qualifier = try provisionedQualifier(reference, qualifier,
                                                 latestMessage: "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        let target = try await qualifiedName(reference, qualifier: qualifier)
        let function = target.functionName
        let configs = try await store.settings(.provisionedConcurrency, function: function, as: ProvisionedConcurrencySetting.self)
        let version = try await provisionedVersion(function: function, qualifier: qualifier)
        if Self.isVersionNumber(qualifier) {
            for (id, _) in configs where id.qualifier != qualifier {
                if let alias = try await cachedAlias(AliasID(functionName: function, name: id.qualifier ?? "")), alias.functionVersion == qualifier {
                    throw LambdaError(status: 409, type: "ResourceConflictException", message: "Version is pointed by a Provisioned Concurrency alias")
                }
            }
        } else if configs.contains(where: { $0.id.qualifier == version }) {
            throw LambdaError(status: 409, type: "ResourceConflictException",
                              message: "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
        }
        try await checkProvisionedLimits(function: function, qualifier: qualifier, requested: requested, configs: configs)

        let setting = ProvisionedConcurrencySetting(requested: requested, lastModified: LambdaTimestamp.format(Date()))
        do {
            _ = try await store.updateSetting(.provisionedConcurrency, of: FunctionSettingID(functionName: function, qualifier: qualifier)) {
                (_: ProvisionedConcurrencySetting?) in setting
            }
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
        try await provision(function: function, qualifier: qualifier, requested: requested)
        try await refreshProvisionedLimits()
        logger.info("provisioned concurrency set", metadata: ["lambent.function": "\(function)", "lambent.qualifier": "\(qualifier)",
                                                             "lambent.count": "\(requested)"])
        return config(for: setting, id: Self.provisionedID(function: function, qualifier: qualifier))
    }

    public func provisionedConcurrency(_ reference: String, qualifier: String?) async throws -> ProvisionedConcurrencyConfig {
        let qualifier = try provisionedQualifier(reference, qualifier, latestMessage: Self.aliasOrVersionMessage)
        let target = try await qualifiedName(reference, qualifier: qualifier)
        guard let setting = try await store.setting(
            .provisionedConcurrency, of: FunctionSettingID(functionName: target.functionName, qualifier: qualifier),
            as: ProvisionedConcurrencySetting.self) else {
            throw LambdaError(status: 404, type: "ProvisionedConcurrencyConfigNotFoundException",
                              message: "No Provisioned Concurrency Config found for this function")
        }
        return config(for: setting, id: Self.provisionedID(function: target.functionName, qualifier: qualifier))
    }

    public func deleteProvisionedConcurrency(_ reference: String, qualifier: String?) async throws {
        let qualifier = try provisionedQualifier(reference, qualifier, latestMessage: Self.aliasOrVersionMessage)
        let target = try await qualifiedName(reference, qualifier: qualifier)
        do {
            _ = try await store.updateSetting(.provisionedConcurrency, of: FunctionSettingID(functionName: target.functionName, qualifier: qualifier)) {
                (_: ProvisionedConcurrencySetting?) -> ProvisionedConcurrencySetting? in nil
            }
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
        provisioning.deprovision(Self.provisionedID(function: target.functionName, qualifier: qualifier))
        try await refreshProvisionedLimits()
    }

    public func listProvisionedConcurrency(_ reference: String, marker: String?, maxItems: Int?) async throws
        -> (configs: [ProvisionedConcurrencyConfig], nextMarker: String?) {
        let latest = try await latestFunction(reference)
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        let all = try await store.settings(.provisionedConcurrency, function: latest.name, as: ProvisionedConcurrencySetting.self)
            .filter { ($0.id.qualifier ?? "") > (request.after ?? "") }
        let page = all.prefix(request.limit)
        let configs = page.map { entry in
            var item = config(for: entry.value, id: Self.provisionedID(function: latest.name, qualifier: entry.id.qualifier ?? ""))
            item.functionArn = names.functionARN(latest.name, qualifier: entry.id.qualifier)
            return item
        }
        return (configs, PageRequest.marker(after: page.last?.id.qualifier, more: all.count > request.limit))
    }

    /// Provisions every stored configuration (at startup) and tells the limiter their totals.
    public func loadProvisionedConcurrency() async throws {
        try await refreshProvisionedLimits()
        for (id, setting) in try await store.settings(.provisionedConcurrency, function: nil, as: ProvisionedConcurrencySetting.self) {
            guard let qualifier = id.qualifier else { continue }
            do {
                try await provision(function: id.functionName, qualifier: qualifier, requested: setting.requested)
            } catch {
                logger.warning("could not provision", metadata: ["lambent.function": "\(id.functionName)", "lambent.error": "\(error)"])
            }
        }
    }

    /// An alias moved: its provisioned environments move with it.
    func aliasMoved(function: String, alias: String) async throws {
        guard let setting = try await store.setting(.provisionedConcurrency, of: FunctionSettingID(functionName: function, qualifier: alias),
                                                    as: ProvisionedConcurrencySetting.self) else { return }
        try await provision(function: function, qualifier: alias, requested: setting.requested)
    }

    /// An alias or version and its settings are gone: so are its provisioned environments.
    func qualifierDeleted(function: String, qualifier: String) async throws {
        policyCache.changed(FunctionSettingID(functionName: function, qualifier: qualifier), to: nil)
        provisioning.deprovision(Self.provisionedID(function: function, qualifier: qualifier))
        try await refreshProvisionedLimits()
    }

    /// The total provisioned concurrency of every function, from the store, for the limiter.
    func refreshProvisionedLimits() async throws {
        var perFunction: [String: Int] = [:]
        for (id, setting) in try await store.settings(.provisionedConcurrency, function: nil, as: ProvisionedConcurrencySetting.self) {
            perFunction[id.functionName, default: 0] += setting.requested
        }
        var carved = 0
        for (function, total) in perFunction where try await cachedFunction(FunctionVersionID(functionName: function))?.reservedConcurrency == nil {
            carved += total
        }
        provisioning.provisionedConcurrencyChanged(perFunction, carvedFromUnreserved: carved)
    }

    /// The provisioned concurrency a function holds across its versions and aliases.
    func provisionedTotal(of function: String) async throws -> Int {
        try await store.settings(.provisionedConcurrency, function: function, as: ProvisionedConcurrencySetting.self)
            .reduce(0) { $0 + $1.value.requested }
    }

    // MARK: Helpers

    static let aliasOrVersionMessage = "The function resource provided must be an alias or a published version."

    private func provisionedQualifier(_ reference: String, _ explicit: String?, latestMessage: String) throws -> String {
        let inName = (try? FunctionReference(parsing: reference))?.qualifier
        guard let qualifier = explicit ?? inName, !qualifier.isEmpty else {
            throw LambdaError.invalidParameter(Self.aliasOrVersionMessage)
        }
        if qualifier == FunctionVersion.latest.rawValue { throw LambdaError.invalidParameter(latestMessage) }
        return qualifier
    }

    /// The version a version-or-alias qualifier runs.
    private func provisionedVersion(function: String, qualifier: String) async throws -> String {
        if Self.isVersionNumber(qualifier) { return qualifier }
        guard let alias = try await cachedAlias(AliasID(functionName: function, name: qualifier)) else {
            throw LambdaError(status: 404, type: "ResourceNotFoundException",
                              message: "Cannot find alias arn: \(names.functionARN(function, qualifier: qualifier))")
        }
        return alias.functionVersion
    }

    private func provision(function: String, qualifier: String, requested: Int) async throws {
        let version = try await provisionedVersion(function: function, qualifier: qualifier)
        guard let record = try await cachedFunction(FunctionVersionID(functionName: function, version: FunctionVersion(version))) else {
            throw LambdaError.functionNotFound(arn: names.functionARN(function, qualifier: version))
        }
        provisioning.provision(ProvisionedConcurrencyTarget(
            id: Self.provisionedID(function: function, qualifier: qualifier), function: record,
            codeDirectory: codeDirectory(for: record.codeKey).path,
            layersDirectory: record.layersKey.map { codeDirectory(for: $0).path }, count: requested))
    }

    private func checkProvisionedLimits(
        function: String, qualifier: String, requested: Int, configs: [(id: FunctionSettingID, value: ProvisionedConcurrencySetting)]
    ) async throws {
        let others = configs.filter { $0.id.qualifier != qualifier }.reduce(0) { $0 + $1.value.requested }
        if let reserved = try await cachedFunction(FunctionVersionID(functionName: function))?.reservedConcurrency {
            if others + requested > reserved {
                throw LambdaError.invalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
            }
            return
        }
        var carvedElsewhere = 0
        for (id, setting) in try await store.settings(.provisionedConcurrency, function: nil, as: ProvisionedConcurrencySetting.self)
        where !(id.functionName == function && id.qualifier == qualifier) {
            if try await cachedFunction(FunctionVersionID(functionName: id.functionName))?.reservedConcurrency == nil {
                carvedElsewhere += setting.requested
            }
        }
        let unreserved = accountConcurrencyLimit - (try await reservedTotal()) - carvedElsewhere
        if requested > unreserved {
            throw LambdaError(status: 400, type: "InvalidParameterValueException",
                              message: "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [\(unreserved)].",
                              isUserError: false)
        }
        if unreserved - requested < minimumUnreserved {
            throw LambdaError(status: 400, type: "InvalidParameterValueException",
                              message: "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(minimumUnreserved)].",
                              isUserError: false)
        }
    }

    private func config(for setting: ProvisionedConcurrencySetting, id: String) -> ProvisionedConcurrencyConfig {
        let status = provisioning.provisionedStatus(id)
        let ready = status?.ready ?? 0
        let state: String
        if status?.failure != nil {
            state = "FAILED"
        } else if ready >= setting.requested {
            state = "READY"
        } else {
            state = "IN_PROGRESS"
        }
        return ProvisionedConcurrencyConfig(
            requested: setting.requested, available: ready, allocated: ready, status: state,
            statusReason: status?.failure, lastModified: setting.lastModified)
    }
}

/// `GetProvisionedConcurrencyConfig`'s answer (and a `ListProvisionedConcurrencyConfigs` item, with `FunctionArn`).
public struct ProvisionedConcurrencyConfig: Encodable, Sendable, Equatable {
    public var functionArn: String?
    public var requested: Int
    public var available: Int
    public var allocated: Int
    public var status: String
    public var statusReason: String?
    public var lastModified: String

    enum CodingKeys: String, CodingKey {
        case functionArn = "FunctionArn", requested = "RequestedProvisionedConcurrentExecutions"
        case available = "AvailableProvisionedConcurrentExecutions", allocated = "AllocatedProvisionedConcurrentExecutions"
        case status = "Status", statusReason = "StatusReason", lastModified = "LastModified"
    }
}
