/// `ImageConfig`: what a container-image function overrides of its image's settings.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var entryPoint: [String]?
    public var command: [String]?
    public var workingDirectory: String?

    public init(entryPoint: [String]? = nil, command: [String]? = nil, workingDirectory: String? = nil) {
        self.entryPoint = entryPoint
        self.command = command
        self.workingDirectory = workingDirectory
    }

    enum CodingKeys: String, CodingKey {
        case entryPoint = "EntryPoint", command = "Command", workingDirectory = "WorkingDirectory"
    }

    /// Whether it overrides nothing (AWS then answers without `ImageConfigResponse`).
    public var isEmpty: Bool { entryPoint == nil && command == nil && workingDirectory == nil }
}

/// `ImageConfigResponse` of a function's configuration.
public struct ImageConfigResponse: Codable, Sendable, Equatable {
    public var imageConfig: ImageConfig?

    public init(imageConfig: ImageConfig?) {
        self.imageConfig = imageConfig
    }

    enum CodingKeys: String, CodingKey { case imageConfig = "ImageConfig" }
}

/// A container image a function runs: what the image says about itself, read when it was
/// pulled, and where it came from.
public struct FunctionImage: Codable, Sendable, Equatable {
    /// The `ImageUri` as given (`registry/repository:tag`).
    public var imageUri: String
    /// The image pinned by digest (`registry/repository@sha256:…`).
    public var resolvedImageUri: String
    /// `sha256:…` of the manifest.
    public var digest: String
    public var entryPoint: [String]
    public var command: [String]
    public var workingDirectory: String
    /// The image's `ENV`, as `NAME=value`.
    public var environment: [String]

    public init(imageUri: String, resolvedImageUri: String, digest: String, entryPoint: [String], command: [String],
                workingDirectory: String, environment: [String]) {
        self.imageUri = imageUri
        self.resolvedImageUri = resolvedImageUri
        self.digest = digest
        self.entryPoint = entryPoint
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
    }

    /// The process a function with `overrides` starts: ENTRYPOINT then CMD, each replaced by
    /// the function's `ImageConfig` where it sets one, as Lambda does.
    public func launch(with overrides: ImageConfig?) -> (command: [String], workingDirectory: String) {
        let entryPoint = overrides?.entryPoint ?? self.entryPoint
        let command = overrides?.command ?? self.command
        let directory = overrides?.workingDirectory ?? (workingDirectory.isEmpty ? "/" : workingDirectory)
        return (entryPoint + command, directory)
    }

    /// The image's variables as a dictionary (the first of a repeated name wins, as in Docker).
    public var variables: [String: String] {
        var result: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let name = String(entry[..<equals])
            if result[name] == nil { result[name] = String(entry[entry.index(after: equals)...]) }
        }
        return result
    }
}
