import Foundation
import LambentModel
import LambentStore

/// Resource-based policies: `AddPermission`, `RemovePermission`, `GetPolicy` on a function, a
/// version or an alias (each has its own), and the same for layer versions. `permits` is the
/// one place that evaluates them.
extension FunctionService {
    /// What a qualifier names, once checked to exist.
    struct QualifiedName {
        var functionName: String
        /// nil for the unqualified function (`$LATEST`).
        var qualifier: String?
        var arn: String
        /// The RevisionId of what the qualifier names (the version's or the alias's).
        var revisionId: String
    }

    /// Resolves `reference` and `qualifier` to the function, version or alias they name,
    /// with AWS's messages: an all-digit qualifier (or one with `$`) is a version, anything
    /// else an alias, even when the function itself is missing.
    func qualifiedName(_ reference: String, qualifier explicit: String?) async throws -> QualifiedName {
        let parsed = try localReference(reference)
        if let explicit, let inName = parsed.qualifier, explicit != inName {
            throw LambdaError.invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
        }
        let qualifier = explicit ?? parsed.qualifier
        let name = parsed.name
        let arn = names.functionARN(name, qualifier: qualifier)
        switch qualifier {
        case nil, FunctionVersion.latest.rawValue?:
            guard let record = try await cachedFunction(FunctionVersionID(functionName: name)) else {
                throw LambdaError.functionNotFound(arn: arn)
            }
            return QualifiedName(functionName: name, qualifier: qualifier, arn: arn, revisionId: record.configuration.revisionId)
        case let version? where Self.isVersionNumber(version) || version.contains("$"):
            guard let record = try await cachedFunction(FunctionVersionID(functionName: name, version: FunctionVersion(version))) else {
                throw LambdaError.functionNotFound(arn: arn)
            }
            return QualifiedName(functionName: name, qualifier: version, arn: arn, revisionId: record.configuration.revisionId)
        case let alias?:
            guard let found = try await cachedAlias(AliasID(functionName: name, name: alias)) else {
                throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "Cannot find alias arn: \(arn)")
            }
            return QualifiedName(functionName: name, qualifier: alias, arn: arn, revisionId: found.revisionId)
        }
    }

    // MARK: Function policies

    public func addPermission(_ reference: String, qualifier: String?, _ request: AddPermissionRequest) async throws -> String {
        guard let sid = request.statementId else { throw missing("StatementId") }
        guard let action = request.action else { throw missing("Action") }
        guard let principal = request.principal else { throw missing("Principal") }
        try PolicyRules.statementID(sid)
        try PolicyRules.action(action)
        let qualifier = qualifier ?? request.qualifier
        if let qualifier { try PolicyRules.qualifier(qualifier) }
        if (qualifier ?? (try? FunctionReference(parsing: reference))?.qualifier) == FunctionVersion.latest.rawValue {
            throw LambdaError.invalidParameter("We currently do not support adding policies for $LATEST.")
        }
        let statementPrincipal = try PolicyRules.principal(principal)
        if let account = request.sourceAccount { try PolicyRules.sourceAccount(account) }
        if let type = request.functionUrlAuthType, !["NONE", "AWS_IAM"].contains(type) {
            throw LambdaError.validation(value: type, field: "functionUrlAuthType",
                                         constraint: "Member must satisfy enum value set: [AWS_IAM, NONE]")
        }
        let target = try await qualifiedName(reference, qualifier: qualifier)
        var conditions: [PolicyCondition] = []
        if let account = request.sourceAccount { conditions.append(PolicyCondition(key: "AWS:SourceAccount", value: account)) }
        if let type = request.functionUrlAuthType { conditions.append(PolicyCondition(key: "lambda:FunctionUrlAuthType", value: type)) }
        if let org = request.principalOrgID { conditions.append(PolicyCondition(key: "aws:PrincipalOrgID", value: org)) }
        if let token = request.eventSourceToken { conditions.append(PolicyCondition(key: "lambda:EventSourceToken", value: token)) }
        let statement = PolicyStatement(sid: sid, principal: statementPrincipal, action: action, resource: target.arn,
                                        stringEquals: conditions, sourceArnLike: request.sourceArn,
                                        invokedViaFunctionUrl: request.invokedViaFunctionUrl == true ? true : nil)
        let expected = request.revisionId
        let targetRevision = target.revisionId
        try await updatePolicy(of: target) { current in
            // The precondition is the policy's RevisionId, or the function's (alias's) as read
            // before the policy had any statement.
            if let expected, expected != current?.revisionId, expected != targetRevision { throw PolicyRules.revisionMismatch }
            return try PolicyRules.adding(statement, to: current, revision: Self.newRevision())
        }
        logger.info("permission added", metadata: ["lambent.function": "\(target.functionName)", "lambent.statement": "\(sid)"])
        return statement.json
    }

    public func removePermission(_ reference: String, qualifier: String?, statementID: String, revisionId: String?) async throws {
        let target: QualifiedName
        do {
            target = try await qualifiedName(reference, qualifier: qualifier)
        } catch let error as LambdaError where error.message.hasPrefix("Function not found") && qualifier == nil {
            let name = (try? FunctionReference(parsing: reference))?.name ?? reference
            throw LambdaError(status: 404, type: "ResourceNotFoundException", message: "No policy found for: \(names.functionARN(name))")
        }
        try await updatePolicy(of: target) { current in
            if let revisionId, let current, revisionId != current.revisionId { throw PolicyRules.revisionMismatch }
            return try PolicyRules.removing(statementID, from: current, revision: Self.newRevision())
        }
    }

    public func policy(_ reference: String, qualifier: String?) async throws -> ResourcePolicy {
        let notFound = LambdaError(status: 404, type: "ResourceNotFoundException", message: "The resource you requested does not exist.")
        let target: QualifiedName
        do {
            target = try await qualifiedName(reference, qualifier: qualifier)
        } catch let error as LambdaError where error.status == 404 {
            throw notFound
        }
        guard let policy = try await store.setting(.policy, of: FunctionSettingID(functionName: target.functionName, qualifier: target.qualifier),
                                                   as: ResourcePolicy.self) else { throw notFound }
        return policy
    }

    /// Whether the policy of `functionName` (at `qualifier`: a version or alias; nil for the
    /// unqualified function) allows `request`. The one place policies are evaluated.
    public func permits(_ request: PolicyRequest, functionName: String, qualifier: String?) async throws -> Bool {
        let qualifier = qualifier == FunctionVersion.latest.rawValue ? nil : qualifier
        let id = FunctionSettingID(functionName: functionName, qualifier: qualifier)
        let (cached, generation) = policyCache.lookup(id)
        if let cached { return cached.policy?.allows(request) ?? false }
        let policy = try await store.setting(.policy, of: id, as: ResourcePolicy.self)
        policyCache.fill(CachedPolicy(policy: policy), for: id, readAt: generation)
        return policy?.allows(request) ?? false
    }

    private func updatePolicy(of target: QualifiedName, _ change: @escaping @Sendable (ResourcePolicy?) throws -> ResourcePolicy?) async throws {
        let id = FunctionSettingID(functionName: target.functionName,
                                   qualifier: target.qualifier == FunctionVersion.latest.rawValue ? nil : target.qualifier)
        do {
            _ = try await store.updateSetting(.policy, of: id, change)
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
        policyCache.changed(id, to: nil)
    }

    // MARK: Layer version policies

    public func addLayerVersionPermission(_ layerName: String, version: String, _ request: AddLayerVersionPermissionRequest)
        async throws -> (statement: String, revisionId: String) {
        guard let sid = request.statementId else { throw missing("StatementId") }
        guard let action = request.action else { throw missing("Action") }
        guard let principal = request.principal else { throw missing("Principal") }
        try PolicyRules.statementID(sid)
        if action != "lambda:GetLayerVersion" {
            throw LambdaError.validation(value: action, field: "action", constraint: "Member must satisfy regular expression pattern: lambda:GetLayerVersion")
        }
        let statementPrincipal: PolicyStatement.Principal
        if principal == "*" {
            statementPrincipal = .anyone
        } else if PolicyRules.isAccountID(principal) {
            statementPrincipal = .aws(arn: "arn:aws:iam::\(principal):root")
        } else if principal.hasPrefix("arn:aws"), principal.hasSuffix(":root"), PolicyRules.isAccountID(PolicyStatement.accountID(ofARN: principal) ?? "") {
            statementPrincipal = .aws(arn: principal)
        } else {
            throw LambdaError.validation(value: principal, field: "principal",
                                         constraint: #"Member must satisfy regular expression pattern: \d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root"#)
        }
        let number = try LayerRules.versionNumber(version)
        let arn = names.layerVersionARN(layerName, version: number)
        let statement = PolicyStatement(
            sid: sid, principal: statementPrincipal, action: action, resource: arn,
            stringEquals: request.organizationId.map { [PolicyCondition(key: "aws:PrincipalOrgID", value: $0)] } ?? [])
        let expected = request.revisionId
        let newRevision = Self.newRevision()
        let updated = try await store.updateLayerVersion(layerName, version: number) { record in
            var record = record
            if let expected, expected != record.policy?.revisionId { throw PolicyRules.layerRevisionMismatch }
            record.policy = try PolicyRules.adding(statement, to: record.policy, revision: newRevision)
            return record
        }
        guard updated != nil else { throw PolicyRules.layerVersionNotFound(arn) }
        return (statement.json, newRevision)
    }

    public func removeLayerVersionPermission(_ layerName: String, version: String, statementID: String, revisionId: String?) async throws {
        let number = try LayerRules.versionNumber(version)
        let arn = names.layerVersionARN(layerName, version: number)
        let newRevision = Self.newRevision()
        let updated = try await store.updateLayerVersion(layerName, version: number) { record in
            var record = record
            if let revisionId, let policy = record.policy, revisionId != policy.revisionId { throw PolicyRules.layerRevisionMismatch }
            record.policy = try PolicyRules.removing(statementID, from: record.policy, revision: newRevision)
            return record
        }
        guard updated != nil else { throw PolicyRules.layerVersionNotFound(arn) }
    }

    public func layerVersionPolicy(_ layerName: String, version: String) async throws -> ResourcePolicy {
        let number = try LayerRules.versionNumber(version)
        guard let record = try await store.layerVersion(layerName, version: number) else {
            throw PolicyRules.layerVersionNotFound(names.layerVersionARN(layerName, version: number))
        }
        guard let policy = record.policy else { throw PolicyRules.noPolicy }
        return policy
    }
}

/// What AWS checks of permission requests, with its words.
enum PolicyRules {
    static let revisionMismatch = LambdaError(
        status: 412, type: "PreconditionFailedException",
        message: "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
    static let layerRevisionMismatch = LambdaError(
        status: 412, type: "PreconditionFailedException",
        message: "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
    static let noPolicy = LambdaError(status: 404, type: "ResourceNotFoundException", message: "No policy is associated with the given resource.")

    static func statementExists(_ sid: String) -> LambdaError {
        LambdaError(status: 409, type: "ResourceConflictException",
                    message: "The statement id (\(sid)) provided already exists. Please provide a new statement id, or remove the existing statement.")
    }

    static func statementNotFound(_ sid: String) -> LambdaError {
        LambdaError(status: 404, type: "ResourceNotFoundException", message: "Statement \(sid) is not found in resource policy.")
    }

    static func layerVersionNotFound(_ arn: String) -> LambdaError {
        LambdaError(status: 404, type: "ResourceNotFoundException", message: "Layer version \(arn) does not exist.")
    }

    /// `current` with `statement` appended under a new revision; a statement id may appear once.
    static func adding(_ statement: PolicyStatement, to current: ResourcePolicy?, revision: String) throws -> ResourcePolicy {
        var policy = current ?? ResourcePolicy(revisionId: revision, statements: [])
        if policy.statements.contains(where: { $0.sid == statement.sid }) { throw statementExists(statement.sid) }
        policy.statements.append(statement)
        policy.revisionId = revision
        return policy
    }

    /// `current` without statement `sid` under a new revision; nil when no statement is left.
    static func removing(_ sid: String, from current: ResourcePolicy?, revision: String) throws -> ResourcePolicy? {
        guard var policy = current else { throw noPolicy }
        guard let index = policy.statements.firstIndex(where: { $0.sid == sid }) else { throw statementNotFound(sid) }
        policy.statements.remove(at: index)
        policy.revisionId = revision
        return policy.statements.isEmpty ? nil : policy
    }

    static func statementID(_ sid: String) throws {
        let valid = !sid.isEmpty && sid.utf8.count <= 100 && sid.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
        }
        if !valid {
            throw LambdaError.validation(value: sid, field: "statementId", constraint: "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
        }
    }

    static func action(_ action: String) throws {
        let rest = action.hasPrefix("lambda:") ? action.dropFirst("lambda:".count) : nil
        let valid = action == "*" || rest == "*" || (rest.map { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLetter } } ?? false)
        if !valid {
            throw LambdaError.validation(value: action, field: "action",
                                         constraint: "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
        }
    }

    static func qualifier(_ qualifier: String) throws {
        let valid = qualifier == "$LATEST" || qualifier == "$LATEST.PUBLISHED" || (!qualifier.isEmpty && qualifier.utf8.count <= 128
            && qualifier.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_$".unicodeScalars.contains($0)) })
        if !valid {
            throw LambdaError.validation(value: qualifier, field: "qualifier",
                                         constraint: #"Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"#)
        }
    }

    static func sourceAccount(_ account: String) throws {
        if !isAccountID(account) {
            throw LambdaError.validation(value: account, field: "sourceAccount", constraint: #"Member must satisfy regular expression pattern: \d{12}"#)
        }
    }

    static func isAccountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// `*`, a service (`….amazonaws.com`, `….amazon.com`), an account id or an IAM ARN.
    static func principal(_ principal: String) throws -> PolicyStatement.Principal {
        if principal == "*" { return .anyone }
        if isAccountID(principal) { return .aws(arn: "arn:aws:iam::\(principal):root") }
        if principal.hasPrefix("arn:aws"), principal.split(separator: ":", omittingEmptySubsequences: false).count >= 6,
           principal.contains(":iam::") || principal.contains(":sts::") {
            return .aws(arn: principal)
        }
        let serviceSuffixes = [".amazonaws.com", ".amazon.com", ".amazonaws.com.cn"]
        if serviceSuffixes.contains(where: { principal.hasSuffix($0) && principal.count > $0.count }),
           !principal.contains(where: \.isWhitespace) {
            return .service(principal)
        }
        throw LambdaError.invalidParameter("The provided principal was invalid. Please check the principal and try again.")
    }
}
