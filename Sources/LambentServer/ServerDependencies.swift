import Foundation
import LambentExecution
import Logging

/// What a node runs functions with: the sandbox driver and the parts it was built from
/// (cgroups, parked launchers, /tmp volumes; services the server runs and stops), and the
/// language runtimes. `probe` finds them on the host; tests pass their own.
///
/// ```swift
/// let dependencies = try ServerDependencies.probe(configuration: config, logger: logger)
/// let server = try LambentServer(configuration: config, logger: logger, dependencies: dependencies)
/// ```
public struct ServerDependencies: Sendable {
    public var driver: any SandboxDriver
    public var runtimes: LanguageRuntimeRegistry
    public var cgroups: Cgroups?
    public var launchers: LauncherPool?
    public var tmpVolumes: EphemeralStoragePool?

    public init(driver: any SandboxDriver, runtimes: LanguageRuntimeRegistry, cgroups: Cgroups? = nil,
                launchers: LauncherPool? = nil, tmpVolumes: EphemeralStoragePool? = nil) {
        self.driver = driver
        self.runtimes = runtimes
        self.cgroups = cgroups
        self.launchers = launchers
        self.tmpVolumes = tmpVolumes
    }

    /// The language runtimes every node offers: Python (awslambdaric, installed into
    /// `runtimesDirectory` on first use), Node.js (Lambent's client; the interpreter from the
    /// host or PyPI), Java and Ruby (Lambent's clients on the host's JDK and Ruby, where it
    /// has them) and the OS-only runtimes.
    public static func standardRuntimes(runtimesDirectory: URL, logger: Logger) -> LanguageRuntimeRegistry {
        LanguageRuntimeRegistry([
            PythonRuntime(runtimesDirectory: runtimesDirectory, logger: logger),
            NodeRuntime(runtimesDirectory: runtimesDirectory, logger: logger),
            JavaRuntime(runtimesDirectory: runtimesDirectory, logger: logger),
            RubyRuntime(runtimesDirectory: runtimesDirectory, logger: logger),
            ProvidedRuntime(),
        ])
    }

    /// Finds what this host offers for `configuration.sandbox`: bubblewrap, cgroups, the
    /// outbound network's tools, loop devices for /tmp; warns about each part that is missing
    /// and what that costs; removes what a crashed predecessor left behind.
    public static func probe(configuration: ServerConfiguration, logger: Logger) throws -> ServerDependencies {
        let data = configuration.dataDirectory
        let cgroups: Cgroups?
        let launchers: LauncherPool?
        let tmpVolumes: EphemeralStoragePool?
        let driver: any SandboxDriver
        var bubblewrapError: SandboxError?
        if configuration.sandbox != .process, BubblewrapDriver.locate() == nil {
            bubblewrapError = BubblewrapDriver.missing
        }
        if configuration.sandbox == .process || (configuration.sandbox == .auto && bubblewrapError != nil) {
            logger.warning("""
                SANDBOX DISABLED: functions run as plain processes of this user, with no isolation and no \
                resource limits (--sandbox process\(bubblewrapError.map { "; \($0.message)" } ?? ""))). \
                Never run untrusted code this way.
                """)
            cgroups = nil
            launchers = nil
            tmpVolumes = nil
            driver = ProcessDriver()
        } else {
            if let bubblewrapError { throw bubblewrapError }
            switch Cgroups.detect() {
            case .success(let found):
                let stale = found.removeStale()
                if stale > 0 { logger.notice("removed \(stale) environment cgroups left by a previous run") }
                cgroups = found
            case .failure(let error):
                logger.warning("resource limits are NOT enforced (memory, CPU, processes): \(error.message)")
                cgroups = nil
            }
            var outbound: OutboundNetwork?
            if [configuration.network, configuration.vpcNetwork].contains(.outbound) {
                switch OutboundNetwork.detect() {
                case .success(let found): outbound = found
                case .failure(let error):
                    logger.warning("functions meant to get the default network (outbound only) get NO network: \(error.message)")
                }
            }
            let etc = try SandboxEtc(directory: data.appendingPathComponent("sandbox-etc").path)
            launchers = cgroups.map {
                LauncherPool(cgroups: $0, configuration: .init(launcherPath: configuration.agentPath), logger: logger)
            }
            switch EphemeralStorage.detect(directory: data.appendingPathComponent("tmp").path) {
            case .success(let storage):
                let stale = storage.removeStale()
                if stale > 0 { logger.notice("removed \(stale) /tmp volumes left by a previous run") }
                tmpVolumes = EphemeralStoragePool(storage: storage, logger: logger)
            case .failure(let error):
                logger.warning("""
                    /tmp is a tmpfs, counted against MemorySize: a function filling it can be OOM-killed \
                    instead of getting ENOSPC (\(error.message))
                    """)
                tmpVolumes = nil
            }
            driver = try BubblewrapDriver(cgroups: cgroups, outbound: outbound, etc: etc, launchers: launchers,
                                          tmpVolumes: tmpVolumes)
        }
        let runtimes = configuration.runtimesDirectory ?? data.appendingPathComponent("runtimes")
        return ServerDependencies(driver: driver, runtimes: standardRuntimes(runtimesDirectory: runtimes, logger: logger),
                                  cgroups: cgroups, launchers: launchers, tmpVolumes: tmpVolumes)
    }
}
