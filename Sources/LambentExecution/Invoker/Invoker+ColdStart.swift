import Foundation
import LambentControl
import LambentModel
import Logging
import NIOCore
import NIOPosix

extension Invoker {
    /// Starts an environment for `request`: provisions its language runtime, builds the
    /// sandbox spec (mounts, command, Lambda's variables), launches it on the spawner thread
    /// and connects its control channel. The environment then initializes on its own.
    func startEnvironment(for request: InvokeRequest, key: EnvironmentKey, provisionedFor: String? = nil) async throws(LambdaError) -> Environment {
        let config = request.function.configuration
        if pool.isShuttingDown {
            throw LambdaError(status: 503, type: "ServiceException", message: "Lambent is shutting down", isUserError: false)
        }
        let launch: RuntimeLaunch
        var root = SandboxRoot.hostSystem
        var workingDirectory = "/var/task"
        if config.isImage {
            guard let image = request.function.image else { throw LambdaError.service("the function's image is not available") }
            let process = image.launch(with: config.imageConfigResponse?.imageConfig)
            launch = Self.imageLaunch(command: process.command, imageVariables: image.variables)
            root = .image(rootfs: URL(fileURLWithPath: request.codeDirectory).appendingPathComponent("rootfs").path)
            workingDirectory = process.workingDirectory
        } else {
            do {
                launch = try await runtimes.provision(RuntimeRequest(
                    runtimeID: config.runtime, handler: config.handler, memoryMB: config.memorySize,
                    codeDirectory: request.codeDirectory, layersDirectory: request.layersDirectory,
                    environment: config.environment.variables))
            } catch {
                throw LambdaError.service(error.message)
            }
        }
        let environmentID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let logStream = "\(LambdaClock.logDate())/[\(config.version)]\(environmentID)"
        // The function's LoggingConfig names its group (`/aws/lambda/<name>` unless changed).
        let logGroup = config.loggingConfig.logGroup
        var reserved = LambdaVariables.reserved(for: config, region: configuration.region, logGroup: logGroup, logStream: logStream,
                                                initializationType: provisionedFor == nil ? "on-demand" : "provisioned-concurrency")
        if config.isImage {
            // An image's own PATH and library path describe where its programs are.
            for name in ["PATH", "LD_LIBRARY_PATH"] where launch.defaultVariables[name] != nil { reserved[name] = nil }
        }
        let network = config.isInVPC ? configuration.vpcNetwork : configuration.network
        var defaults = launch.defaultVariables
        var platformSocket: String?
        if let platform = configuration.platform {
            reserved.merge(platform.credentials(config)) { _, minted in minted }
            // Sandboxes with a network of their own reach the server through the agent.
            let ownNetwork = !driver.sharesHostNetwork(network)
            defaults["AWS_ENDPOINT_URL"] = ownNetwork ? PlatformAccess.sandboxEndpoint : platform.hostEndpoint
            if ownNetwork { platformSocket = platform.socketPath }
        }
        let variables = LambdaVariables.merged(
            runtimeDefaults: defaults, function: config.environment.variables,
            reserved: reserved, runtime: launch.variables)

        let spec = SandboxSpec(
            environmentID: environmentID, root: root, codeDirectory: request.codeDirectory,
            mounts: launch.mounts + (request.layersDirectory.map { [SandboxMount(host: $0, sandbox: "/opt")] } ?? []),
            agentPath: configuration.agentPath, runtimeCommand: launch.command, environment: variables,
            memoryMB: config.memorySize, ephemeralStorageMB: config.ephemeralStorage.size,
            diagnosticsPath: configuration.stateDirectory.appendingPathComponent("\(environmentID).stderr").path,
            network: network, workingDirectory: workingDirectory, platformSocket: platformSocket)
        let sandbox: any Sandbox
        do {
            let driver = self.driver
            sandbox = try await Self.spawner.runIfActive { try driver.launch(spec) }
        } catch let error as SandboxError {
            throw LambdaError.service("could not start an execution environment: \(error.message)")
        } catch {
            throw LambdaError.service("could not start an execution environment: \(error)")
        }
        let environment = Environment(
            id: environmentID, key: key, logGroup: logGroup, logStream: logStream, platformLog: PlatformLog(config.loggingConfig), sandbox: sandbox,
            launch: launch, createdAt: configuration.clock.now(), logSink: logSink, logger: logger,
            provisionedFor: provisionedFor, onGone: { [weak self] gone in self?.forget(gone) })
        pool.register(environment)
        do {
            _ = try await ClientBootstrap(group: eventLoopGroup)
                .channelInitializer { channel in
                    environment.attach(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(ControlMessageDecoder()),
                            MessageToByteHandler(ControlMessageEncoder()),
                            EnvironmentChannelHandler(environment: environment),
                        ])
                    }
                }
                .withConnectedSocket(sandbox.controlFD)
                .get()
        } catch {
            sandbox.destroy()
            Syscalls.close(sandbox.controlFD)
            forget(environment)
            throw LambdaError.service("could not connect to the execution environment: \(error)")
        }
        logger.debug("environment started", metadata: [
            "lambent.function": "\(config.functionName)", "lambent.environment": "\(environmentID)",
        ])
        return environment
    }

    /// How a container image's process starts: its ENTRYPOINT and CMD (as the function's
    /// `ImageConfig` overrides them), with the image's `ENV` under the function's and
    /// Lambda's variables. An image with neither fails its invocations with
    /// `Runtime.InvalidEntrypoint`, as on AWS.
    static func imageLaunch(command: [String], imageVariables: [String: String]) -> RuntimeLaunch {
        let missing = "The image has no ENTRYPOINT or CMD, and the function's ImageConfig sets none."
        return RuntimeLaunch(command: command.isEmpty ? ["/.lambent-no-entrypoint"] : command, defaultVariables: imageVariables,
                             missingEntrypointMessage: command.isEmpty ? missing : nil)
    }

    /// The one thread that starts sandboxes. bwrap's `--die-with-parent` (PR_SET_PDEATHSIG)
    /// fires when the *thread* that spawned it exits, and Swift's and Dispatch's worker
    /// threads come and go; this thread lives as long as the process.
    static let spawner: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}
