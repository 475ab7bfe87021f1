#if canImport(Glibc)
import Glibc
#endif

/// A sandbox made of host processes, as both the namespaces and the process drivers build
/// it: an outer process whose death ends the environment, and what the driver set up around
/// it (cgroups, helper processes such as the network's, a /tmp volume). Only the driver that
/// made it knows how to kill it; tearing down is the same for both.
final class HostSandbox: Sandbox {
    /// The process whose death takes the whole environment with it.
    let pid: pid_t
    let controlFD: Int32
    /// The environment's cgroup(s), when the driver enforces resource limits.
    let cgroup: CgroupHandle?
    /// Processes started for the environment outside it (its network helper), killed with it
    /// and reaped after it.
    let helpers: [pid_t]
    /// The host path of the environment's disk-backed /tmp volume; nil when /tmp is a tmpfs.
    let tmpVolume: String?
    private let kill: @Sendable (HostSandbox) -> Void
    private let releaseVolume: @Sendable (String) -> Void

    init(
        pid: pid_t, controlFD: Int32, cgroup: CgroupHandle? = nil, helpers: [pid_t] = [], tmpVolume: String? = nil,
        kill: @escaping @Sendable (HostSandbox) -> Void, releaseVolume: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.pid = pid
        self.controlFD = controlFD
        self.cgroup = cgroup
        self.helpers = helpers
        self.tmpVolume = tmpVolume
        self.kill = kill
        self.releaseVolume = releaseVolume
    }

    func initFinished() {
        cgroup?.applyCPULimit()
    }

    func peakMemoryBytes() -> UInt64? {
        cgroup?.peakMemoryBytes()
    }

    func destroy() {
        kill(self)
    }

    /// Reaps the outer process (the kernel finishes a pid namespace's processes first, then
    /// bwrap exits), empties and removes the cgroups, reaps the helpers, releases the volume.
    ///
    /// The processes are children of the server, so this polls `waitpid(WNOHANG)` rather
    /// than blocking a thread per environment; a pidfd per sandbox would wake it instead.
    func tearDown() async {
        // Stop asking once reaped: the pid may belong to a new child a moment later.
        for attempt in 0..<200 {
            if Syscalls.reap(pid) { break }
            // The outer process exits by itself once the sandbox's init is gone; make sure.
            if attempt == 20 { Syscalls.kill(pid) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        // The cgroup empties once the kernel has finished the namespace's processes.
        for _ in 0..<100 {
            if cgroup?.remove() ?? true { break }
            cgroup?.killAll()
            try? await Task.sleep(for: .milliseconds(50))
        }
        for helper in helpers {
            for _ in 0..<100 {
                if Syscalls.reap(helper) { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // Only once nothing of the sandbox can hold it (the pool unmounts lazily if busy).
        if let tmpVolume { releaseVolume(tmpVolume) }
    }
}
