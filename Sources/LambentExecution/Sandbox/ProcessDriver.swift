import Foundation

/// Runs environments as plain processes of the server's user, with no isolation at all:
/// for development on machines without bubblewrap. The agent listens on a free port of the
/// host's loopback, and the paths Lambda's variables name (/var/task, /var/runtime, any
/// mount's) are the host directories themselves. Never for untrusted code: the server warns at startup.
public struct ProcessDriver: SandboxDriver {
    public var name: String { "process" }

    public init() {}

    /// Plain processes: every environment is on the host's network.
    public func sharesHostNetwork(_ mode: NetworkMode) -> Bool { true }

    public func launch(_ spec: SandboxSpec) throws(SandboxError) -> any Sandbox {
        if case .image = spec.root {
            throw SandboxError(.unavailable, "container-image functions need the bubblewrap sandbox (--sandbox auto); this server runs --sandbox process")
        }
        guard let port = Syscalls.freeLoopbackPort() else {
            throw SandboxError(.spawnFailed, "no free port on 127.0.0.1 for the Runtime API")
        }
        let mapped = Self.environment(for: spec, port: port)
        let command = spec.runtimeCommand.map { Self.hostPath($0, spec: spec) }
        let argv = [spec.agentPath, "--control-fd", "3", "--"] + command
        let sockets = try Syscalls.socketPair()
        defer { Syscalls.close(sockets.child) }
        do {
            let pid = try Syscalls.spawn(argv, environment: mapped.map { "\($0.key)=\($0.value)" }, inherit: sockets.child,
                                         stderrPath: spec.diagnosticsPath, workingDirectory: spec.codeDirectory)
            return HostSandbox(pid: pid, controlFD: sockets.server, kill: Self.kill)
        } catch {
            Syscalls.close(sockets.server)
            throw error
        }
    }

    /// Kills the agent and everything in its session (the runtime runs in a process group
    /// of its own, in the agent's session).
    static func kill(_ sandbox: HostSandbox) {
        for pid in sessionMembers(sandbox.pid) { Syscalls.kill(pid) }
        Syscalls.kill(sandbox.pid)
    }

    /// The variables with sandbox paths replaced by host paths, and the port.
    static func environment(for spec: SandboxSpec, port: UInt16) -> [String: String] {
        var variables = spec.environment.mapValues { hostPath($0, spec: spec) }
        variables["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        return variables
    }

    static func hostPath(_ text: String, spec: SandboxSpec) -> String {
        spec.allMounts.reduce(text) { text, mount in
            text.replacingOccurrences(of: mount.sandbox, with: mount.host)
        }
    }

    /// Processes whose session id is `session` (field 6 of /proc/<pid>/stat).
    static func sessionMembers(_ session: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var members: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry), pid != session,
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command: state, ppid, pgrp, session.
            if fields.count > 3, Int32(fields[3]) == session { members.append(pid) }
        }
        return members
    }
}
