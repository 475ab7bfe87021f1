import LambentModel
import LambentStore

/// The configuration operations that are plain records: runtime management (per `$LATEST` or
/// version) and recursive-loop detection (per function). Lambent keeps and answers them;
/// neither changes how it runs functions (it runs the host's runtimes, and a function that
/// calls itself through Lambent's own API has no trace header for loop detection to count).
extension FunctionService {
    struct RuntimeManagementSetting: Codable, Sendable {
        var updateRuntimeOn: String
        var runtimeVersionArn: String?
    }

    public func putRuntimeManagement(_ reference: String, qualifier: String?, updateRuntimeOn: String?, runtimeVersionArn: String?)
        async throws -> RuntimeManagementConfig {
        guard let mode = updateRuntimeOn else { throw missing("UpdateRuntimeOn") }
        guard ["Auto", "Manual", "FunctionUpdate"].contains(mode) else {
            throw LambdaError.validation(value: mode, field: "updateRuntimeOn",
                                         constraint: "Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]")
        }
        if mode == "Manual", runtimeVersionArn == nil {
            throw LambdaError.invalidParameter("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
        }
        if mode != "Manual", runtimeVersionArn != nil {
            throw LambdaError.invalidParameter("RuntimeVersionArn can be given only when UpdateRuntimeOn is Manual.")
        }
        if let arn = runtimeVersionArn, !(arn.hasPrefix("arn:aws") && arn.contains(":lambda:") && arn.contains("::runtime:")) {
            throw LambdaError.validation(value: arn, field: "runtimeVersionArn",
                                         constraint: #"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}::runtime:.+"#)
        }
        let target = try await runtimeManagementTarget(reference, qualifier: qualifier)
        let setting = RuntimeManagementSetting(updateRuntimeOn: mode, runtimeVersionArn: runtimeVersionArn)
        do {
            _ = try await store.updateSetting(.runtimeManagement, of: target.id) { (_: RuntimeManagementSetting?) in setting }
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
        return RuntimeManagementConfig(updateRuntimeOn: mode, runtimeVersionArn: runtimeVersionArn, functionArn: target.arn)
    }

    public func runtimeManagement(_ reference: String, qualifier: String?) async throws -> RuntimeManagementConfig {
        let target = try await runtimeManagementTarget(reference, qualifier: qualifier)
        let setting = try await store.setting(.runtimeManagement, of: target.id, as: RuntimeManagementSetting.self)
        return RuntimeManagementConfig(updateRuntimeOn: setting?.updateRuntimeOn ?? "Auto",
                                       runtimeVersionArn: setting?.runtimeVersionArn, functionArn: target.arn)
    }

    /// `$LATEST` or a published version (not an alias), as the API documents.
    private func runtimeManagementTarget(_ reference: String, qualifier: String?) async throws -> (id: FunctionSettingID, arn: String) {
        let target = try await qualifiedName(reference, qualifier: qualifier)
        if let qualifier = target.qualifier, qualifier != FunctionVersion.latest.rawValue, !Self.isVersionNumber(qualifier) {
            throw LambdaError.invalidParameter("The runtime management configuration applies to $LATEST or a published version, not to an alias.")
        }
        let stored = target.qualifier == FunctionVersion.latest.rawValue ? nil : target.qualifier
        return (FunctionSettingID(functionName: target.functionName, qualifier: stored), target.arn)
    }

    public func putRecursion(_ reference: String, recursiveLoop: String?) async throws -> String {
        guard let loop = recursiveLoop else { throw missing("RecursiveLoop") }
        guard ["Allow", "Terminate"].contains(loop) else {
            throw LambdaError.validation(value: loop, field: "recursiveLoop", constraint: "Member must satisfy enum value set: [Terminate, Allow]")
        }
        let latest = try await latestFunction(reference)
        do {
            _ = try await store.updateSetting(.recursion, of: FunctionSettingID(functionName: latest.name)) { (_: String?) in loop }
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: names.functionARN(latest.name))
        }
        return loop
    }

    public func recursion(_ reference: String) async throws -> String {
        let latest = try await latestFunction(reference)
        return try await store.setting(.recursion, of: FunctionSettingID(functionName: latest.name), as: String.self) ?? "Terminate"
    }
}

/// `GetRuntimeManagementConfig`'s and `PutRuntimeManagementConfig`'s answer.
public struct RuntimeManagementConfig: Encodable, Sendable, Equatable {
    public var updateRuntimeOn: String
    public var runtimeVersionArn: String?
    public var functionArn: String

    enum CodingKeys: String, CodingKey {
        case updateRuntimeOn = "UpdateRuntimeOn", runtimeVersionArn = "RuntimeVersionArn", functionArn = "FunctionArn"
    }
}
