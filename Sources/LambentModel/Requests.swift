/// The body of `CreateFunction`. Fields Lambent does not implement yet are decoded so that
/// it can refuse them clearly instead of ignoring them.
public struct CreateFunctionRequest: Decodable, Sendable {
    public var functionName: String?
    public var runtime: String?
    public var role: String?
    public var handler: String?
    public var code: FunctionCode?
    public var description: String?
    public var timeout: Int?
    public var memorySize: Int?
    public var publish: Bool?
    public var packageType: String?
    public var environment: EnvironmentRequest?
    public var tags: [String: String]?
    public var layers: [String]?
    public var architectures: [String]?
    public var ephemeralStorage: EphemeralStorage?
    public var vpcConfig: VpcConfigRequest?
    public var deadLetterConfig: DeadLetterConfig?
    public var loggingConfig: LoggingConfigRequest?
    public var imageConfig: ImageConfig?
    public var tracingConfig: TracingConfigRequest?

    enum CodingKeys: String, CodingKey {
        case deadLetterConfig = "DeadLetterConfig", loggingConfig = "LoggingConfig", imageConfig = "ImageConfig"
        case functionName = "FunctionName", runtime = "Runtime", role = "Role", handler = "Handler"
        case code = "Code", description = "Description", timeout = "Timeout", memorySize = "MemorySize"
        case publish = "Publish", packageType = "PackageType", environment = "Environment", tags = "Tags"
        case layers = "Layers", architectures = "Architectures", ephemeralStorage = "EphemeralStorage"
        case vpcConfig = "VpcConfig", tracingConfig = "TracingConfig"
    }
}

/// `Code` of `CreateFunction`: only `ZipFile` (base64 in JSON) is supported so far.
public struct FunctionCode: Decodable, Sendable {
    /// The zip's bytes, decoded from base64.
    public var zipFile: [UInt8]?
    public var s3Bucket: String?
    public var imageUri: String?

    enum CodingKeys: String, CodingKey { case zipFile = "ZipFile", s3Bucket = "S3Bucket", imageUri = "ImageUri" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        zipFile = try container.decodeIfPresent(Base64Blob.self, forKey: .zipFile)?.bytes
        s3Bucket = try container.decodeIfPresent(String.self, forKey: .s3Bucket)
        imageUri = try container.decodeIfPresent(String.self, forKey: .imageUri)
    }
}

/// `VpcConfig` in a request.
public struct VpcConfigRequest: Decodable, Sendable, Equatable {
    public var subnetIds: [String]?
    public var securityGroupIds: [String]?
    public var ipv6AllowedForDualStack: Bool?

    public init(subnetIds: [String]? = nil, securityGroupIds: [String]? = nil, ipv6AllowedForDualStack: Bool? = nil) {
        self.subnetIds = subnetIds
        self.securityGroupIds = securityGroupIds
        self.ipv6AllowedForDualStack = ipv6AllowedForDualStack
    }

    enum CodingKeys: String, CodingKey {
        case subnetIds = "SubnetIds", securityGroupIds = "SecurityGroupIds"
        case ipv6AllowedForDualStack = "Ipv6AllowedForDualStack"
    }
}

/// `Environment` in a request.
public struct EnvironmentRequest: Decodable, Sendable {
    public var variables: [String: String]?
    enum CodingKeys: String, CodingKey { case variables = "Variables" }
}

/// The body of `UpdateFunctionConfiguration`.
public struct UpdateFunctionConfigurationRequest: Decodable, Sendable {
    public var role: String?
    public var handler: String?
    public var description: String?
    public var timeout: Int?
    public var memorySize: Int?
    public var environment: EnvironmentRequest?
    public var runtime: String?
    public var revisionId: String?
    public var layers: [String]?
    public var ephemeralStorage: EphemeralStorage?
    public var vpcConfig: VpcConfigRequest?
    public var deadLetterConfig: DeadLetterConfig?
    public var loggingConfig: LoggingConfigRequest?
    public var imageConfig: ImageConfig?
    public var tracingConfig: TracingConfigRequest?

    enum CodingKeys: String, CodingKey {
        case deadLetterConfig = "DeadLetterConfig", loggingConfig = "LoggingConfig", imageConfig = "ImageConfig"
        case role = "Role", handler = "Handler", description = "Description", timeout = "Timeout"
        case memorySize = "MemorySize", environment = "Environment", runtime = "Runtime"
        case revisionId = "RevisionId", layers = "Layers", ephemeralStorage = "EphemeralStorage"
        case vpcConfig = "VpcConfig", tracingConfig = "TracingConfig"
    }
}

/// The body of `UpdateFunctionCode`.
public struct UpdateFunctionCodeRequest: Decodable, Sendable {
    public var zipFile: [UInt8]?
    public var s3Bucket: String?
    public var imageUri: String?
    public var publish: Bool?
    public var dryRun: Bool?
    public var revisionId: String?
    public var architectures: [String]?

    enum CodingKeys: String, CodingKey {
        case zipFile = "ZipFile", s3Bucket = "S3Bucket", imageUri = "ImageUri", publish = "Publish"
        case dryRun = "DryRun", revisionId = "RevisionId", architectures = "Architectures"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        zipFile = try container.decodeIfPresent(Base64Blob.self, forKey: .zipFile)?.bytes
        s3Bucket = try container.decodeIfPresent(String.self, forKey: .s3Bucket)
        imageUri = try container.decodeIfPresent(String.self, forKey: .imageUri)
        publish = try container.decodeIfPresent(Bool.self, forKey: .publish)
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun)
        revisionId = try container.decodeIfPresent(String.self, forKey: .revisionId)
        architectures = try container.decodeIfPresent([String].self, forKey: .architectures)
    }
}

/// A base64 string in JSON decoded to bytes.
struct Base64Blob: Decodable {
    var bytes: [UInt8]
    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Base64.decode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid base64"))
        }
        self.bytes = bytes
    }
}

/// `PublishVersion`'s body: optional preconditions and the version's description.
public struct PublishVersionRequest: Decodable, Sendable {
    public var codeSha256: String?
    public var description: String?
    public var revisionId: String?

    public init(codeSha256: String? = nil, description: String? = nil, revisionId: String? = nil) {
        self.codeSha256 = codeSha256
        self.description = description
        self.revisionId = revisionId
    }

    enum CodingKeys: String, CodingKey {
        case codeSha256 = "CodeSha256", description = "Description", revisionId = "RevisionId"
    }
}

/// `TracingConfig` in CreateFunction and UpdateFunctionConfiguration: `Active` or `PassThrough`.
public struct TracingConfigRequest: Decodable, Sendable {
    public var mode: String?
    enum CodingKeys: String, CodingKey { case mode = "Mode" }
}
