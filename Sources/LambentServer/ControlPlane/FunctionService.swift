import Foundation
import LambentCode
import LambentModel
import LambentExecution
import LambentStore
import Logging

/// The control plane for functions: validates requests, stores code and records, and tells
/// the execution side (a `FunctionChangeListener`, the invoker) what changed. HTTP handlers
/// call one method each.
public struct FunctionService: Sendable {
    let store: any Store
    let code: CodeStore
    let images: ImageStore
    let names: ResourceNames
    /// Told of every change that affects running environments or concurrency.
    let changes: any FunctionChangeListener
    /// Keeps environments for provisioned concurrency.
    let provisioning: any ProvisionedConcurrencyProvider
    /// The account's concurrency limit (reservations must leave some of it unreserved).
    let accountConcurrencyLimit: Int
    let runnableRuntimes: [String]
    let logger: Logger
    let cache = FunctionCache()
    let aliasCache = AliasCache()
    /// Function URLs by id, for routing.
    let urls = FunctionUrlIndex()
    /// Resource policies by function and qualifier, so that a public URL call reads no database.
    let policyCache = PolicyCache()

    public init(store: any Store, blobs: BlobStore, codeRoot: URL, names: ResourceNames,
                changes: any FunctionChangeListener, provisioning: any ProvisionedConcurrencyProvider, accountConcurrencyLimit: Int,
                runnableRuntimes: [String], logger: Logger) {
        self.store = store
        self.code = CodeStore(blobs: blobs, codeRoot: codeRoot, logger: logger)
        self.images = ImageStore(codeRoot: codeRoot, logger: logger)
        self.names = names
        self.changes = changes
        self.provisioning = provisioning
        self.accountConcurrencyLimit = accountConcurrencyLimit
        self.runnableRuntimes = runnableRuntimes
        self.logger = logger
    }

    /// Where a code blob's unpacked tree lives.
    public func codeDirectory(for codeKey: String) -> URL {
        code.directory(for: codeKey)
    }

    /// Parses a function name or ARN and holds it to this server's region and account, as AWS
    /// does: a function of another region is not reachable from here (404), one of another
    /// account is not the caller's (403, without a message, as recorded). Without this an ARN
    /// of another region or account would act on the local function of the same name.
    func localReference(_ text: String) throws -> FunctionReference {
        try checkLocal(FunctionReference(parsing: text))
    }

    @discardableResult
    func checkLocal(_ parsed: FunctionReference) throws -> FunctionReference {
        if let region = parsed.region, region != names.region {
            throw LambdaError(status: 404, type: "ResourceNotFoundException",
                              message: "Functions from '\(region)' are not reachable in this region ('\(names.region)')")
        }
        if let account = parsed.accountID, account != names.accountID {
            throw LambdaError(status: 403, type: "AccessDeniedException", message: "")
        }
        return parsed
    }

    // MARK: Create

    public func create(_ request: CreateFunctionRequest) async throws -> FunctionConfiguration {
        guard let rawName = request.functionName else { throw missing("FunctionName") }
        let name = try FunctionNameRule.nameForCreate(rawName)
        try checkLocal(FunctionReference(parsing: rawName))
        switch request.packageType {
        case nil, "Zip": break
        case "Image": return try await createImage(request, name: name)
        case let other?:
            throw LambdaError.invalidParameter(
                "1 validation error detected: Value '\(other)' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]")
        }
        guard let runtime = request.runtime else {
            throw LambdaError.invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
        }
        guard let handler = request.handler else {
            throw LambdaError.invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
        }
        guard let role = request.role else { throw missing("Role") }
        try LambdaRuntime.validate(runtime, runnable: runnableRuntimes)
        try FunctionValidation.handler(handler)
        try FunctionValidation.role(role)
        let (memory, timeout, storage, variables) = try validateSettings(request)
        guard let zip = request.code?.zipFile else {
            if request.code?.imageUri != nil {
                throw LambdaError.invalidParameter("Please don't provide ImageUri when creating a function with packageType Zip.")
            }
            if request.code?.s3Bucket != nil {
                throw LambdaError.invalidParameter("Lambent accepts code as Code.ZipFile or Code.ImageUri (no S3 yet).")
            }
            throw LambdaError.invalidParameter("Please provide a source for function code.")
        }
        _ = try checkLayerReferences(request.layers ?? [])
        if try await store.function(named: name) != nil { throw LambdaError.functionExists(name: name) }

        let code = try await self.code.store(zip)
        let layers = try await attachLayers(request.layers ?? [], codeKey: code.sha256Hex)
        let now = LambdaTimestamp.format(Date())
        var configuration = FunctionConfiguration(
            functionName: name, functionArn: names.functionARN(name), runtime: runtime, role: role,
            handler: handler, codeSize: code.size, description: request.description ?? "", timeout: timeout,
            memorySize: memory, lastModified: now, codeSha256: code.sha256Base64, environment: variables,
            revisionId: Self.newRevision(), state: .active, ephemeralStorage: storage,
            runtimeVersionArn: names.runtimeVersionARN(runtime), logGroup: names.logGroup(name))
        // A create that names no subnets answers without VpcConfig, as AWS does.
        if let vpc = request.vpcConfig, !(vpc.subnetIds ?? []).isEmpty { configuration.vpcConfig = VpcConfigResponse(vpc) }
        if !layers.layers.isEmpty { configuration.layers = layers.layers }
        if let target = request.deadLetterConfig?.targetArn, !target.isEmpty { configuration.deadLetterConfig = DeadLetterConfig(targetArn: target) }
        if let logging = request.loggingConfig { configuration.loggingConfig = configuration.loggingConfig.applying(logging) }
        if let mode = request.tracingConfig?.mode { configuration.tracingConfig = TracingConfig(mode: mode) }
        var stored = configuration
        stored.lastUpdateStatus = .successful
        let record = FunctionRecord(configuration: stored, tags: request.tags ?? [:], codeKey: code.sha256Hex, layersKey: layers.key)
        guard try await store.insertFunction(record) else { throw LambdaError.functionExists(name: name) }
        cache.changed(record.configuration.versionID, to: record)
        logger.info("function created", metadata: ["lambent.function": "\(name)"])

        // Lambda answers a create with the function still Pending; Lambent's code is already
        // unpacked, so the function is Active by the time anyone asks again. With `Publish`,
        // the answer names version 1 (the ARN stays unqualified, as AWS's does).
        var response = creating(configuration)
        if request.publish == true {
            response.version = try await publish(name, PublishVersionRequest()).version
        }
        return response
    }

    /// The configuration as Lambda answers a resource it is still creating.
    func creating(_ configuration: FunctionConfiguration) -> FunctionConfiguration {
        var response = configuration
        response.state = .pending
        response.stateReason = "The function is being created."
        response.stateReasonCode = "Creating"
        response.lastUpdateStatus = nil
        response.lastUpdateStatusReason = nil
        response.lastUpdateStatusReasonCode = nil
        return response
    }

    // MARK: Read

    /// The function version a name, partial ARN or ARN refers to, with the qualifier in it or
    /// given apart (`?Qualifier=`): `$LATEST` when there is none, or a published version.
    public func function(_ reference: String, qualifier: String? = nil) async throws -> FunctionRecord {
        try await resolve(reference, qualifier: qualifier).record
    }

    /// The function version a reference names, and the qualifier it was named with (nil when
    /// unqualified), for the ARN "as invoked".
    /// `routed` picks an alias's version by its weights, as an invocation does; reads see the
    /// alias's own version.
    public func resolve(_ reference: String, qualifier: String? = nil, routed: Bool = false) async throws
        -> (record: FunctionRecord, qualifier: String?) {
        let parsed = try localReference(reference)
        let qualifier = try resolveQualifier(parsed: parsed, explicit: qualifier)
        // An invocation names what it did not find with `$LATEST`, as AWS words it.
        let notFound = LambdaError.functionNotFound(
            arn: names.functionARN(parsed.name, qualifier: qualifier ?? (routed ? FunctionVersion.latest.rawValue : nil)))
        let version: FunctionVersion
        switch qualifier {
        case nil, FunctionVersion.latest.rawValue?:
            version = .latest
        case let number? where Self.isVersionNumber(number):
            version = FunctionVersion(number)
        case let name?:
            // An alias: its version (or, for an invocation, the one its weights pick) under
            // the alias's ARN.
            guard let alias = try await cachedAlias(AliasID(functionName: parsed.name, name: name)) else { throw notFound }
            let picked = FunctionVersion(routed ? alias.pickVersion() : alias.functionVersion)
            guard var record = try await cachedFunction(FunctionVersionID(functionName: parsed.name, version: picked)) else {
                throw notFound
            }
            record.configuration.functionArn = alias.aliasArn
            return (record, qualifier)
        }
        guard var record = try await cachedFunction(FunctionVersionID(functionName: parsed.name, version: version)) else {
            throw notFound
        }
        // `$LATEST` named explicitly answers with the qualified ARN, as AWS does.
        if qualifier == FunctionVersion.latest.rawValue {
            record.configuration.functionArn = names.functionARN(parsed.name, qualifier: qualifier)
        }
        return (record, qualifier)
    }

    /// The `$LATEST` record of the function a reference names: what updates change. A
    /// reference qualified with anything but `$LATEST` names no such thing.
    func latestFunction(_ reference: String) async throws -> FunctionRecord {
        let (record, qualifier) = try await resolve(reference)
        if let qualifier, qualifier != FunctionVersion.latest.rawValue {
            throw LambdaError.functionNotFound(arn: names.functionARN(record.name, qualifier: qualifier))
        }
        return record
    }

    /// A published version's number: digits only.
    static func isVersionNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    func cachedAlias(_ id: AliasID) async throws -> AliasConfiguration? {
        let cached = aliasCache.lookup(id)
        if let alias = cached.record { return alias }
        guard let alias = try await store.alias(id.name, function: id.functionName) else { return nil }
        aliasCache.fill(alias, for: id, readAt: cached.generation)
        return alias
    }

    func cachedFunction(_ id: FunctionVersionID) async throws -> FunctionRecord? {
        let cached = cache.lookup(id)
        if let record = cached.record { return record }
        guard let record = try await store.function(id) else { return nil }
        cache.fill(record, readAt: cached.generation)
        return record
    }

    /// The qualifier a reference and a `Qualifier` parameter name together (checked, and
    /// refused when they disagree).
    func resolveQualifier(parsed: FunctionReference, explicit: String?) throws -> String? {
        if let explicit { try Self.checkQualifier(explicit) }
        if let explicit, let inName = parsed.qualifier, explicit != inName {
            throw LambdaError.invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
        }
        return explicit ?? parsed.qualifier
    }

    /// A `Qualifier` parameter as the service model bounds it (at most 128 characters of
    /// `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`), in AWS's validation words.
    static func checkQualifier(_ qualifier: String) throws {
        var failures: [String] = []
        if qualifier.utf8.count > 128 {
            failures.append("Value '\(qualifier)' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128")
        }
        let allowed = qualifier.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "$") }
        if qualifier.isEmpty || !(allowed || qualifier == "$LATEST.PUBLISHED") {
            failures.append(#"Value '\#(qualifier)' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"#)
        }
        if !failures.isEmpty { throw LambdaError.validation(failures) }
    }

    public func list(marker: String?, maxItems: Int?) async throws -> (functions: [FunctionConfiguration], nextMarker: String?) {
        let request = try PageRequest(marker: marker, maxItems: maxItems)
        let records = try await store.listFunctions(after: request.after, limit: request.limit + 1)
        let page = records.prefix(request.limit)
        return (page.map(\.configuration.listed), PageRequest.marker(after: page.last?.name, more: records.count > request.limit))
    }

    public func accountUsage() async throws -> (functionCount: Int, totalCodeSize: Int) {
        try await store.usage()
    }

    // MARK: Update

    public func updateConfiguration(_ reference: String, _ request: UpdateFunctionConfigurationRequest) async throws -> FunctionConfiguration {
        let current = try await latestFunction(reference)
        if let runtime = request.runtime { try LambdaRuntime.validate(runtime, runnable: runnableRuntimes) }
        if let handler = request.handler { try FunctionValidation.handler(handler) }
        if let role = request.role { try FunctionValidation.role(role) }
        if let memory = request.memorySize { try FunctionValidation.memorySize(memory) }
        if let timeout = request.timeout { try FunctionValidation.timeout(timeout) }
        if let storage = request.ephemeralStorage?.size { try FunctionValidation.ephemeralStorage(storage) }
        if let description = request.description { try FunctionValidation.description(description) }
        if let variables = request.environment?.variables { try FunctionValidation.environment(variables) }
        if let vpc = request.vpcConfig { try FunctionValidation.vpcConfig(vpc) }
        if let target = request.deadLetterConfig?.targetArn { try validateDeadLetterTarget(target) }
        if let logging = request.loggingConfig { try FunctionValidation.loggingConfig(logging) }
        if let tracing = request.tracingConfig { try FunctionValidation.tracingConfig(tracing) }
        var layers: (layers: [FunctionLayer], key: String?)?
        if let arns = request.layers { layers = try await attachLayers(arns, codeKey: current.codeKey) }
        let runtimeARN = names.runtimeVersionARN(request.runtime ?? current.configuration.runtime)
        let updated = try await update(current.name, expectedRevision: request.revisionId, layers: layers) { config in
            if let runtime = request.runtime { config.runtime = runtime }
            if let handler = request.handler { config.handler = handler }
            if let role = request.role { config.role = role }
            if let memory = request.memorySize { config.memorySize = memory }
            if let timeout = request.timeout { config.timeout = timeout }
            if let storage = request.ephemeralStorage?.size { config.ephemeralStorage.size = storage }
            if let description = request.description { config.description = description }
            if let environment = request.environment { config.environment.variables = environment.variables ?? [:] }
            if let vpc = request.vpcConfig { config.vpcConfig = VpcConfigResponse(vpc) }
            if let dead = request.deadLetterConfig {
                config.deadLetterConfig = (dead.targetArn ?? "").isEmpty ? nil : dead
            }
            if let logging = request.loggingConfig { config.loggingConfig = config.loggingConfig.applying(logging) }
            if let mode = request.tracingConfig?.mode { config.tracingConfig = TracingConfig(mode: mode) }
            if let image = request.imageConfig { config.imageConfigResponse = image.isEmpty ? nil : ImageConfigResponse(imageConfig: image) }
            if !config.isImage { config.runtimeVersionConfig = RuntimeVersionConfig(runtimeVersionArn: runtimeARN) }
        }
        return inProgress(updated)
    }

    public func updateCode(_ reference: String, _ request: UpdateFunctionCodeRequest) async throws -> FunctionConfiguration {
        let current = try await latestFunction(reference)
        try validateArchitectures(request.architectures)
        if current.configuration.isImage { return try await updateImage(current, request) }
        guard let zip = request.zipFile else {
            if request.imageUri != nil {
                throw LambdaError.invalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
            }
            if request.s3Bucket != nil {
                throw LambdaError.invalidParameter("Lambent accepts code as ZipFile or ImageUri (no S3 yet).")
            }
            throw LambdaError.invalidParameter("Please provide a source for function code.")
        }
        if let revision = request.revisionId, revision != current.configuration.revisionId {
            throw LambdaError.revisionMismatch
        }
        let code = try await self.code.store(zip)
        if let layersKey = current.layersKey {
            let total = self.code.unzippedSize(of: code.sha256Hex) + self.code.unzippedSize(of: layersKey)
            if total > Limits.unzippedCodeBytes {
                throw LambdaError.invalidParameter(
                    "Function code combined with layers exceeds the maximum allowed size of \(Limits.unzippedCodeBytes) bytes. The actual size is \(total) bytes.")
            }
        }
        if request.dryRun == true {
            var preview = current.configuration
            preview.codeSha256 = code.sha256Base64
            preview.codeSize = code.size
            return preview
        }
        let updated = try await update(current.name, expectedRevision: request.revisionId, codeKey: code.sha256Hex) { config in
            config.codeSha256 = code.sha256Base64
            config.codeSize = code.size
        }
        if request.publish == true {
            // Lambda answers with the new version, still being created.
            return creating(try await publish(current.name, PublishVersionRequest()))
        }
        return inProgress(updated)
    }

    /// Applies a change in one store transaction, with a new RevisionId and LastModified, and
    /// retires the environments of the old revision.
    func update(
        _ name: String, expectedRevision: String?, codeKey: String? = nil, image: FunctionImage? = nil,
        layers: (layers: [FunctionLayer], key: String?)? = nil,
        _ change: @escaping @Sendable (inout FunctionConfiguration) -> Void
    ) async throws -> FunctionConfiguration {
        let now = LambdaTimestamp.format(Date())
        let revision = Self.newRevision()
        let record = try await store.updateFunction(named: name) { old in
            if let expectedRevision, expectedRevision != old.configuration.revisionId { throw LambdaError.revisionMismatch }
            var new = old
            change(&new.configuration)
            new.configuration.revisionId = revision
            new.configuration.lastModified = now
            new.configuration.lastUpdateStatus = .successful
            if let codeKey { new.codeKey = codeKey }
            if let image { new.image = image }
            if let layers {
                new.configuration.layers = layers.layers.isEmpty ? nil : layers.layers
                new.layersKey = layers.key
            }
            return new
        }
        guard let record else { throw LambdaError.functionNotFound(arn: names.functionARN(name)) }
        cache.changed(record.configuration.versionID, to: record)
        changes.functionChanged(record.configuration.versionID, revisionID: revision)
        logger.info("function updated", metadata: ["lambent.function": "\(name)", "lambent.revision": "\(revision)"])
        return record.configuration
    }

    /// Lambda answers updates with `LastUpdateStatus: InProgress`; Lambent has already
    /// applied them, so the next read says `Successful`.
    func inProgress(_ configuration: FunctionConfiguration) -> FunctionConfiguration {
        var response = configuration
        response.lastUpdateStatus = .inProgress
        response.lastUpdateStatusReason = "The function is being created."
        response.lastUpdateStatusReasonCode = "Creating"
        return response
    }

    // MARK: Delete

    public func delete(_ reference: String, qualifier: String?) async throws {
        let parsed = try localReference(reference)
        let qualifier = try resolveQualifier(parsed: parsed, explicit: qualifier)
        if qualifier == FunctionVersion.latest.rawValue {
            throw LambdaError.invalidParameter("$LATEST version cannot be deleted without deleting the function.")
        }
        if let qualifier {
            try await deleteVersion(parsed.name, qualifier: qualifier)
            return
        }
        guard let deleted = try await store.deleteFunction(named: parsed.name) else {
            throw LambdaError.functionNotFound(arn: names.functionARN(parsed.name))
        }
        cache.deleted(parsed.name)
        aliasCache.removeAll { $0.functionName == parsed.name }
        urls.removeFunction(parsed.name)
        policyCache.removeAll { $0.functionName == parsed.name }
        if deleted.reservedConcurrency != nil {
            changes.reservedConcurrencyChanged(total: try await reservedTotal())
        }
        changes.functionDeleted(parsed.name)
        try await refreshProvisionedLimits()
        logger.info("function deleted", metadata: ["lambent.function": "\(parsed.name)"])
    }

    // MARK: Code

    /// Removes unpacked code and blobs that no function or layer refers to (run at startup).
    public func collectUnusedCode() async {
        await code.collectUnused(store: store)
    }

    // MARK: Helpers

    /// Checks what every CreateFunction carries besides its code, runtime and role; answers
    /// the memory, timeout, /tmp size and variables with Lambda's defaults filled in.
    func validateSettings(_ request: CreateFunctionRequest) throws
        -> (memory: Int, timeout: Int, storage: Int, variables: [String: String]) {
        let memory = request.memorySize ?? Limits.defaultMemory
        let timeout = request.timeout ?? Limits.defaultTimeout
        let storage = request.ephemeralStorage?.size ?? Limits.defaultEphemeralStorage
        try FunctionValidation.memorySize(memory)
        try FunctionValidation.timeout(timeout)
        try FunctionValidation.ephemeralStorage(storage)
        try FunctionValidation.description(request.description ?? "")
        let variables = request.environment?.variables ?? [:]
        try FunctionValidation.environment(variables)
        try validateArchitectures(request.architectures)
        if let vpc = request.vpcConfig { try FunctionValidation.vpcConfig(vpc) }
        if let target = request.deadLetterConfig?.targetArn { try validateDeadLetterTarget(target) }
        if let logging = request.loggingConfig { try FunctionValidation.loggingConfig(logging) }
        if let tracing = request.tracingConfig { try FunctionValidation.tracingConfig(tracing) }
        if let tags = request.tags { try Self.validateTags(tags) }
        return (memory, timeout, storage, variables)
    }

    func validateArchitectures(_ architectures: [String]?) throws {
        guard let architectures else { return }
        if architectures.count > 1 {
            throw LambdaError.validation(value: "[\(architectures.joined(separator: ", "))]", field: "architectures",
                                         constraint: "Member must have length less than or equal to 1")
        }
        if let architecture = architectures.first, architecture != "x86_64" {
            if architecture == "arm64" {
                throw LambdaError.invalidParameter("Lambent runs x86_64 functions only on this host.")
            }
            throw LambdaError.validation(
                value: "[\(architecture)]", field: "architectures",
                constraint: "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
        }
    }

    /// A function's dead-letter queue: an SQS queue of this account and region (`""` removes it).
    func validateDeadLetterTarget(_ arn: String) throws {
        if arn.isEmpty { return }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sqs" else {
            throw LambdaError.invalidParameter(
                "Lambent's dead-letter queues are SQS queues it serves; \(arn) is not one (SNS topics are not supported).")
        }
    }

    func missing(_ field: String) -> LambdaError {
        LambdaError(status: 400, type: "ValidationException",
                    message: "1 validation error detected: Value null at '\(field.prefix(1).lowercased() + field.dropFirst())' failed to satisfy constraint: Member must not be null",
                    isUserError: false)
    }

    static func newRevision() -> String { UUID().uuidString.lowercased() }
}
