import Foundation
import LambentModel
import LambentStore

/// `Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s)`: how asynchronous invocations of a
/// function (or of one version or alias) are retried, how old they may get, and where their
/// outcomes go. Kept as a function setting per qualifier.
extension FunctionService {
    public func putEventInvokeConfig(_ reference: String, qualifier: String?, _ request: EventInvokeConfigRequest, merge: Bool) async throws
        -> FunctionEventInvokeConfig {
        try EventInvokeRules.validate(request, names: names)
        let target = try await qualifiedName(reference, qualifier: qualifier)
        let id = eventInvokeID(target)
        let arn = names.functionARN(target.functionName, qualifier: target.qualifier ?? FunctionVersion.latest.rawValue)
        let now = Date().timeIntervalSince1970
        do {
            let stored = try await store.updateSetting(.eventInvokeConfig, of: id) { (current: FunctionEventInvokeConfig?) in
                if merge, current == nil {
                    throw LambdaError(status: 404, type: "ResourceNotFoundException",
                                      message: "The function \(arn) doesn't have an EventInvokeConfig")
                }
                var config = merge ? current! : FunctionEventInvokeConfig(functionArn: arn, lastModified: now)
                if let attempts = request.maximumRetryAttempts { config.maximumRetryAttempts = attempts }
                if let age = request.maximumEventAgeInSeconds { config.maximumEventAgeInSeconds = age }
                if let destinations = request.destinationConfig {
                    if merge {
                        var merged = config.destinationConfig ?? DestinationConfig()
                        if let success = destinations.onSuccess { merged.onSuccess = success }
                        if let failure = destinations.onFailure { merged.onFailure = failure }
                        config.destinationConfig = merged
                    } else {
                        config.destinationConfig = destinations
                    }
                }
                if config.destinationConfig == nil { config.destinationConfig = DestinationConfig() }
                config.functionArn = arn
                config.lastModified = now
                return config
            }
            return stored!
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
    }

    public func eventInvokeConfig(_ reference: String, qualifier: String?) async throws -> FunctionEventInvokeConfig {
        let target = try await qualifiedName(reference, qualifier: qualifier)
        guard let config = try await store.setting(.eventInvokeConfig, of: eventInvokeID(target), as: FunctionEventInvokeConfig.self) else {
            let arn = names.functionARN(target.functionName, qualifier: target.qualifier ?? FunctionVersion.latest.rawValue)
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "The function \(arn) doesn't have an EventInvokeConfig")
        }
        return config
    }

    public func deleteEventInvokeConfig(_ reference: String, qualifier: String?) async throws {
        let target = try await qualifiedName(reference, qualifier: qualifier)
        _ = try await eventInvokeConfig(reference, qualifier: qualifier)
        _ = try await store.updateSetting(.eventInvokeConfig, of: eventInvokeID(target)) { (_: FunctionEventInvokeConfig?) -> FunctionEventInvokeConfig? in nil }
    }

    public func listEventInvokeConfigs(_ reference: String, marker: String?, maxItems: Int?) async throws
        -> (configs: [FunctionEventInvokeConfig], nextMarker: String?) {
        let latest = try await latestFunction(reference)
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        let all = try await store.settings(.eventInvokeConfig, function: latest.name, as: FunctionEventInvokeConfig.self)
            .filter { entry in request.after.map { ($0.isEmpty ? "" : $0) < (entry.id.qualifier ?? "") } ?? true }
        let page = all.prefix(request.limit)
        return (page.map(\.value), PageRequest.marker(after: page.last.map { $0.id.qualifier ?? "" }, more: all.count > request.limit))
    }

    /// The configuration that applies to an asynchronous invocation of `function` at `qualifier`.
    func eventInvokeConfig(function: String, qualifier: String?) async throws -> FunctionEventInvokeConfig? {
        let stored = qualifier == FunctionVersion.latest.rawValue ? nil : qualifier
        return try await store.setting(.eventInvokeConfig, of: FunctionSettingID(functionName: function, qualifier: stored),
                                       as: FunctionEventInvokeConfig.self)
    }

    private func eventInvokeID(_ target: QualifiedName) -> FunctionSettingID {
        FunctionSettingID(functionName: target.functionName,
                          qualifier: target.qualifier == FunctionVersion.latest.rawValue ? nil : target.qualifier)
    }
}

extension FunctionSettingKind {
    public static let eventInvokeConfig = FunctionSettingKind(rawValue: "eventInvokeConfig")
}

/// What AWS checks of an event invoke configuration.
enum EventInvokeRules {
    static func validate(_ request: EventInvokeConfigRequest, names: ResourceNames) throws {
        if let attempts = request.maximumRetryAttempts, !(0...2).contains(attempts) {
            throw LambdaError.validation(value: "\(attempts)", field: "maximumRetryAttempts",
                                         constraint: attempts < 0 ? "Member must have value greater than or equal to 0"
                                                                  : "Member must have value less than or equal to 2")
        }
        if let age = request.maximumEventAgeInSeconds, !(60...21_600).contains(age) {
            throw LambdaError.validation(value: "\(age)", field: "maximumEventAgeInSeconds",
                                         constraint: age < 60 ? "Member must have value greater than or equal to 60"
                                                              : "Member must have value less than or equal to 21600")
        }
        for destination in [request.destinationConfig?.onSuccess?.destination, request.destinationConfig?.onFailure?.destination] {
            guard let arn = destination else { continue }
            try destinationKind(arn, names: names)
        }
    }

    enum Destination: Equatable {
        case queue(String)
        case function(String)
    }

    /// An SQS queue or a Lambda function of this account and region; other services Lambent
    /// does not run are refused rather than accepted and dropped.
    @discardableResult
    static func destinationKind(_ arn: String, names: ResourceNames) throws -> Destination {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 6, parts[0] == "arn" else {
            throw LambdaError.invalidParameter("The provided destination config DestinationConfig is invalid: \(arn) is not a valid ARN.")
        }
        switch parts[2] {
        case "sqs" where parts.count == 6:
            return .queue(parts[5])
        case "lambda" where parts.count >= 7 && parts[5] == "function":
            return .function(parts[6...].joined(separator: ":"))
        default:
            throw LambdaError.invalidParameter(
                "Lambent delivers asynchronous invocation records to SQS queues and Lambda functions only; \(parts[2]) destinations such as \(arn) are not supported.")
        }
    }
}
