/// `FunctionEventInvokeConfig`: retries, maximum age and destinations of asynchronous invocations.
public struct FunctionEventInvokeConfig: Codable, Sendable, Equatable {
    /// Epoch seconds (the API's `Date`, a JSON number).
    public var lastModified: Double
    public var functionArn: String
    public var maximumRetryAttempts: Int?
    public var maximumEventAgeInSeconds: Int?
    public var destinationConfig: DestinationConfig?

    public init(functionArn: String, lastModified: Double) {
        self.functionArn = functionArn
        self.lastModified = lastModified
    }

    enum CodingKeys: String, CodingKey {
        case lastModified = "LastModified", functionArn = "FunctionArn", maximumRetryAttempts = "MaximumRetryAttempts"
        case maximumEventAgeInSeconds = "MaximumEventAgeInSeconds", destinationConfig = "DestinationConfig"
    }
}

/// `DestinationConfig`.
public struct DestinationConfig: Codable, Sendable, Equatable {
    public var onSuccess: DestinationTarget?
    public var onFailure: DestinationTarget?

    public init(onSuccess: DestinationTarget? = nil, onFailure: DestinationTarget? = nil) {
        self.onSuccess = onSuccess
        self.onFailure = onFailure
    }

    enum CodingKeys: String, CodingKey { case onSuccess = "OnSuccess", onFailure = "OnFailure" }

    public func encode(to encoder: any Encoder) throws {
        // AWS answers `{}` for an absent side, never null.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(onSuccess ?? DestinationTarget(), forKey: .onSuccess)
        try container.encode(onFailure ?? DestinationTarget(), forKey: .onFailure)
    }
}

/// `OnSuccess` / `OnFailure`.
public struct DestinationTarget: Codable, Sendable, Equatable {
    public var destination: String?

    public init(destination: String? = nil) { self.destination = destination }

    enum CodingKeys: String, CodingKey { case destination = "Destination" }
}

/// The body of `PutFunctionEventInvokeConfig` and `UpdateFunctionEventInvokeConfig`.
public struct EventInvokeConfigRequest: Decodable, Sendable {
    public var maximumRetryAttempts: Int?
    public var maximumEventAgeInSeconds: Int?
    public var destinationConfig: DestinationConfig?

    enum CodingKeys: String, CodingKey {
        case maximumRetryAttempts = "MaximumRetryAttempts", maximumEventAgeInSeconds = "MaximumEventAgeInSeconds"
        case destinationConfig = "DestinationConfig"
    }
}

/// `DeadLetterConfig` of a function.
public struct DeadLetterConfig: Codable, Sendable, Equatable {
    public var targetArn: String?

    public init(targetArn: String?) { self.targetArn = targetArn }

    enum CodingKeys: String, CodingKey { case targetArn = "TargetArn" }
}
