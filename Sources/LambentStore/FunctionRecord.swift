import LambentModel

/// Everything Lambent keeps about a function: its configuration as the API returns it, its
/// tags, and the key of its code blob.
public struct FunctionRecord: Codable, Sendable, Equatable {
    public var configuration: FunctionConfiguration
    public var tags: [String: String]
    /// Hex SHA-256 of the deployment package: the key of its blob and unpacked tree.
    public var codeKey: String
    /// The key of the tree the function's layers were merged into (its /opt), when it has
    /// layers: kept with the version, so deleting a layer version never breaks a function.
    public var layersKey: String?
    /// `ReservedConcurrentExecutions`, when the function has a reservation.
    public var reservedConcurrency: Int?
    /// The number of the last version published (kept when versions are deleted: Lambda
    /// never reuses a number); nil before the first.
    public var lastPublishedVersion: Int?
    /// `$LATEST`'s RevisionId right after the last publish: while it is unchanged, there is
    /// nothing new to publish.
    public var publishedRevision: String?
    /// The container image a `PackageType: Image` function runs (its `codeKey` names the
    /// unpacked image).
    public var image: FunctionImage?

    public init(configuration: FunctionConfiguration, tags: [String: String], codeKey: String, layersKey: String? = nil,
                reservedConcurrency: Int? = nil, lastPublishedVersion: Int? = nil, publishedRevision: String? = nil) {
        self.configuration = configuration
        self.tags = tags
        self.codeKey = codeKey
        self.layersKey = layersKey
        self.reservedConcurrency = reservedConcurrency
        self.lastPublishedVersion = lastPublishedVersion
        self.publishedRevision = publishedRevision
    }

    public var name: String { configuration.functionName }

    /// The function-level part of the record, kept once per function.
    var attributes: FunctionAttributes {
        FunctionAttributes(tags: tags, reservedConcurrency: reservedConcurrency, lastPublishedVersion: lastPublishedVersion,
                           publishedRevision: publishedRevision)
    }
}

/// What belongs to a function rather than to one of its versions.
struct FunctionAttributes: Codable, Sendable, Equatable {
    var tags: [String: String]
    var reservedConcurrency: Int?
    var lastPublishedVersion: Int?
    var publishedRevision: String?

    /// Defaults for fields a stored document lacks.
    static let template = FunctionAttributes(tags: [:], reservedConcurrency: nil, lastPublishedVersion: nil, publishedRevision: nil)
}

extension FunctionConfiguration {
    /// Defaults for fields a stored configuration lacks (see `StoredJSON`): what a function
    /// created without them would have.
    static let template = FunctionConfiguration(
        functionName: "", functionArn: "", runtime: "", role: "", handler: "", codeSize: 0, description: "",
        timeout: Limits.defaultTimeout, memorySize: Limits.defaultMemory, lastModified: "", codeSha256: "",
        environment: [:], revisionId: "", state: .active, ephemeralStorage: Limits.defaultEphemeralStorage,
        runtimeVersionArn: "", logGroup: "")
}

/// A published layer version and what Lambent keeps beside it.
public struct LayerVersionRecord: Codable, Sendable, Equatable {
    /// The version as the API answers it (without `Content.Location`).
    public var layer: LayerVersion
    public var layerName: String
    /// Hex SHA-256 of the zip: the key of its blob and unpacked tree.
    public var codeKey: String
    /// Bytes of the unpacked content, counted against the function-plus-layers limit.
    public var unzippedSize: Int
    /// The layer version's resource policy, when it has statements.
    public var policy: ResourcePolicy?

    public init(layer: LayerVersion, layerName: String, codeKey: String, unzippedSize: Int, policy: ResourcePolicy? = nil) {
        self.layer = layer
        self.layerName = layerName
        self.codeKey = codeKey
        self.unzippedSize = unzippedSize
        self.policy = policy
    }
}

/// One line of a function's log, as CloudWatch Logs would hold it.
public struct FunctionLogEvent: Codable, Sendable, Equatable {
    /// Row id, increasing; used to follow a log.
    public var id: Int64
    public var group: String
    public var stream: String
    /// Unix epoch milliseconds.
    public var timestamp: Int64
    public var message: String
    /// When the store took the event (Unix epoch milliseconds).
    public var ingestionTime: Int64

    public init(id: Int64 = 0, group: String, stream: String, timestamp: Int64, message: String, ingestionTime: Int64? = nil) {
        self.id = id
        self.group = group
        self.stream = stream
        self.timestamp = timestamp
        self.message = message
        self.ingestionTime = ingestionTime ?? timestamp
    }
}
