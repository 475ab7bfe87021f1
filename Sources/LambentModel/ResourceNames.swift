/// Builds the ARNs and names that Lambda derives from an account, region and function.
public struct ResourceNames: Sendable {
    public var region: String
    public var accountID: String

    public init(region: String, accountID: String) {
        self.region = region
        self.accountID = accountID
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    public func functionARN(_ name: String) -> String {
        "arn:aws:lambda:\(region):\(accountID):function:\(name)"
    }

    /// The ARN with a qualifier (version or alias) appended.
    public func functionARN(_ name: String, qualifier: String?) -> String {
        qualifier.map { "\(functionARN(name)):\($0)" } ?? functionARN(name)
    }

    /// `/aws/lambda/<name>`.
    public func logGroup(_ name: String) -> String { "/aws/lambda/\(name)" }

    /// `arn:aws:lambda:<region>:<account>:layer:<name>`.
    public func layerARN(_ name: String) -> String {
        "arn:aws:lambda:\(region):\(accountID):layer:\(name)"
    }

    /// `arn:aws:lambda:<region>:<account>:layer:<name>:<version>`.
    public func layerVersionARN(_ name: String, version: Int) -> String {
        "\(layerARN(name)):\(version)"
    }

    /// A runtime version ARN in AWS's shape for a runtime identifier.
    public func runtimeVersionARN(_ runtime: String) -> String {
        "arn:aws:lambda:\(region)::runtime:lambent-\(runtime)"
    }
}
