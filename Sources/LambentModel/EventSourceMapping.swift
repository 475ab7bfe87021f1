/// `EventSourceMappingConfiguration`, for the SQS queues Lambent serves.
public struct EventSourceMapping: Codable, Sendable, Equatable {
    public var uuid: String
    public var batchSize: Int
    public var maximumBatchingWindowInSeconds: Int
    public var eventSourceArn: String
    /// The function as the mapping names it (qualified when it was created with a qualifier).
    public var functionArn: String
    /// Epoch seconds (the API's `Date`).
    public var lastModified: Double
    public var state: String
    public var stateTransitionReason: String
    public var functionResponseTypes: [String]
    public var eventSourceMappingArn: String
    public var filterCriteria: FilterCriteria?
    public var scalingConfig: ScalingConfig?

    public init(uuid: String, batchSize: Int, maximumBatchingWindowInSeconds: Int, eventSourceArn: String, functionArn: String,
                lastModified: Double, state: String, stateTransitionReason: String, functionResponseTypes: [String],
                eventSourceMappingArn: String, filterCriteria: FilterCriteria?, scalingConfig: ScalingConfig?) {
        self.uuid = uuid
        self.batchSize = batchSize
        self.maximumBatchingWindowInSeconds = maximumBatchingWindowInSeconds
        self.eventSourceArn = eventSourceArn
        self.functionArn = functionArn
        self.lastModified = lastModified
        self.state = state
        self.stateTransitionReason = stateTransitionReason
        self.functionResponseTypes = functionResponseTypes
        self.eventSourceMappingArn = eventSourceMappingArn
        self.filterCriteria = filterCriteria
        self.scalingConfig = scalingConfig
    }

    enum CodingKeys: String, CodingKey {
        case uuid = "UUID", batchSize = "BatchSize", maximumBatchingWindowInSeconds = "MaximumBatchingWindowInSeconds"
        case eventSourceArn = "EventSourceArn", functionArn = "FunctionArn", lastModified = "LastModified", state = "State"
        case stateTransitionReason = "StateTransitionReason", functionResponseTypes = "FunctionResponseTypes"
        case eventSourceMappingArn = "EventSourceMappingArn", filterCriteria = "FilterCriteria", scalingConfig = "ScalingConfig"
    }

    public var isEnabled: Bool { state == "Enabled" || state == "Creating" || state == "Updating" || state == "Enabling" }
    public var reportsBatchItemFailures: Bool { functionResponseTypes.contains("ReportBatchItemFailures") }
}

/// `FilterCriteria`: patterns of which any must match for a record to reach the function.
public struct FilterCriteria: Codable, Sendable, Equatable {
    public var filters: [Filter]?

    public struct Filter: Codable, Sendable, Equatable {
        public var pattern: String?
        enum CodingKeys: String, CodingKey { case pattern = "Pattern" }
    }

    enum CodingKeys: String, CodingKey { case filters = "Filters" }
}

/// `ScalingConfig`.
public struct ScalingConfig: Codable, Sendable, Equatable {
    public var maximumConcurrency: Int?
    enum CodingKeys: String, CodingKey { case maximumConcurrency = "MaximumConcurrency" }
}

/// The body of `CreateEventSourceMapping` and `UpdateEventSourceMapping`.
public struct EventSourceMappingRequest: Decodable, Sendable {
    public var eventSourceArn: String?
    public var functionName: String?
    public var enabled: Bool?
    public var batchSize: Int?
    public var maximumBatchingWindowInSeconds: Int?
    public var functionResponseTypes: [String]?
    public var filterCriteria: FilterCriteria?
    public var scalingConfig: ScalingConfig?
    public var startingPosition: String?
    /// Stream and Kafka sources' destinations; SQS mappings have none (AWS refuses them).
    public var destinationConfig: DestinationConfig?
    /// The mapping's tags (CreateEventSourceMapping only).
    public var tags: [String: String]?

    enum CodingKeys: String, CodingKey {
        case eventSourceArn = "EventSourceArn", functionName = "FunctionName", enabled = "Enabled", batchSize = "BatchSize"
        case maximumBatchingWindowInSeconds = "MaximumBatchingWindowInSeconds", functionResponseTypes = "FunctionResponseTypes"
        case filterCriteria = "FilterCriteria", scalingConfig = "ScalingConfig", startingPosition = "StartingPosition"
        case destinationConfig = "DestinationConfig", tags = "Tags"
    }
}
