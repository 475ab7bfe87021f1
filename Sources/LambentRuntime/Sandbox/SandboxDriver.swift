/// What an execution environment needs from the host: its files, its variables, its size.
public struct SandboxSpec: Sendable {
    /// Unique id of the environment (names its files and logs).
    public var environmentID: String
    /// Unpacked deployment package, mounted read-only at /var/task.
    public var codeDirectory: String
    /// The language runtime's files, mounted read-only at /var/runtime.
    public var runtimeDirectory: String
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

    public init(
        environmentID: String, codeDirectory: String, runtimeDirectory: String, agentPath: String,
        runtimeCommand: [String], environment: [String: String], memoryMB: Int, ephemeralStorageMB: Int,
        diagnosticsPath: String, network: NetworkMode = .none
    ) {
        self.environmentID = environmentID
        self.codeDirectory = codeDirectory
        self.runtimeDirectory = runtimeDirectory
        self.agentPath = agentPath
        self.runtimeCommand = runtimeCommand
        self.environment = environment
        self.memoryMB = memoryMB
        self.ephemeralStorageMB = ephemeralStorageMB
        self.diagnosticsPath = diagnosticsPath
        self.network = network
    }
}

/// A started sandbox: the host process that owns it and the server's end of its control channel.
public struct SandboxProcess: Sendable {
    /// The process whose death takes the whole environment with it.
    public var pid: Int32
    /// The server's end of the control channel (a connected Unix socket).
    public var controlFD: Int32
    /// The environment's cgroup(s), when the driver enforces resource limits.
    public var cgroup: CgroupHandle?
    /// Processes the server started for the environment outside it (its network helper),
    /// killed with it and reaped after it.
    public var helpers: [Int32]
    /// The host path of the environment's disk-backed /tmp volume (see
    /// `EphemeralStoragePool`), released with the environment; nil when /tmp is a tmpfs.
    public var tmpVolume: String?

    public init(pid: Int32, controlFD: Int32, cgroup: CgroupHandle? = nil, helpers: [Int32] = [], tmpVolume: String? = nil) {
        self.pid = pid
        self.controlFD = controlFD
        self.cgroup = cgroup
        self.helpers = helpers
        self.tmpVolume = tmpVolume
    }
}

/// A way to run execution environments. Drivers differ in isolation, not in protocol: each
/// starts the agent with the control channel on descriptor 3.
public protocol SandboxDriver: Sendable {
    /// A short name for logs and `--sandbox`.
    var name: String { get }
    /// Starts an environment.
    func launch(_ spec: SandboxSpec) throws(SandboxError) -> SandboxProcess
    /// Destroys an environment: every process in it, whatever state it is in.
    func destroy(_ process: SandboxProcess)
    /// Frees what is left once the environment's processes are gone (its cgroups).
    func release(_ process: SandboxProcess)
}

extension SandboxDriver {
    public func release(_ process: SandboxProcess) {}
}
