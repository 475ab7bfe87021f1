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
        if !merge, request.maximumRetryAttempts == nil, request.maximumEventAgeInSeconds == nil, request.destinationConfig == nil {
            throw LambdaError.invalidParameter("You must specify at least one of error handling or destination setting.")
        }
        let target = try await existingTarget(reference, qualifier: qualifier)
        try await checkDestinations(request.destinationConfig, of: target)
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
            throw EventInvokeRules.functionDoesNotExist
        }
    }

    /// A configuration; AWS answers a function or qualifier that does not exist as it answers
    /// one without a configuration.
    public func eventInvokeConfig(_ reference: String, qualifier: String?) async throws -> FunctionEventInvokeConfig {
        let target = try namedTarget(reference, qualifier: qualifier)
        guard let config = try await store.setting(.eventInvokeConfig, of: eventInvokeID(target), as: FunctionEventInvokeConfig.self) else {
            let arn = names.functionARN(target.functionName, qualifier: target.qualifier ?? FunctionVersion.latest.rawValue)
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "The function \(arn) doesn't have an EventInvokeConfig")
        }
        return config
    }

    public func deleteEventInvokeConfig(_ reference: String, qualifier: String?) async throws {
        let target = try namedTarget(reference, qualifier: qualifier)
        _ = try await eventInvokeConfig(reference, qualifier: qualifier)
        _ = try await store.updateSetting(.eventInvokeConfig, of: eventInvokeID(target)) { (_: FunctionEventInvokeConfig?) -> FunctionEventInvokeConfig? in nil }
    }

    public func listEventInvokeConfigs(_ reference: String, marker: String?, maxItems: Int?) async throws
        -> (configs: [FunctionEventInvokeConfig], nextMarker: String?) {
        let latest: FunctionRecord
        do {
            latest = try await latestFunction(reference)
        } catch let error as LambdaError where error.status == 404 {
            throw EventInvokeRules.functionDoesNotExist
        }
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

    /// The function (version, alias) a put or update names, which must exist.
    private func existingTarget(_ reference: String, qualifier: String?) async throws -> QualifiedName {
        do {
            return try await qualifiedName(reference, qualifier: qualifier)
        } catch let error as LambdaError where error.status == 404 {
            throw EventInvokeRules.functionDoesNotExist
        }
    }

    /// The function (version, alias) a get or delete names, whether or not it exists.
    private func namedTarget(_ reference: String, qualifier explicit: String?) throws -> QualifiedName {
        let parsed = try localReference(reference)
        let qualifier = try resolveQualifier(parsed: parsed, explicit: explicit)
        return QualifiedName(functionName: parsed.name, qualifier: qualifier, arn: names.functionARN(parsed.name, qualifier: qualifier),
                             revisionId: "")
    }

    /// What AWS checks of destinations once the function is known: a function as its own
    /// destination, a destination function that does not exist.
    private func checkDestinations(_ config: DestinationConfig?, of target: QualifiedName) async throws {
        for destination in [config?.onSuccess?.destination, config?.onFailure?.destination] {
            guard let arn = destination, !arn.isEmpty,
                  case .function(let reference) = try EventInvokeRules.destinationKind(arn, names: names, config: config) else { continue }
            let parsed = try? FunctionReference(parsing: reference)
            if parsed?.name == target.functionName {
                throw LambdaError.invalidParameter("You can't specify the function as a destination for itself.")
            }
            guard let parsed, arn.split(separator: ":")[4] == names.accountID,
                  try await cachedFunction(FunctionVersionID(functionName: parsed.name)) != nil else {
                throw LambdaError.invalidParameter("The destination ARN \(arn) is invalid.")
            }
        }
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
    static let functionDoesNotExist = LambdaError(status: 404, type: "ResourceNotFoundException", message: "The function doesn't exist.")

    /// `DestinationArn`'s pattern, as AWS's recorded answer quotes it.
    static let arnPattern = #"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"#
    private static let arnExpression = try! NSRegularExpression(pattern: "^(?:\(arnPattern))$")

    static func validate(_ request: EventInvokeConfigRequest, names: ResourceNames) throws {
        for (field, destination) in [("onSuccess", request.destinationConfig?.onSuccess?.destination),
                                     ("onFailure", request.destinationConfig?.onFailure?.destination)] {
            guard let arn = destination else { continue }
            let range = NSRange(arn.startIndex..., in: arn)
            guard arn.utf8.count <= 350, arnExpression.firstMatch(in: arn, range: range)?.range == range else {
                throw LambdaError.validation(value: arn, field: "destinationConfig.\(field).destination",
                                             constraint: "Member must satisfy regular expression pattern: \(arnPattern)")
            }
        }
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
            guard let arn = destination, !arn.isEmpty else { continue }
            try destinationKind(arn, names: names, config: request.destinationConfig)
        }
    }

    enum Destination: Equatable {
        case queue(String)
        case function(String)
    }

    /// An SQS queue or a Lambda function. Destinations AWS has and Lambent does not deliver to
    /// (SNS, EventBridge, S3) are refused rather than accepted and dropped; other services'
    /// ARNs are invalid, in AWS's words (which quote the whole `config`).
    @discardableResult
    static func destinationKind(_ arn: String, names: ResourceNames, config: DestinationConfig? = nil) throws -> Destination {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count >= 6 && parts[0] == "arn" ? parts[2] : "" {
        case "sqs" where parts.count == 6:
            return .queue(parts[5])
        case "lambda" where parts.count >= 7 && parts[5] == "function":
            return .function(parts[6...].joined(separator: ":"))
        case "sns", "events", "s3":
            throw LambdaError.invalidParameter(
                "Lambent delivers asynchronous invocation records to SQS queues and Lambda functions only; \(parts[2]) destinations such as \(arn) are not supported.")
        default:
            throw LambdaError.invalidParameter("The provided destination config \(describe(config ?? DestinationConfig(onSuccess: .init(destination: arn)))) is invalid.")
        }
    }

    /// A destination configuration as AWS's error messages print it.
    static func describe(_ config: DestinationConfig) -> String {
        let success = config.onSuccess.map { "OnSuccess(destination=\($0.destination ?? "null"))" } ?? "null"
        let failure = config.onFailure.map { "OnFailure(destination=\($0.destination ?? "null"))" } ?? "null"
        return "DestinationConfig(onSuccess=\(success), onFailure=\(failure))"
    }
}
