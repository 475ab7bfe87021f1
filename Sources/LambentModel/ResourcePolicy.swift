import Foundation

/// A resource-based policy (a function's, a version's, an alias's or a layer version's):
/// statements that allow principals to act on the resource, in the order they were added.
///
/// `document` renders it exactly as `GetPolicy` answers; `allows` is the one place that
/// decides whether a request is permitted, for the triggers and Function URLs to call.
public struct ResourcePolicy: Codable, Sendable, Equatable {
    public var revisionId: String
    public var statements: [PolicyStatement]

    public init(revisionId: String, statements: [PolicyStatement]) {
        self.revisionId = revisionId
        self.statements = statements
    }

    /// The policy document as AWS formats it: `{"Version":"2012-10-17","Id":"default","Statement":[…]}`.
    public var document: String {
        "{\"Version\":\"2012-10-17\",\"Id\":\"default\",\"Statement\":[" + statements.map(\.json).joined(separator: ",") + "]}"
    }

    /// Whether some statement allows `request`. With no statement, nothing is allowed.
    public func allows(_ request: PolicyRequest) -> Bool {
        statements.contains { $0.allows(request) }
    }
}

/// What a policy is asked about: who (a service or an IAM ARN), doing what, on whose behalf.
public struct PolicyRequest: Sendable, Equatable {
    public enum Caller: Sendable, Equatable {
        /// An AWS service, e.g. `s3.amazonaws.com`.
        case service(String)
        /// An IAM principal's ARN, e.g. `arn:aws:iam::123456789012:user/alice`.
        case iam(arn: String)
        /// An unauthenticated caller (a Function URL with `AuthType: NONE`).
        case anonymous
    }

    public var caller: Caller
    /// e.g. `lambda:InvokeFunction`, `lambda:InvokeFunctionUrl`.
    public var action: String
    public var sourceArn: String?
    public var sourceAccount: String?
    public var functionUrlAuthType: String?
    public var eventSourceToken: String?
    public var principalOrgID: String?
    /// `lambda:InvokedViaFunctionUrl`: the invocation comes through a function URL.
    public var invokedViaFunctionUrl: Bool

    public init(caller: Caller, action: String, sourceArn: String? = nil, sourceAccount: String? = nil,
                functionUrlAuthType: String? = nil, eventSourceToken: String? = nil, principalOrgID: String? = nil,
                invokedViaFunctionUrl: Bool = false) {
        self.invokedViaFunctionUrl = invokedViaFunctionUrl
        self.caller = caller
        self.action = action
        self.sourceArn = sourceArn
        self.sourceAccount = sourceAccount
        self.functionUrlAuthType = functionUrlAuthType
        self.eventSourceToken = eventSourceToken
        self.principalOrgID = principalOrgID
    }
}

/// One `Allow` statement.
public struct PolicyStatement: Codable, Sendable, Equatable {
    public enum Principal: Codable, Sendable, Equatable {
        case anyone
        case service(String)
        case aws(arn: String)
    }

    public var sid: String
    public var principal: Principal
    public var action: String
    public var resource: String
    /// `StringEquals` conditions, in AWS's order (`AWS:SourceAccount`, `lambda:FunctionUrlAuthType`,
    /// `aws:PrincipalOrgID`, `lambda:EventSourceToken`).
    public var stringEquals: [PolicyCondition]
    /// `ArnLike` on `AWS:SourceArn`.
    public var sourceArnLike: String?
    /// `Bool` on `lambda:InvokedViaFunctionUrl`.
    public var invokedViaFunctionUrl: Bool?

    public init(sid: String, principal: Principal, action: String, resource: String,
                stringEquals: [PolicyCondition] = [], sourceArnLike: String? = nil, invokedViaFunctionUrl: Bool? = nil) {
        self.invokedViaFunctionUrl = invokedViaFunctionUrl
        self.sid = sid
        self.principal = principal
        self.action = action
        self.resource = resource
        self.stringEquals = stringEquals
        self.sourceArnLike = sourceArnLike
    }

    /// The statement as AWS writes it, keys in AWS's order.
    public var json: String {
        var parts = ["\"Sid\":\(JSONText.quoted(sid))", "\"Effect\":\"Allow\""]
        switch principal {
        case .anyone: parts.append("\"Principal\":\"*\"")
        case .service(let name): parts.append("\"Principal\":{\"Service\":\(JSONText.quoted(name))}")
        case .aws(let arn): parts.append("\"Principal\":{\"AWS\":\(JSONText.quoted(arn))}")
        }
        parts.append("\"Action\":\(JSONText.quoted(action))")
        parts.append("\"Resource\":\(JSONText.quoted(resource))")
        var conditions: [String] = []
        if !stringEquals.isEmpty {
            conditions.append("\"StringEquals\":{" + stringEquals.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }.joined(separator: ",") + "}")
        }
        if let invokedViaFunctionUrl {
            conditions.append("\"Bool\":{\"lambda:InvokedViaFunctionUrl\":\"\(invokedViaFunctionUrl)\"}")
        }
        if let sourceArnLike {
            conditions.append("\"ArnLike\":{\"AWS:SourceArn\":\(JSONText.quoted(sourceArnLike))}")
        }
        if !conditions.isEmpty { parts.append("\"Condition\":{" + conditions.joined(separator: ",") + "}") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    func allows(_ request: PolicyRequest) -> Bool {
        guard Self.actionMatches(action, request.action), principalMatches(request.caller) else { return false }
        for condition in stringEquals {
            let actual: String?
            switch condition.key {
            case "AWS:SourceAccount": actual = request.sourceAccount
            case "lambda:FunctionUrlAuthType": actual = request.functionUrlAuthType
            case "aws:PrincipalOrgID": actual = request.principalOrgID
            case "lambda:EventSourceToken": actual = request.eventSourceToken
            default: actual = nil
            }
            guard actual == condition.value else { return false }
        }
        if let sourceArnLike {
            guard let sourceArn = request.sourceArn, Self.wildcardMatches(sourceArnLike, sourceArn) else { return false }
        }
        if let invokedViaFunctionUrl, invokedViaFunctionUrl != request.invokedViaFunctionUrl { return false }
        return true
    }

    private func principalMatches(_ caller: PolicyRequest.Caller) -> Bool {
        switch (principal, caller) {
        case (.anyone, _):
            return true
        case (.service(let name), .service(let callerName)):
            return name == callerName
        case (.aws(let arn), .iam(let callerARN)):
            // An account's root stands for every principal of that account.
            if arn.hasSuffix(":root"), let account = Self.accountID(ofARN: arn) {
                return Self.accountID(ofARN: callerARN) == account
            }
            return arn == callerARN
        default:
            return false
        }
    }

    public static func accountID(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count > 4 ? String(parts[4]) : nil
    }

    static func actionMatches(_ pattern: String, _ action: String) -> Bool {
        pattern == "*" || pattern == "lambda:*" || pattern.caseInsensitiveCompare(action) == .orderedSame
    }

    /// IAM's `*` (any run) and `?` (any one character) wildcards.
    static func wildcardMatches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern), text = Array(text)
        var p = 0, t = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// One `StringEquals` key and value.
public struct PolicyCondition: Codable, Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The body of `AddPermission`.
public struct AddPermissionRequest: Decodable, Sendable {
    public var statementId: String?
    public var action: String?
    public var principal: String?
    public var sourceArn: String?
    public var sourceAccount: String?
    public var eventSourceToken: String?
    public var qualifier: String?
    public var revisionId: String?
    public var principalOrgID: String?
    public var functionUrlAuthType: String?
    public var invokedViaFunctionUrl: Bool?

    enum CodingKeys: String, CodingKey {
        case statementId = "StatementId", action = "Action", principal = "Principal", sourceArn = "SourceArn"
        case sourceAccount = "SourceAccount", eventSourceToken = "EventSourceToken", qualifier = "Qualifier"
        case revisionId = "RevisionId", principalOrgID = "PrincipalOrgID", functionUrlAuthType = "FunctionUrlAuthType"
        case invokedViaFunctionUrl = "InvokedViaFunctionUrl"
    }
}

/// The body of `AddLayerVersionPermission`.
public struct AddLayerVersionPermissionRequest: Decodable, Sendable {
    public var statementId: String?
    public var action: String?
    public var principal: String?
    public var organizationId: String?
    public var revisionId: String?

    enum CodingKeys: String, CodingKey {
        case statementId = "StatementId", action = "Action", principal = "Principal"
        case organizationId = "OrganizationId", revisionId = "RevisionId"
    }
}
