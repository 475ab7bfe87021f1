import Foundation
import LambentModel
import LambentStore

/// Container-image functions (`PackageType: Image`): the image is resolved, pulled and
/// unpacked while `CreateFunction` or `UpdateFunctionCode` runs (`ImageStore`); the answer
/// is `Pending`, as AWS's, and the next read says `Active`, or `Failed` with the reason when
/// the image could not be used.
extension FunctionService {
    func createImage(_ request: CreateFunctionRequest, name: String) async throws -> FunctionConfiguration {
        guard let role = request.role else { throw missing("Role") }
        try FunctionValidation.role(role)
        guard let uri = request.code?.imageUri else {
            if request.code?.zipFile != nil {
                throw LambdaError.invalidParameter("Please don't provide ZipFile when creating a function with packageType Image.")
            }
            throw LambdaError.invalidParameter("Please provide ImageUri when creating a function with packageType Image.")
        }
        if request.runtime != nil || request.handler != nil {
            throw LambdaError.invalidParameter("Runtime and Handler are not supported for functions with package type Image.")
        }
        if !(request.layers ?? []).isEmpty {
            throw LambdaError.invalidParameter("Layers are not supported for functions with package type Image.")
        }
        let (memory, timeout, storage, variables) = try validateSettings(request)
        if try await store.function(named: name) != nil { throw LambdaError.functionExists(name: name) }

        var pulled: (key: String, image: FunctionImage)?
        var failure: ImageStore.Failure?
        do {
            pulled = try await images.pull(uri, architecture: request.architectures?.first ?? "x86_64")
        } catch {
            if error.invalidRequest { throw LambdaError.invalidParameter(error.message) }
            failure = error
        }
        let now = LambdaTimestamp.format(Date())
        var configuration = FunctionConfiguration(
            functionName: name, functionArn: names.functionARN(name), runtime: "", role: role, handler: "", codeSize: 0,
            description: request.description ?? "", timeout: timeout, memorySize: memory, lastModified: now,
            codeSha256: pulled.map { String($0.image.digest.dropFirst("sha256:".count)) } ?? "", environment: variables,
            revisionId: Self.newRevision(), state: failure == nil ? .active : .failed, ephemeralStorage: storage,
            runtimeVersionArn: "", logGroup: names.logGroup(name))
        configuration.packageType = "Image"
        configuration.runtimeVersionConfig = nil
        if let failure {
            configuration.stateReason = failure.message
            configuration.stateReasonCode = failure.reasonCode
        }
        if let image = request.imageConfig, !image.isEmpty { configuration.imageConfigResponse = ImageConfigResponse(imageConfig: image) }
        if let vpc = request.vpcConfig, !(vpc.subnetIds ?? []).isEmpty { configuration.vpcConfig = VpcConfigResponse(vpc) }
        if let target = request.deadLetterConfig?.targetArn, !target.isEmpty { configuration.deadLetterConfig = DeadLetterConfig(targetArn: target) }
        if let logging = request.loggingConfig { configuration.loggingConfig = configuration.loggingConfig.applying(logging) }
        if let mode = request.tracingConfig?.mode { configuration.tracingConfig = TracingConfig(mode: mode) }
        var stored = configuration
        stored.lastUpdateStatus = failure == nil ? .successful : .failed
        var record = FunctionRecord(configuration: stored, tags: request.tags ?? [:], codeKey: pulled?.key ?? "image-unavailable")
        record.image = pulled?.image
        guard try await store.insertFunction(record) else { throw LambdaError.functionExists(name: name) }
        cache.changed(record.configuration.versionID, to: record)
        logger.info("function created", metadata: ["lambent.function": "\(name)", "lambent.image": "\(uri)"])
        if let failure {
            logger.warning("function image failed", metadata: ["lambent.function": "\(name)", "lambent.reason": "\(failure.message)"])
        }
        var response = creating(configuration)
        if request.publish == true, failure == nil {
            response.version = try await publish(name, PublishVersionRequest()).version
        }
        return response
    }

    /// `UpdateFunctionCode` of an image function: a new image, pulled before anything
    /// changes; an image that cannot be used leaves the function on its current one.
    func updateImage(_ current: FunctionRecord, _ request: UpdateFunctionCodeRequest) async throws -> FunctionConfiguration {
        guard let uri = request.imageUri else {
            throw LambdaError.invalidParameter("Please provide ImageUri when updating a function with packageType Image.")
        }
        if let revision = request.revisionId, revision != current.configuration.revisionId {
            throw LambdaError.revisionMismatch
        }
        let pulled: (key: String, image: FunctionImage)
        do {
            pulled = try await images.pull(uri, architecture: request.architectures?.first ?? current.configuration.architectures.first ?? "x86_64")
        } catch {
            throw LambdaError.invalidParameter(error.message)
        }
        let sha = String(pulled.image.digest.dropFirst("sha256:".count))
        if request.dryRun == true {
            var preview = current.configuration
            preview.codeSha256 = sha
            return preview
        }
        let updated = try await update(current.name, expectedRevision: request.revisionId, codeKey: pulled.key, image: pulled.image) { config in
            config.codeSha256 = sha
            config.state = .active
            config.stateReason = nil
            config.stateReasonCode = nil
        }
        if request.publish == true {
            return creating(try await publish(current.name, PublishVersionRequest()))
        }
        return inProgress(updated)
    }
}
