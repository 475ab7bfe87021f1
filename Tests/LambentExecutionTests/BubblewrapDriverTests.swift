import LambentExecution
import Testing

@Suite("BubblewrapDriver")
struct BubblewrapDriverTests {
    static let dataDirectory = "/srv/lambent-data"
    static let codeDirectory = "\(dataDirectory)/code/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
    static let runtimeDirectory = "\(dataDirectory)/runtimes/python3.12"

    static func spec(environment: [String: String] = ["AWS_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "hello", "_HANDLER": "app.handler"],
                     ephemeralStorageMB: Int = 512, network: NetworkMode = .none) -> SandboxSpec {
        SandboxSpec(
            environmentID: "env-1", codeDirectory: codeDirectory, mounts: [SandboxMount(host: runtimeDirectory, sandbox: "/var/runtime")],
            agentPath: "/opt/lambent/bin/lambent-agent",
            runtimeCommand: ["/var/runtime/bin/python3", "-m", "awslambdaric", "app.handler"],
            environment: environment, memoryMB: 128, ephemeralStorageMB: ephemeralStorageMB,
            diagnosticsPath: "\(dataDirectory)/environments/env-1.log", network: network)
    }

    static func arguments(_ spec: SandboxSpec = spec()) throws -> [String] {
        try BubblewrapDriver(bwrapPath: "/usr/bin/bwrap").arguments(for: spec)
    }

    /// The (source, destination) of every bind of the given kind.
    static func binds(_ args: [String], _ flags: Set<String>) -> [(source: String, target: String)] {
        var result: [(source: String, target: String)] = []
        var index = 0
        while index < args.count {
            if flags.contains(args[index]), index + 2 < args.count {
                result.append((args[index + 1], args[index + 2]))
                index += 3
            } else {
                index += 1
            }
        }
        return result
    }

    /// The options bwrap reads, i.e. everything before the `--` that starts the command.
    static func options(_ args: [String]) -> ArraySlice<String> {
        args[..<(args.firstIndex(of: "--") ?? args.endIndex)]
    }

    static func contains(_ args: [String], _ sequence: [String]) -> Bool {
        guard args.count >= sequence.count else { return false }
        return (0...(args.count - sequence.count)).contains { Array(args[$0..<($0 + sequence.count)]) == sequence }
    }

    @Test("finds bwrap at the given path and names itself")
    func initWithPath() throws {
        let driver = try BubblewrapDriver(bwrapPath: "/usr/bin/bwrap")
        #expect(driver.bwrapPath == "/usr/bin/bwrap")
        #expect(driver.name == "namespaces")
    }

    @Test("throws unavailable, with an install hint, when bwrap is missing")
    func initMissing() {
        do {
            _ = try BubblewrapDriver(bwrapPath: "/nonexistent/bin/bwrap")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("apt-get install bubblewrap"))
        }
    }

    @Test("starts with bwrap and isolates every namespace, the user's included")
    func namespaces() throws {
        let args = try Self.arguments()
        #expect(args.first == "/usr/bin/bwrap")
        let options = Self.options(args)
        for flag in ["--die-with-parent", "--new-session", "--unshare-user", "--disable-userns", "--unshare-pid",
                     "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup"] {
            #expect(options.contains(flag), "\(flag)")
        }
        #expect(!options.contains("--share-net"))
    }

    @Test("runs as uid and gid 993 with no capabilities and the seccomp filter on descriptor 4")
    func privileges() throws {
        let args = try Self.arguments()
        #expect(Self.contains(args, ["--uid", "993", "--gid", "993"]))
        #expect(Self.contains(args, ["--cap-drop", "ALL"]))
        #expect(Self.contains(args, ["--seccomp", "4"]))
        #expect(!args.contains("--cap-add"))
    }

    @Test("binds code at /var/task, the runtime at /var/runtime and the agent, read-only")
    func readOnlyBinds() throws {
        let args = try Self.arguments()
        #expect(Self.contains(args, ["--ro-bind", Self.codeDirectory, "/var/task"]))
        #expect(Self.contains(args, ["--ro-bind", Self.runtimeDirectory, "/var/runtime"]))
        #expect(Self.contains(args, ["--ro-bind", "/opt/lambent/bin/lambent-agent", "/var/lambent/agent"]))
        #expect(Self.contains(args, ["--chdir", "/var/task"]))
    }

    @Test("binds nothing writable from the host")
    func nothingWritable() throws {
        let options = Self.options(try Self.arguments())
        for flag in ["--bind", "--bind-try", "--dev-bind", "--dev-bind-try", "--bind-fd"] {
            #expect(!options.contains(flag), "\(flag)")
        }
    }

    @Test("exposes no part of the data directory but the function's code and runtime")
    func dataDirectoryHidden() throws {
        let args = try Self.arguments()
        let binds = Self.binds(Array(Self.options(args)), ["--ro-bind", "--ro-bind-try", "--bind", "--bind-try", "--dev-bind", "--dev-bind-try"])
        #expect(!binds.isEmpty)
        for bind in binds {
            let source = bind.source.hasSuffix("/") ? bind.source : bind.source + "/"
            #expect(!(Self.dataDirectory + "/").hasPrefix(source), "\(bind.source) exposes the data directory")
            if bind.source.hasPrefix(Self.dataDirectory + "/") {
                #expect([Self.codeDirectory, Self.runtimeDirectory].contains(bind.source), "\(bind.source) is bound")
            }
        }
        #expect(!args.contains { $0.contains("environments/env-1.log") }, "the diagnostics file stays outside")
        #expect(!args.contains { $0.contains("credentials") || $0.contains("lambent.sqlite") })
    }

    @Test("gives /tmp a private tmpfs of the function's ephemeral storage", arguments: [512, 1024, 10240])
    func tmpfs(_ megabytes: Int) throws {
        let args = try Self.arguments(Self.spec(ephemeralStorageMB: megabytes))
        #expect(Self.contains(args, ["--perms", "1777", "--size", String(megabytes * 1024 * 1024), "--tmpfs", "/tmp"]))
    }

    @Test("clears the host environment and sets each variable, in key order")
    func environment() throws {
        let args = try Self.arguments()
        let options = Array(Self.options(args))
        let clear = try #require(options.firstIndex(of: "--clearenv"))
        let setenvs = options.indices.filter { options[$0] == "--setenv" }
        #expect(setenvs.count == 3)
        #expect(setenvs.allSatisfy { $0 > clear })
        #expect(setenvs.map { options[$0 + 1] } == ["AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "_HANDLER"])
        #expect(Self.contains(options, ["--setenv", "AWS_REGION", "us-east-1"]))
        #expect(Self.contains(options, ["--setenv", "AWS_LAMBDA_FUNCTION_NAME", "hello"]))
        #expect(Self.contains(options, ["--setenv", "_HANDLER", "app.handler"]))
    }

    @Test("keeps hostile variable values as single arguments")
    func hostileValues() throws {
        let value = "x --bind / /host -- /bin/sh"
        let args = try Self.arguments(Self.spec(environment: ["EVIL": value]))
        #expect(Self.contains(args, ["--setenv", "EVIL", value]))
        #expect(!Self.options(args).contains("--bind"))
    }

    @Test("ends with the agent on descriptor 3, then the runtime command")
    func command() throws {
        let args = try Self.arguments()
        let tail = ["--", "/var/lambent/agent", "--control-fd", "3", "--", "/var/runtime/bin/python3", "-m", "awslambdaric", "app.handler"]
        #expect(Array(args.suffix(tail.count)) == tail)
        #expect(args.filter { $0 == "--" }.count == 2)
    }

    @Test("is deterministic")
    func deterministic() throws {
        #expect(try Self.arguments() == Self.arguments())
    }

    // MARK: Network modes

    static let outbound = OutboundNetwork(slirpPath: "/usr/bin/slirp4netns", nsenterPath: "/usr/bin/nsenter", ipPath: "/usr/sbin/ip")

    @Test("none: a network namespace of its own with loopback only, no helper descriptors")
    func networkNone() throws {
        let options = Self.options(try Self.arguments(Self.spec(network: .none)))
        #expect(options.contains("--unshare-net"))
        #expect(!options.contains("--info-fd") && !options.contains("--block-fd") && !options.contains("--sync-fd"))
    }

    @Test("default: its own namespace, held on descriptor 6 until the helper has set it up")
    func networkOutbound() throws {
        let driver = try BubblewrapDriver(bwrapPath: "/usr/bin/bwrap", outbound: Self.outbound)
        let args = driver.arguments(for: Self.spec(network: .outbound))
        #expect(Self.options(args).contains("--unshare-net"))
        #expect(Self.contains(args, ["--info-fd", "5", "--block-fd", "6", "--sync-fd", "7"]))
    }

    @Test("default without slirp4netns falls back to none, never to more")
    func networkOutboundUnavailable() throws {
        let args = try Self.arguments(Self.spec(network: .outbound))
        #expect(Self.options(args).contains("--unshare-net"))
        #expect(!Self.options(args).contains("--block-fd"))
    }

    @Test("host: shares the host's network namespace and its name service files")
    func networkHost() throws {
        let options = Self.options(try Self.arguments(Self.spec(network: .host)))
        #expect(!options.contains("--unshare-net"))
        #expect(!options.contains("--block-fd"))
    }

    @Test("the helper prohibits private, shared and link-local ranges and the host's own addresses")
    func prohibitedPrefixes() {
        let prefixes = OutboundNetwork.prohibitedPrefixes()
        for range in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] {
            #expect(prefixes.contains(range), "\(range)")
        }
        // Loopback is the namespace's own; a route there would collide with bwrap's set-up.
        #expect(!prefixes.contains { $0.hasPrefix("127.") })
        let arguments = Self.outbound.helperArguments(sandboxPID: 4242, prohibited: ["10.0.0.0/8"])
        #expect(Array(arguments.suffix(5)) == ["4242", "/usr/bin/slirp4netns", "/usr/bin/nsenter", "/usr/sbin/ip", "10.0.0.0/8"])
        #expect(OutboundNetwork.helperScript.contains("--disable-host-loopback"))
    }
}
