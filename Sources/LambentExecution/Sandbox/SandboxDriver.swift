/// A host directory made visible inside a sandbox.
public struct SandboxMount: Sendable, Equatable {
    /// The directory on the host.
    public var host: String
    /// Where the sandbox sees it (absolute).
    public var sandbox: String
    public var readOnly: Bool

    public init(host: String, sandbox: String, readOnly: Bool = true) {
        self.host = host
        self.sandbox = sandbox
        self.readOnly = readOnly
    }
}

/// What an environment's root file system is made of.
public enum SandboxRoot: Sendable, Equatable {
    /// The host's system directories (`/usr`, the libraries, a few files of `/etc`), read-only:
    /// the language runtimes run on the host's interpreters.
    case hostSystem
    /// A container image's unpacked root file system (a host directory), read-only: the
    /// function brings everything it runs; nothing of the host's is visible.
    case image(rootfs: String)
}

/// What an execution environment needs from the host: its files, its variables, its size.
public struct SandboxSpec: Sendable {
    /// Unique id of the environment (names its files and logs).
    public var environmentID: String
    /// The root file system.
    public var root: SandboxRoot
    /// Unpacked deployment package, mounted read-only at /var/task.
    public var codeDirectory: String
    /// Further directories to mount (the language runtime's at /var/runtime; layers at /opt).
    public var mounts: [SandboxMount]
    /// The agent executable, mounted read-only at /var/lambent/agent.
    public var agentPath: String
    /// The runtime command, run by the agent (paths as seen inside the sandbox).
    public var runtimeCommand: [String]
    /// The environment's variables (Lambda's reserved ones included).
    public var environment: [String: String]
    /// Memory limit in MB (enforced by cgroups in the hardened driver).
    public var memoryMB: Int
    /// Size of /tmp in MB.
    public var ephemeralStorageMB: Int
    /// Where the sandbox's own diagnostics (stderr of the sandbox tool and agent) go.
    public var diagnosticsPath: String
    /// What the environment's network reaches (drivers without isolation share the host's).
    public var network: NetworkMode
    /// The runtime's working directory (`/var/task`, or a container image's `WorkingDir`).
    public var workingDirectory: String
    /// The server's Unix socket for functions' API calls, bound into the sandbox and served
    /// by the agent on its loopback; nil when the environment does not get one.
    public var platformSocket: String?

    public init(
        environmentID: String, root: SandboxRoot = .hostSystem, codeDirectory: String, mounts: [SandboxMount] = [],
        agentPath: String, runtimeCommand: [String], environment: [String: String], memoryMB: Int,
        ephemeralStorageMB: Int, diagnosticsPath: String, network: NetworkMode = .none, workingDirectory: String = "/var/task",
        platformSocket: String? = nil
    ) {
        self.workingDirectory = workingDirectory
        self.platformSocket = platformSocket
        self.environmentID = environmentID
        self.root = root
        self.codeDirectory = codeDirectory
        self.mounts = mounts
        self.agentPath = agentPath
        self.runtimeCommand = runtimeCommand
        self.environment = environment
        self.memoryMB = memoryMB
        self.ephemeralStorageMB = ephemeralStorageMB
        self.diagnosticsPath = diagnosticsPath
        self.network = network
    }

    /// Every directory the sandbox sees besides its root: the code first (a container
    /// image's code is part of its root), then `mounts`.
    public var allMounts: [SandboxMount] {
        if case .image = root { return mounts }
        return [SandboxMount(host: codeDirectory, sandbox: "/var/task")] + mounts
    }
}

/// A started sandbox, as its driver hands it over: the server's end of the control channel,
/// and what the environment may ask of it. How it is built (processes, cgroups, network
/// helpers, volumes) stays inside the driver.
public protocol Sandbox: AnyObject, Sendable {
    /// The server's end of the control channel (a connected Unix socket, owned by the caller
    /// once launched: the channel that wraps it closes it).
    var controlFD: Int32 { get }
    /// The runtime has finished initializing: apply what must not slow init down (the CPU
    /// limit; Lambda gives init a full burst).
    func initFinished()
    /// The most memory the environment has used, in bytes; nil when the driver cannot tell.
    func peakMemoryBytes() -> UInt64?
    /// Kills every process in the sandbox now, whatever it is doing (idempotent; does not wait).
    func destroy()
    /// Waits until the sandbox's processes are gone and frees what it held. Call once, after
    /// `destroy`.
    func tearDown() async
}

/// A way to run execution environments. Drivers differ in isolation, not in protocol: each
/// starts the agent with the control channel on descriptor 3.
public protocol SandboxDriver: Sendable {
    /// A short name for logs and `--sandbox`.
    var name: String { get }
    /// Starts an environment.
    func launch(_ spec: SandboxSpec) throws(SandboxError) -> any Sandbox
    /// Whether environments asking for `mode` share the host's network (and so reach the
    /// server at its own address rather than through the platform socket).
    func sharesHostNetwork(_ mode: NetworkMode) -> Bool
}

extension SandboxDriver {
    public func sharesHostNetwork(_ mode: NetworkMode) -> Bool { mode == .host }
}
