#if canImport(Glibc)
import Glibc
#endif

/// What an environment's network namespace can reach.
public enum NetworkMode: String, Sendable, CaseIterable {
    /// Loopback only: nothing outside the sandbox is reachable.
    case none
    /// Lambda's default: outbound connections to the internet through a user-mode TCP/IP
    /// stack (slirp4netns), but not the host's loopback, not the host's own addresses, and not
    /// private, shared or link-local ranges. Nothing can connect in.
    case outbound = "default"
    /// The host's own network namespace: everything the host reaches, its loopback included
    /// (Lambent's analogue of a function attached to a private VPC).
    case host
}

/// Lambda's default network for sandboxes: before the function's first instruction runs,
/// a helper installs `prohibit` routes for every blocked range in the environment's network
/// namespace, then becomes slirp4netns, which gives the namespace a tap device with a
/// default route to the outside. bwrap holds the sandbox (`--block-fd`) until slirp4netns
/// reports the network ready, and slirp4netns exits when bwrap, which holds the write end of
/// a lifetime pipe (`--sync-fd`), is gone (`--exit-fd`).
///
/// The helper waits until bwrap has brought up the namespace's loopback (bwrap does that
/// over netlink after reporting the namespace and fails if the namespace changes under it).
/// The routes are installed before the tap device exists, so if anything fails the
/// namespace has no way out: the helper then kills the sandbox, and the invocation fails
/// instead of running with more network than configured.
public struct OutboundNetwork: Sendable {
    public let slirpPath: String
    public let nsenterPath: String
    public let ipPath: String

    public init(slirpPath: String, nsenterPath: String, ipPath: String) {
        self.slirpPath = slirpPath
        self.nsenterPath = nsenterPath
        self.ipPath = ipPath
    }

    /// slirp4netns's fixed addresses inside the namespace: the gateway (the host, with
    /// `--disable-host-loopback` refusing its loopback) and the DNS forwarder.
    public static let dnsAddress = "10.0.2.3"

    /// IPv4 ranges a function may not reach in the default mode: "this network",
    /// RFC 1918 private ranges, shared address space (carrier NAT), link-local (cloud
    /// metadata endpoints live there), IETF protocol assignments, multicast and reserved.
    /// slirp4netns's own 10.0.2.0/24 stays reachable (more specific), so DNS works. Loopback
    /// is the namespace's own (its local routes come first) and is left alone: bwrap brings
    /// `lo` up concurrently, and a route there would collide with its own.
    public static let blockedRanges = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    ]

    /// Finds slirp4netns, nsenter and ip; explains what is missing otherwise. Installing the
    /// routes needs CAP_NET_ADMIN over the sandbox's namespace, so this mode needs root.
    public static func detect() -> Result<OutboundNetwork, SandboxError> {
        func find(_ name: String) -> String? {
            ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"].map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
        }
        guard getuid() == 0 else {
            return .failure(SandboxError(.unavailable, "the default network mode needs root (to install the sandbox's blocking routes)"))
        }
        guard let slirp = find("slirp4netns") else {
            return .failure(SandboxError(.unavailable, "slirp4netns is not installed: apt-get install slirp4netns"))
        }
        guard let nsenter = find("nsenter"), let ip = find("ip") else {
            return .failure(SandboxError(.unavailable, "nsenter and ip are needed: apt-get install util-linux iproute2"))
        }
        return .success(OutboundNetwork(slirpPath: slirp, nsenterPath: nsenter, ipPath: ip))
    }

    /// The blocked ranges plus each of the host's own IPv4 addresses (a server listening on
    /// 0.0.0.0 must not be reachable through the host's public address either). Read at every
    /// environment start, so addresses the host gains later are covered.
    public static func prohibitedPrefixes() -> [String] {
        blockedRanges + hostIPv4Addresses().map { "\($0)/32" }
    }

    /// The host's IPv4 addresses, from getifaddrs.
    static func hostIPv4Addresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var addresses: Set<String> = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                var raw = inet.pointee.sin_addr
                _ = inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN))
            }
            addresses.insert(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return addresses.sorted()
    }

    /// The helper, run by /bin/sh with: the sandbox's (outer bwrap's) pid, the three tools,
    /// then the prefixes to prohibit. Descriptors: 3 bwrap's `--info-fd` (JSON naming the
    /// namespace's pid), 4 bwrap's `--block-fd` (slirp4netns's `--ready-fd`), 5 the read end
    /// of the sandbox's lifetime pipe (slirp4netns's `--exit-fd`).
    public static let helperScript = #"""
        sandbox=$1 slirp=$2 nsenter=$3 ip=$4; shift 4
        fail() { echo "lambent-network: $1" >&2; kill -9 "$sandbox"; exit 1; }
        child=
        # Read the whole report: bwrap writes it in pieces and dies of SIGPIPE if the reader
        # is gone before the last one.
        while IFS= read -r line <&3; do
            case $line in *'"child-pid"'*) child=${line#*: }; child=${child%,};; "}") break;; esac
        done
        exec 3<&-
        [ -n "$child" ] || fail "the sandbox did not report its pid"
        # bwrap brings up the namespace's loopback over netlink after reporting its pid, and
        # fails if anyone else changes the namespace meanwhile: wait until lo is up (it shows
        # in if_inet6; without IPv6, its address in fib_trie) before touching anything.
        lo_up() {
            if [ -e "/proc/$child/net/if_inet6" ]; then
                while IFS= read -r entry; do case $entry in *" lo") return 0;; esac; done <"/proc/$child/net/if_inet6"
            else
                while IFS= read -r entry; do case $entry in *"127.0.0.1"*) return 0;; esac; done <"/proc/$child/net/fib_trie"
            fi
            return 1
        } 2>/dev/null
        tries=0
        until lo_up; do
            tries=$((tries + 1))
            [ "$tries" -lt 50000 ] || fail "the sandbox's loopback did not come up"
        done
        for prefix in "$@"; do echo "route add prohibit $prefix"; done |
            "$nsenter" --net="/proc/$child/ns/net" "$ip" -batch - || fail "could not install the blocking routes"
        exec "$slirp" --configure --mtu 65520 --disable-host-loopback --enable-sandbox --enable-seccomp \
            --ready-fd 4 --exit-fd 5 --netns-type=path "/proc/$child/ns/net" tap0
        """#

    /// The helper's argument vector for the sandbox whose outer process is `sandboxPID`.
    public func helperArguments(sandboxPID: pid_t, prohibited: [String]) -> [String] {
        ["/bin/sh", "-c", Self.helperScript, "lambent-network", String(sandboxPID), slirpPath, nsenterPath, ipPath]
            + prohibited
    }
}

/// Files the sandboxes see at /etc/hosts and /etc/resolv.conf, written once at startup.
public struct SandboxEtc: Sendable {
    /// `localhost` on loopback, as Lambda's /etc/hosts has it.
    public let hostsPath: String
    /// slirp4netns's DNS forwarder, for the default network mode.
    public let resolvConfPath: String

    public init(directory: String) throws(SandboxError) {
        hostsPath = "\(directory)/hosts"
        resolvConfPath = "\(directory)/resolv.conf"
        guard Self.mkdir(directory),
              Self.write("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", to: hostsPath),
              Self.write("nameserver \(OutboundNetwork.dnsAddress)\noptions timeout:2 attempts:2\n", to: resolvConfPath) else {
            throw SandboxError(.unavailable, "cannot write the sandbox's /etc files under \(directory)")
        }
    }

    private static func mkdir(_ path: String) -> Bool {
        Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST
    }

    private static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}
