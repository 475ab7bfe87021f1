/// A function's configuration as the Lambda API returns it (`FunctionConfiguration` in the
/// service model). Field names on the wire are AWS's; optional fields are omitted when nil.
public struct FunctionConfiguration: Codable, Sendable, Equatable {
    public var functionName: String
    public var functionArn: String
    /// Empty for container-image functions, which AWS answers without `Runtime`.
    public var runtime: String {
        get { wireRuntime ?? "" }
        set { wireRuntime = newValue.isEmpty ? nil : newValue }
    }
    public var role: String
    /// Empty for container-image functions, which AWS answers without `Handler`.
    public var handler: String {
        get { wireHandler ?? "" }
        set { wireHandler = newValue.isEmpty ? nil : newValue }
    }
    private var wireRuntime: String?
    private var wireHandler: String?
    public var codeSize: Int
    public var description: String
    public var timeout: Int
    public var memorySize: Int
    /// AWS's timestamp format, e.g. `2026-11-23T10:00:00.000+0000`.
    public var lastModified: String
    /// Base64 SHA-256 of the deployment package.
    public var codeSha256: String
    public var version: String
    public var environment: EnvironmentResponse
    public var tracingConfig: TracingConfig
    public var revisionId: String
    public var state: FunctionState?
    public var stateReason: String?
    public var stateReasonCode: String?
    public var lastUpdateStatus: LastUpdateStatus?
    public var lastUpdateStatusReason: String?
    public var lastUpdateStatusReasonCode: String?
    public var packageType: String
    public var architectures: [String]
    public var ephemeralStorage: EphemeralStorage
    public var snapStart: SnapStartResponse
    public var runtimeVersionConfig: RuntimeVersionConfig?
    public var loggingConfig: LoggingConfig
    /// Absent until a request sets it; empty lists once a VpcConfig is removed (as AWS answers).
    public var vpcConfig: VpcConfigResponse?
    /// The layer versions extracted into /opt, in order; absent when there are none.
    public var layers: [FunctionLayer]?
    /// Where asynchronous events that failed every attempt go (an SQS queue here).
    public var deadLetterConfig: DeadLetterConfig?
    /// A container-image function's overrides of its image's settings.
    public var imageConfigResponse: ImageConfigResponse?

    /// Whether the function runs a container image (`PackageType: Image`).
    public var isImage: Bool { packageType == "Image" }

    /// Whether the function is attached to a VPC (at least one subnet): Lambent's private
    /// network analogue.
    public var isInVPC: Bool { !(vpcConfig?.subnetIds.isEmpty ?? true) }

    /// The shape ListFunctions returns: without state, update status and runtime version.
    public var listed: FunctionConfiguration {
        var copy = self
        copy.state = nil
        copy.stateReason = nil
        copy.stateReasonCode = nil
        copy.lastUpdateStatus = nil
        copy.lastUpdateStatusReason = nil
        copy.lastUpdateStatusReasonCode = nil
        copy.runtimeVersionConfig = nil
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case functionName = "FunctionName", functionArn = "FunctionArn", wireRuntime = "Runtime", role = "Role"
        case wireHandler = "Handler", codeSize = "CodeSize", description = "Description", timeout = "Timeout"
        case memorySize = "MemorySize", lastModified = "LastModified", codeSha256 = "CodeSha256"
        case version = "Version", environment = "Environment", tracingConfig = "TracingConfig"
        case revisionId = "RevisionId", state = "State", stateReason = "StateReason"
        case stateReasonCode = "StateReasonCode", lastUpdateStatus = "LastUpdateStatus"
        case lastUpdateStatusReason = "LastUpdateStatusReason"
        case lastUpdateStatusReasonCode = "LastUpdateStatusReasonCode", packageType = "PackageType"
        case architectures = "Architectures", ephemeralStorage = "EphemeralStorage", snapStart = "SnapStart"
        case runtimeVersionConfig = "RuntimeVersionConfig", loggingConfig = "LoggingConfig", vpcConfig = "VpcConfig"
        case layers = "Layers", deadLetterConfig = "DeadLetterConfig", imageConfigResponse = "ImageConfigResponse"
    }

    /// Creates a configuration; `FunctionService` is the one place that builds these.
    public init(
        functionName: String, functionArn: String, runtime: String, role: String, handler: String,
        codeSize: Int, description: String, timeout: Int, memorySize: Int, lastModified: String,
        codeSha256: String, version: String = FunctionVersion.latest.rawValue, environment: [String: String],
        revisionId: String, state: FunctionState, ephemeralStorage: Int, runtimeVersionArn: String,
        logGroup: String
    ) {
        self.functionName = functionName
        self.functionArn = functionArn
        self.wireRuntime = runtime.isEmpty ? nil : runtime
        self.role = role
        self.wireHandler = handler.isEmpty ? nil : handler
        self.codeSize = codeSize
        self.description = description
        self.timeout = timeout
        self.memorySize = memorySize
        self.lastModified = lastModified
        self.codeSha256 = codeSha256
        self.version = version
        self.environment = EnvironmentResponse(variables: environment)
        self.tracingConfig = TracingConfig(mode: "PassThrough")
        self.revisionId = revisionId
        self.state = state
        self.packageType = "Zip"
        self.architectures = ["x86_64"]
        self.ephemeralStorage = EphemeralStorage(size: ephemeralStorage)
        self.snapStart = SnapStartResponse(applyOn: "None", optimizationStatus: "Off")
        self.runtimeVersionConfig = RuntimeVersionConfig(runtimeVersionArn: runtimeVersionArn)
        self.loggingConfig = LoggingConfig(logFormat: "Text", logGroup: logGroup)
    }
}

/// `State` of a function.
public enum FunctionState: String, Codable, Sendable {
    case pending = "Pending", active = "Active", inactive = "Inactive", failed = "Failed"
}

/// `LastUpdateStatus` of a function.
public enum LastUpdateStatus: String, Codable, Sendable {
    case successful = "Successful", failed = "Failed", inProgress = "InProgress"
}

/// `Environment` in a response.
public struct EnvironmentResponse: Codable, Sendable, Equatable {
    public var variables: [String: String]
    enum CodingKeys: String, CodingKey { case variables = "Variables" }
}

/// `TracingConfig`.
public struct TracingConfig: Codable, Sendable, Equatable {
    public var mode: String
    public init(mode: String) { self.mode = mode }
    enum CodingKeys: String, CodingKey { case mode = "Mode" }
}

/// `EphemeralStorage`: the size of /tmp in MB.
public struct EphemeralStorage: Codable, Sendable, Equatable {
    public var size: Int
    public init(size: Int) { self.size = size }
    enum CodingKeys: String, CodingKey { case size = "Size" }
}

/// `VpcConfig` in a response. Lambent has no EC2: every well-formed subnet and security group
/// id is accepted, and a function with subnets runs on the host's network (see
/// docs/SPECIFICATION.md, "Network").
public struct VpcConfigResponse: Codable, Sendable, Equatable {
    public var subnetIds: [String]
    public var securityGroupIds: [String]
    public var vpcId: String
    public var ipv6AllowedForDualStack: Bool

    /// The VpcId Lambent reports for functions with subnets.
    public static let lambentVPC = "vpc-lambent"

    public init(_ request: VpcConfigRequest) {
        subnetIds = request.subnetIds ?? []
        securityGroupIds = request.securityGroupIds ?? []
        vpcId = subnetIds.isEmpty ? "" : Self.lambentVPC
        ipv6AllowedForDualStack = request.ipv6AllowedForDualStack ?? false
    }

    enum CodingKeys: String, CodingKey {
        case subnetIds = "SubnetIds", securityGroupIds = "SecurityGroupIds", vpcId = "VpcId"
        case ipv6AllowedForDualStack = "Ipv6AllowedForDualStack"
    }
}

/// `SnapStart` in a response (Lambent reports it off).
public struct SnapStartResponse: Codable, Sendable, Equatable {
    public var applyOn: String
    public var optimizationStatus: String
    enum CodingKeys: String, CodingKey { case applyOn = "ApplyOn", optimizationStatus = "OptimizationStatus" }
}

/// `RuntimeVersionConfig`.
public struct RuntimeVersionConfig: Codable, Sendable, Equatable {
    public var runtimeVersionArn: String
    public init(runtimeVersionArn: String) { self.runtimeVersionArn = runtimeVersionArn }
    enum CodingKeys: String, CodingKey { case runtimeVersionArn = "RuntimeVersionArn" }
}

/// `LoggingConfig`: the log group, and the format: `Text`, or `JSON`, which has the two levels.
public struct LoggingConfig: Codable, Sendable, Equatable {
    public var logFormat: String
    public var logGroup: String
    /// The runtime's level for the function's own logs (`JSON` only): TRACE, DEBUG, INFO, WARN, ERROR, FATAL.
    public var applicationLogLevel: String?
    /// The level of Lambda's platform records (`JSON` only): DEBUG, INFO, WARN.
    public var systemLogLevel: String?

    public init(logFormat: String, logGroup: String, applicationLogLevel: String? = nil, systemLogLevel: String? = nil) {
        self.logFormat = logFormat
        self.logGroup = logGroup
        self.applicationLogLevel = applicationLogLevel
        self.systemLogLevel = systemLogLevel
    }

    enum CodingKeys: String, CodingKey {
        case logFormat = "LogFormat", logGroup = "LogGroup", applicationLogLevel = "ApplicationLogLevel", systemLogLevel = "SystemLogLevel"
    }

    public var isJSON: Bool { logFormat == "JSON" }

    /// This configuration changed by a request's members, as AWS merges them: members left out
    /// keep their values; `JSON` brings the levels (INFO by default) and `Text` drops them.
    public func applying(_ request: LoggingConfigRequest) -> LoggingConfig {
        var changed = self
        if let format = request.logFormat { changed.logFormat = format }
        if let group = request.logGroup { changed.logGroup = group }
        if changed.isJSON {
            changed.applicationLogLevel = request.applicationLogLevel ?? applicationLogLevel ?? "INFO"
            changed.systemLogLevel = request.systemLogLevel ?? systemLogLevel ?? "INFO"
        } else {
            changed.applicationLogLevel = nil
            changed.systemLogLevel = nil
        }
        return changed
    }
}

/// `LoggingConfig` as a request gives it: any member may be left out.
public struct LoggingConfigRequest: Codable, Sendable, Equatable {
    public var logFormat: String?
    public var logGroup: String?
    public var applicationLogLevel: String?
    public var systemLogLevel: String?

    enum CodingKeys: String, CodingKey {
        case logFormat = "LogFormat", logGroup = "LogGroup", applicationLogLevel = "ApplicationLogLevel", systemLogLevel = "SystemLogLevel"
    }
}

extension FunctionConfiguration {
    /// The function and version this configuration describes.
    public var versionID: FunctionVersionID {
        FunctionVersionID(functionName: functionName, version: FunctionVersion(version))
    }
}
