/// An alias as the Lambda API returns it (`AliasConfiguration`): a name for one version of a
/// function, optionally sending a share of invocations to a second version.
public struct AliasConfiguration: Codable, Sendable, Equatable {
    public var aliasArn: String
    public var name: String
    public var functionVersion: String
    public var description: String
    public var revisionId: String
    public var routingConfig: AliasRoutingConfiguration?

    public init(aliasArn: String, name: String, functionVersion: String, description: String, revisionId: String,
                routingConfig: AliasRoutingConfiguration? = nil) {
        self.aliasArn = aliasArn
        self.name = name
        self.functionVersion = functionVersion
        self.description = description
        self.revisionId = revisionId
        self.routingConfig = routingConfig
    }

    enum CodingKeys: String, CodingKey {
        case aliasArn = "AliasArn", name = "Name", functionVersion = "FunctionVersion", description = "Description"
        case revisionId = "RevisionId", routingConfig = "RoutingConfig"
    }

    /// The version one invocation runs: the additional version with its weight's
    /// probability, else the alias's own. `draw` is uniform in [0, 1).
    public func pickVersion(draw: Double = Double.random(in: 0..<1)) -> String {
        if let (version, weight) = routingConfig?.additionalVersionWeights?.first, draw < weight {
            return version
        }
        return functionVersion
    }
}

/// `RoutingConfig`: at most one additional version and its weight in [0, 1].
public struct AliasRoutingConfiguration: Codable, Sendable, Equatable {
    public var additionalVersionWeights: [String: Double]?

    public init(additionalVersionWeights: [String: Double]?) {
        self.additionalVersionWeights = additionalVersionWeights
    }

    enum CodingKeys: String, CodingKey { case additionalVersionWeights = "AdditionalVersionWeights" }
}

/// `CreateAlias`'s body.
public struct CreateAliasRequest: Decodable, Sendable {
    public var name: String?
    public var functionVersion: String?
    public var description: String?
    public var routingConfig: AliasRoutingConfiguration?

    enum CodingKeys: String, CodingKey {
        case name = "Name", functionVersion = "FunctionVersion", description = "Description", routingConfig = "RoutingConfig"
    }
}

/// `UpdateAlias`'s body.
public struct UpdateAliasRequest: Decodable, Sendable {
    public var functionVersion: String?
    public var description: String?
    public var routingConfig: AliasRoutingConfiguration?
    public var revisionId: String?

    enum CodingKeys: String, CodingKey {
        case functionVersion = "FunctionVersion", description = "Description", routingConfig = "RoutingConfig"
        case revisionId = "RevisionId"
    }
}
