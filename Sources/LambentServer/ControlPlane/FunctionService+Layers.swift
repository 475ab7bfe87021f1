import Foundation
import LambentModel
import LambentStore

/// Layers: zips published as numbered, immutable versions, which functions list (at most 5)
/// and see merged, in order, at /opt.
extension FunctionService {
    // MARK: Layer versions

    public func publishLayerVersion(_ layerName: String, _ request: PublishLayerVersionRequest) async throws -> LayerVersionRecord {
        try LayerRules.name(layerName)
        try LayerRules.compatibility(runtimes: request.compatibleRuntimes, architectures: request.compatibleArchitectures)
        try FunctionValidation.description(request.description ?? "")
        guard let zip = request.content?.zipFile else {
            if request.content?.s3Bucket != nil {
                throw LambdaError.invalidParameter("Lambent accepts layer content as Content.ZipFile only (no S3 yet).")
            }
            throw LambdaError.invalidParameter("Please provide a source for layer content.")
        }
        let stored = try await code.store(zip)
        let unzipped = code.unzippedSize(of: stored.sha256Hex)
        let now = LambdaTimestamp.format(Date())
        let names = self.names
        let record = try await store.publishLayerVersion(layerName) { number in
            LayerVersionRecord(
                layer: LayerVersion(
                    content: LayerVersionContent(codeSha256: stored.sha256Base64, codeSize: stored.size),
                    layerArn: names.layerARN(layerName), layerVersionArn: names.layerVersionARN(layerName, version: number),
                    description: request.description ?? "", createdDate: now, version: number,
                    compatibleRuntimes: request.compatibleRuntimes, licenseInfo: request.licenseInfo,
                    compatibleArchitectures: request.compatibleArchitectures),
                layerName: layerName, codeKey: stored.sha256Hex, unzippedSize: unzipped)
        }
        logger.info("layer version published", metadata: ["lambent.layer": "\(layerName)", "lambent.version": "\(record.layer.version)"])
        return record
    }

    /// `GetLayerVersion`: the version, or AWS's 404.
    public func layerVersion(_ layerName: String, version: String) async throws -> LayerVersionRecord {
        let number = try LayerRules.versionNumber(version)
        guard let record = try await store.layerVersion(layerName, version: number) else {
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "The resource you requested does not exist.")
        }
        return record
    }

    /// `GetLayerVersionByArn`.
    public func layerVersion(arn: String) async throws -> LayerVersionRecord {
        guard LayerRules.isVersionARN(arn), let reference = LayerVersionReference(parsing: arn) else {
            throw LambdaError.validation(value: arn, field: "arn", constraint: "Member must satisfy regular expression pattern: \(LayerRules.versionARNPattern)")
        }
        guard reference.accountID == names.accountID, reference.region == names.region else {
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "The resource you requested does not exist.")
        }
        return try await layerVersion(reference.layerName, version: String(reference.version))
    }

    /// `ListLayerVersions`: newest first, filtered by runtime and architecture.
    public func listLayerVersions(
        _ layerName: String, runtime: String?, architecture: String?, marker: String?, maxItems: Int?
    ) async throws -> (versions: [LayerVersionListItem], nextMarker: String?) {
        try LayerRules.name(layerName)
        try LayerRules.filters(runtime: runtime, architecture: architecture)
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        let matching = try await store.listLayerVersions(layerName)
            .filter { $0.layer.matches(runtime: runtime, architecture: architecture) }
        // Newest first, so the page continues below the marker's version.
        let after = request.after.flatMap { Int($0) } ?? Int.max
        let rest = matching.filter { $0.layer.version < after }
        let page = rest.prefix(request.limit)
        return (page.map(\.layer.listed),
                PageRequest.marker(after: page.last.map { String($0.layer.version) }, more: rest.count > request.limit))
    }

    /// `ListLayers`: each layer with its newest version that matches the filters, by name.
    public func listLayers(
        runtime: String?, architecture: String?, marker: String?, maxItems: Int?
    ) async throws -> (layers: [LayersListItem], nextMarker: String?) {
        try LayerRules.filters(runtime: runtime, architecture: architecture)
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        var newest: [LayersListItem] = []
        for record in try await store.listLayerVersions(nil) where record.layer.matches(runtime: runtime, architecture: architecture) {
            if newest.last?.layerName == record.layerName { continue }
            newest.append(LayersListItem(layerName: record.layerName, layerArn: record.layer.layerArn,
                                         latestMatchingVersion: record.layer.listed))
        }
        let rest = newest.filter { $0.layerName > (request.after ?? "") }
        let page = rest.prefix(request.limit)
        return (Array(page), PageRequest.marker(after: page.last?.layerName, more: rest.count > request.limit))
    }

    /// `DeleteLayerVersion`: 204 even when there is no such version, as AWS answers. Functions
    /// that use it keep their /opt.
    public func deleteLayerVersion(_ layerName: String, version: String) async throws {
        let number = try LayerRules.versionNumber(version)
        if try await store.deleteLayerVersion(layerName, version: number) != nil {
            logger.info("layer version deleted", metadata: ["lambent.layer": "\(layerName)", "lambent.version": "\(number)"])
        }
    }

    // MARK: A function's layers

    /// Checks a function's `Layers` as AWS does and merges their contents into the tree its
    /// /opt will be. `codeKey` is the function's own code, which shares the 250 MB.
    func attachLayers(_ arns: [String], codeKey: String) async throws -> (layers: [FunctionLayer], key: String?) {
        if arns.isEmpty { return ([], nil) }
        let references = try checkLayerReferences(arns)
        var records: [LayerVersionRecord] = []
        for (arn, reference) in zip(arns, references) {
            guard reference.accountID == names.accountID,
                  let record = try await store.layerVersion(reference.layerName, version: reference.version) else {
                throw LambdaError.invalidParameter("Layer version \(arn) does not exist.")
            }
            records.append(record)
        }
        let functionSize = code.unzippedSize(of: codeKey)
        let total = records.reduce(functionSize) { $0 + $1.unzippedSize }
        if total > Limits.unzippedCodeBytes {
            throw LambdaError.invalidParameter(
                "Function code combined with layers exceeds the maximum allowed size of \(Limits.unzippedCodeBytes) bytes. The actual size is \(total) bytes.")
        }
        let key = try code.mergeLayers(records.map(\.codeKey), budget: Limits.unzippedCodeBytes - functionSize)
        return (records.map { FunctionLayer(arn: $0.layer.layerVersionArn, codeSize: $0.layer.content.codeSize) }, key)
    }

    /// What AWS checks of a function's layer ARNs before anything else of the function (even
    /// before its name is found taken): their shape, count, region and no layer twice.
    func checkLayerReferences(_ arns: [String]) throws -> [LayerVersionReference] {
        if arns.count > 5 { throw LambdaError.invalidParameter("Cannot reference more than 5 layers.") }
        var references: [LayerVersionReference] = []
        for arn in arns {
            guard arn.utf8.count <= 2048, LayerRules.isVersionARN(arn), let reference = LayerVersionReference(parsing: arn) else {
                throw LambdaError.validation(
                    value: "[\(arns.joined(separator: ", "))]", field: "layers",
                    constraint: "Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \(LayerRules.versionARNPattern), Member must not be null]")
            }
            references.append(reference)
        }
        if references.contains(where: { $0.region != names.region }) {
            throw LambdaError.invalidParameter("Layers are not in the same region as the function. Layers are expected to be in region \(names.region).")
        }
        for (index, reference) in references.enumerated() {
            if let earlier = references[..<index].firstIndex(where: { $0.layerName == reference.layerName && $0.accountID == reference.accountID }) {
                throw LambdaError.invalidParameter(
                    "Two different versions of the same layer are not allowed to be referenced in the same function. \(arns[earlier]) and \(arns[index]) are versions of the same layer.")
            }
        }
        return references
    }

}

/// What AWS checks of layer names, versions, ARNs and compatibility lists, with its words.
enum LayerRules {
    static let versionARNPattern =
        #"(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)"#
    private static let versionARN = try! NSRegularExpression(pattern: "^(?:\(versionARNPattern))$")

    static func isVersionARN(_ arn: String) -> Bool {
        versionARN.firstMatch(in: arn, range: NSRange(arn.startIndex..., in: arn)) != nil
    }

    static func name(_ name: String) throws {
        guard LayerVersionReference.isValidName(name) else {
            throw LambdaError.validation(value: name, field: "layerName",
                                         constraint: "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+")
        }
    }

    static func versionNumber(_ text: String) throws -> Int {
        guard let number = Int(text) else {
            throw LambdaError.validation(value: text, field: "versionNumber", constraint: "Member must not be null")
        }
        guard number >= 1 else { throw LambdaError.invalidParameter("Layer Version Cannot be less than 1") }
        return number
    }

    /// The runtimes `PublishLayerVersion` accepts, in the order AWS lists them.
    static let publishableRuntimes = [
        "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x", "java25",
        "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17",
        "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x", "provided.al2", "java8.al2",
    ]

    /// The runtimes the `CompatibleRuntime` filter accepts (every runtime Lambda ever had), in AWS's order.
    static let filterableRuntimes = [
        "ruby3.5", "ruby2.6", "dotnetcore1.0", "python3.7", "nodejs8.10", "nasa", "ruby2.7", "python2.7-greengrass",
        "dotnetcore2.0", "python3.8", "java21", "dotnet6", "dotnetcore2.1", "python3.9", "java11", "nodejs6.10", "provided",
        "dotnetcore3.1", "dotnet8", "java25", "java17", "nodejs", "nodejs4.3", "java8.al2", "go1.x", "dotnet10", "nodejs20.x",
        "go1.9", "byol", "nodejs10.x", "provided.al2023", "nodejs22.x", "python3.10", "java8", "nodejs12.x", "python3.11",
        "nodejs24.x", "nodejs8.x", "python3.12", "nodejs14.x", "nodejs8.9", "nodejs26.x", "python3.13", "python3.14",
        "nodejs16.x", "python3.15", "provided.al2", "nodejs4.3-edge", "nodejs18.x", "ruby3.2", "python3.4", "ruby3.3",
        "ruby3.4", "ruby2.5", "python3.6", "python2.7",
    ]

    static let architectures = ["x86_64", "arm64"]

    static func compatibility(runtimes: [String]?, architectures: [String]?) throws {
        var failures: [String] = []
        if let runtimes, runtimes.contains(where: { !publishableRuntimes.contains($0) && !filterableRuntimes.contains($0) }) {
            failures.append("Value '[\(runtimes.joined(separator: ", "))]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [\(publishableRuntimes.joined(separator: ", "))]")
        } else if let runtimes, runtimes.count > 15 {
            failures.append("Value '[\(runtimes.joined(separator: ", "))]' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15")
        }
        if let architectures, architectures.contains(where: { !Self.architectures.contains($0) }) {
            failures.append("Value '[\(architectures.joined(separator: ", "))]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
        } else if let architectures, architectures.count > 2 {
            failures.append("Value '[\(architectures.joined(separator: ", "))]' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to 2")
        }
        if !failures.isEmpty { throw LambdaError.validation(failures) }
    }

    static func filters(runtime: String?, architecture: String?) throws {
        var failures: [String] = []
        if let runtime, !filterableRuntimes.contains(runtime) {
            failures.append("Value '\(runtime)' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [\(filterableRuntimes.joined(separator: ", "))]")
        }
        if let architecture, !architectures.contains(architecture) {
            failures.append("Value '\(architecture)' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]")
        }
        if !failures.isEmpty { throw LambdaError.validation(failures) }
    }
}
