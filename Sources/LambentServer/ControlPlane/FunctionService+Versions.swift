import Foundation
import LambentModel
import LambentStore

/// Versions: immutable snapshots of `$LATEST`'s code and configuration, numbered from 1 and
/// never renumbered.
extension FunctionService {
    /// `PublishVersion`: snapshots `$LATEST` as the next version, or answers with the last
    /// version when nothing changed since it was published (as AWS does).
    public func publishVersion(_ reference: String, _ request: PublishVersionRequest) async throws -> FunctionConfiguration {
        let latest = try await latestFunction(reference)
        return try await publish(latest.name, request)
    }

    func publish(_ name: String, _ request: PublishVersionRequest) async throws -> FunctionConfiguration {
        guard let latest = try await store.function(named: name) else {
            throw LambdaError.functionNotFound(arn: names.functionARN(name))
        }
        if let sha = request.codeSha256, sha != latest.configuration.codeSha256 {
            throw LambdaError.invalidParameter(
                "CodeSHA256 (\(sha)) is different from current CodeSHA256 in $LATEST (\(latest.configuration.codeSha256)). Please try again with the CodeSHA256 in $LATEST.")
        }
        if let revision = request.revisionId, revision != latest.configuration.revisionId { throw LambdaError.revisionMismatch }
        // Nothing changed since the last publish (and that version still exists): answer with it.
        if let last = latest.lastPublishedVersion, latest.publishedRevision == latest.configuration.revisionId,
           let previous = try await store.function(FunctionVersionID(functionName: name, version: FunctionVersion(String(last)))) {
            return previous.configuration
        }

        // Take the next number and give $LATEST a new RevisionId in one transaction.
        let latestRevision = Self.newRevision()
        let numbered = try await store.updateFunction(named: name) { old in
            if let revision = request.revisionId, revision != old.configuration.revisionId { throw LambdaError.revisionMismatch }
            var new = old
            new.lastPublishedVersion = (old.lastPublishedVersion ?? 0) + 1
            new.configuration.revisionId = latestRevision
            new.publishedRevision = latestRevision
            return new
        }
        guard let numbered, let number = numbered.lastPublishedVersion else {
            throw LambdaError.functionNotFound(arn: names.functionARN(name))
        }
        var version = numbered
        version.configuration.version = String(number)
        version.configuration.functionArn = names.functionARN(name, qualifier: String(number))
        version.configuration.revisionId = Self.newRevision()
        version.configuration.lastModified = LambdaTimestamp.format(Date())
        version.configuration.description = request.description ?? numbered.configuration.description
        version.configuration.state = .active
        version.configuration.lastUpdateStatus = .successful
        guard try await store.insertVersion(version) else {
            throw LambdaError.service("version \(number) of \(name) exists already")
        }
        cache.changed(numbered.configuration.versionID, to: numbered)
        cache.changed(version.configuration.versionID, to: version)
        // $LATEST's environments belong to its previous RevisionId.
        changes.functionChanged(numbered.configuration.versionID, revisionID: latestRevision)
        logger.info("version published", metadata: ["lambent.function": "\(name)", "lambent.version": "\(number)"])
        return version.configuration
    }

    /// `ListVersionsByFunction`: `$LATEST` (with its qualified ARN), then each version by number.
    public func listVersions(_ reference: String, marker: String?, maxItems: Int?) async throws
        -> (versions: [FunctionConfiguration], nextMarker: String?) {
        let latest = try await latestFunction(reference)
        // At most 50 a page, whatever MaxItems says (the service model's documentation).
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        let records = try await store.listVersions(of: latest.name, after: request.after.map(FunctionVersion.init), limit: request.limit + 1)
        let page = records.prefix(request.limit)
        let next = PageRequest.marker(after: page.last?.configuration.version, more: records.count > request.limit)
        let versions = page.map { record -> FunctionConfiguration in
            var listed = record.configuration.listed
            if record.configuration.versionID.version.isLatest {
                listed.functionArn = names.functionARN(record.name, qualifier: FunctionVersion.latest.rawValue)
            }
            return listed
        }
        return (versions, next)
    }

    /// `DeleteFunction` with a qualifier, as AWS answers it: aliases are refused (whether or not
    /// the function exists), a missing function is named without the qualifier, and a version
    /// that is not there is already deleted (idempotent, as recorded).
    func deleteVersion(_ name: String, qualifier: String) async throws {
        if !Self.isVersionNumber(qualifier), !qualifier.contains("$") {
            throw LambdaError.invalidParameter("Deletion of aliases is not currently supported.")
        }
        let notFound = LambdaError.functionNotFound(arn: names.functionARN(name))
        guard try await cachedFunction(FunctionVersionID(functionName: name)) != nil, Self.isVersionNumber(qualifier) else { throw notFound }
        let id = FunctionVersionID(functionName: name, version: FunctionVersion(qualifier))
        guard try await store.function(id) != nil else { return }
        let routing = try await aliasesRouting(to: qualifier, function: name)
        if !routing.isEmpty {
            throw LambdaError(
                status: 409, type: "ResourceConflictException",
                message: "Unable to delete version because the following aliases reference it: [\(routing.joined(separator: ", "))]")
        }
        guard try await store.deleteVersion(id) != nil else { return }
        cache.changed(id, to: nil)
        changes.functionVersionDeleted(id)
        try await qualifierDeleted(function: name, qualifier: qualifier)
        logger.info("version deleted", metadata: ["lambent.function": "\(name)", "lambent.version": "\(qualifier)"])
    }
}
