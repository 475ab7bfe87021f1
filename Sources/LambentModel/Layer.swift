/// A published layer version as `GetLayerVersion` and `PublishLayerVersion` answer it: a zip
/// of libraries, runtimes or data that functions list in `Layers` and see under /opt.
public struct LayerVersion: Codable, Sendable, Equatable {
    public var content: LayerVersionContent
    public var layerArn: String
    public var layerVersionArn: String
    public var description: String
    public var createdDate: String
    public var version: Int
    public var compatibleRuntimes: [String]?
    public var licenseInfo: String?
    public var compatibleArchitectures: [String]?

    public init(content: LayerVersionContent, layerArn: String, layerVersionArn: String, description: String,
                createdDate: String, version: Int, compatibleRuntimes: [String]?, licenseInfo: String?,
                compatibleArchitectures: [String]?) {
        self.content = content
        self.layerArn = layerArn
        self.layerVersionArn = layerVersionArn
        self.description = description
        self.createdDate = createdDate
        self.version = version
        self.compatibleRuntimes = compatibleRuntimes
        self.licenseInfo = licenseInfo
        self.compatibleArchitectures = compatibleArchitectures
    }

    enum CodingKeys: String, CodingKey {
        case content = "Content", layerArn = "LayerArn", layerVersionArn = "LayerVersionArn"
        case description = "Description", createdDate = "CreatedDate", version = "Version"
        case compatibleRuntimes = "CompatibleRuntimes", licenseInfo = "LicenseInfo"
        case compatibleArchitectures = "CompatibleArchitectures"
    }

    /// The shape `ListLayerVersions` and `ListLayers` answer with: everything but `Content`
    /// and `LayerArn`.
    public var listed: LayerVersionListItem {
        LayerVersionListItem(layerVersionArn: layerVersionArn, version: version, description: description,
                             createdDate: createdDate, compatibleRuntimes: compatibleRuntimes,
                             licenseInfo: licenseInfo, compatibleArchitectures: compatibleArchitectures)
    }

    /// Whether `ListLayers`/`ListLayerVersions` filters keep this version: a filter matches
    /// only versions that name the runtime or architecture.
    public func matches(runtime: String?, architecture: String?) -> Bool {
        if let runtime, !(compatibleRuntimes ?? []).contains(runtime) { return false }
        if let architecture, !(compatibleArchitectures ?? []).contains(architecture) { return false }
        return true
    }
}

/// `Content` of a layer version. `Location` is filled in per answer (a short-lived URL).
public struct LayerVersionContent: Codable, Sendable, Equatable {
    public var location: String?
    public var codeSha256: String
    public var codeSize: Int

    public init(location: String? = nil, codeSha256: String, codeSize: Int) {
        self.location = location
        self.codeSha256 = codeSha256
        self.codeSize = codeSize
    }

    enum CodingKeys: String, CodingKey { case location = "Location", codeSha256 = "CodeSha256", codeSize = "CodeSize" }
}

/// `LayerVersionsListItem`.
public struct LayerVersionListItem: Codable, Sendable, Equatable {
    public var layerVersionArn: String
    public var version: Int
    public var description: String
    public var createdDate: String
    public var compatibleRuntimes: [String]?
    public var licenseInfo: String?
    public var compatibleArchitectures: [String]?

    enum CodingKeys: String, CodingKey {
        case layerVersionArn = "LayerVersionArn", version = "Version", description = "Description"
        case createdDate = "CreatedDate", compatibleRuntimes = "CompatibleRuntimes", licenseInfo = "LicenseInfo"
        case compatibleArchitectures = "CompatibleArchitectures"
    }
}

/// `LayersListItem`: a layer and its newest version that matches the filters.
public struct LayersListItem: Codable, Sendable, Equatable {
    public var layerName: String
    public var layerArn: String
    public var latestMatchingVersion: LayerVersionListItem

    public init(layerName: String, layerArn: String, latestMatchingVersion: LayerVersionListItem) {
        self.layerName = layerName
        self.layerArn = layerArn
        self.latestMatchingVersion = latestMatchingVersion
    }

    enum CodingKeys: String, CodingKey {
        case layerName = "LayerName", layerArn = "LayerArn", latestMatchingVersion = "LatestMatchingVersion"
    }
}

/// A layer as a function lists it (`FunctionConfiguration.Layers`).
public struct FunctionLayer: Codable, Sendable, Equatable {
    public var arn: String
    public var codeSize: Int

    public init(arn: String, codeSize: Int) {
        self.arn = arn
        self.codeSize = codeSize
    }

    enum CodingKeys: String, CodingKey { case arn = "Arn", codeSize = "CodeSize" }
}

/// The body of `PublishLayerVersion`.
public struct PublishLayerVersionRequest: Decodable, Sendable {
    public var description: String?
    public var content: FunctionCode?
    public var compatibleRuntimes: [String]?
    public var licenseInfo: String?
    public var compatibleArchitectures: [String]?

    enum CodingKeys: String, CodingKey {
        case description = "Description", content = "Content", compatibleRuntimes = "CompatibleRuntimes"
        case licenseInfo = "LicenseInfo", compatibleArchitectures = "CompatibleArchitectures"
    }
}

/// A layer version ARN taken apart: `arn:aws:lambda:<region>:<account>:layer:<name>:<version>`.
public struct LayerVersionReference: Sendable, Equatable {
    public var region: String
    public var accountID: String
    public var layerName: String
    public var version: Int

    /// Layer names: letters, digits, `-` and `_`, 1 to 140 characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 140 && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// Parses a layer version ARN; nil when `arn` is not one.
    public init?(parsing arn: String) {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "lambda", parts[5] == "layer",
              Self.isValidName(parts[6]), let version = Int(parts[7]), version > 0, !parts[3].isEmpty,
              parts[4].count == 12, parts[4].allSatisfy(\.isNumber) else { return nil }
        region = parts[3]
        accountID = parts[4]
        layerName = parts[6]
        self.version = version
    }
}
