import Foundation
import LambentModel
import Logging
import Testing

@testable import LambentExecution

/// What the language runtimes tell the sandbox, without starting one.
@Suite("Language runtimes")
struct LanguageRuntimeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("Node.js gets AWS's bootstrap's command line: heap sized from memory, experiments off")
    func nodeCommand() {
        #expect(NodeRuntime.command(node: "/var/lang/bin/node", version: NodeVersion(major: 24, minor: 11), memoryMB: 128) == [
            "/var/lang/bin/node", "--expose-gc", "--max-http-header-size", "81920",
            "--max-semi-space-size=6", "--max-old-space-size=116", "/var/runtime/index.mjs",
        ])
        #expect(NodeRuntime.command(node: "/usr/bin/node", version: NodeVersion(major: 22, minor: 20), memoryMB: 1024).suffix(5) == [
            "--max-semi-space-size=51", "--max-old-space-size=922", "--no-experimental-require-module",
            "--no-experimental-detect-module", "/var/runtime/index.mjs",
        ])
        // NODE_OPTIONS that sizes the heap or turns an experiment back on wins.
        let custom = NodeRuntime.command(node: "node", version: NodeVersion(major: 22, minor: 1), memoryMB: 512,
                                         nodeOptions: "--max-old-space-size=100 --experimental-require-module")
        #expect(custom == ["node", "--expose-gc", "--max-http-header-size", "81920", "--no-experimental-detect-module",
                           "/var/runtime/index.mjs"])
        // Node 20 has the require-module flag from 20.17 on only.
        #expect(NodeRuntime.command(node: "node", version: NodeVersion(major: 20, minor: 20), memoryMB: 128)
            .contains("--no-experimental-require-module"))
        #expect(!NodeRuntime.command(node: "node", version: NodeVersion(major: 20, minor: 9), memoryMB: 128)
            .contains("--no-experimental-require-module"))
        #expect(NodeRuntime.nodePath(major: 22).hasPrefix("/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:"))
    }

    @Test("Node.js runtime ids and interpreter versions")
    func nodeVersions() {
        #expect(NodeRuntime.major(of: "nodejs22.x") == 22)
        #expect(NodeRuntime.major(of: "python3.12") == nil)
        #expect(NodeVersion("v20.20.2\n") == NodeVersion(major: 20, minor: 20))
        #expect(NodeVersion("garbage") == nil)
    }

    @Test("the host's node serves its own major, with the client at /var/runtime and NODE_PATH a default")
    func nodeProvisionsHostInterpreter() async throws {
        guard let output = try? HostCommand.run(["/usr/bin/node", "--version"]),
              let major = NodeVersion(output.text)?.major, [20, 22, 24].contains(major) else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("node-runtime-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = NodeRuntime(runtimesDirectory: directory, logger: Logger(label: "test"))
        let launch = try await runtime.provision(RuntimeRequest(runtimeID: "nodejs\(major).x", handler: "index.handler"))
        #expect(launch.command.first == "/usr/bin/node")
        #expect(launch.variables["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs\(major).x")
        #expect(launch.defaultVariables["NODE_PATH"] == NodeRuntime.nodePath(major: major))
        let client = try #require(launch.mounts.first { $0.sandbox == "/var/runtime" })
        for file in EmbeddedClient.nodejs.files {
            #expect(try String(contentsOfFile: "\(client.host)/\(file.name)", encoding: .utf8) == file.text)
        }
    }

    @Test("the embedded clients are runtime-clients/ as committed", arguments: [EmbeddedClient.nodejs, EmbeddedClient.java, EmbeddedClient.ruby])
    func embeddedClientsAreCurrent(_ client: EmbeddedClient) throws {
        let folder = Self.repository.appendingPathComponent("runtime-clients/\(client.name)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(client.files.map(\.name) == names, "run scripts/embed-runtime-clients.py")
        for file in client.files {
            let text = try String(contentsOf: folder.appendingPathComponent(file.name), encoding: .utf8)
            #expect(text == file.text, "run scripts/embed-runtime-clients.py (\(file.name) changed)")
        }
    }

    @Test("Java: AWS's command line, heap from memory, and the JDK each id runs on")
    func javaCommandAndJDKs() {
        let command = JavaRuntime.command(java: "/usr/lib/jvm/x/bin/java", memoryMB: 128, handler: "example.Handler::run")
        #expect(command.prefix(3) == ["/usr/lib/jvm/x/bin/java", "-XX:MaxHeapSize=111412k", "-XX:+UseSerialGC"])
        #expect(command.suffix(2) == ["lambent.runtime.Main", "example.Handler::run"])
        #expect(JavaRuntime.command(java: "java", memoryMB: 10238, handler: "h")[1] == "-XX:MaxHeapSize=10237952k")
        #expect(JavaRuntime.majorVersion(release: "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"17.0.15\"\n") == 17)
        #expect(JavaRuntime.majorVersion(release: "JAVA_VERSION=\"1.8.0_402\"") == 8)
        let jdks = [JavaRuntime.JDK(home: "/a", major: 17), JavaRuntime.JDK(home: "/b", major: 25)]
        #expect(JavaRuntime.choose(major: 17, from: jdks)?.home == "/a")
        #expect(JavaRuntime.choose(major: 21, from: jdks)?.home == "/b")
        #expect(JavaRuntime.choose(major: 26, from: jdks)?.home == "/b")
        #expect(JavaRuntime.choose(major: 17, from: []) == nil)
    }

    @Test("a custom runtime without its own bootstrap runs its layers'")
    func providedFallsBackToLayerBootstrap() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("provided-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let code = root.appendingPathComponent("task"), layers = root.appendingPathComponent("opt")
        try FileManager.default.createDirectory(at: code, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: layers, withIntermediateDirectories: true)
        var request = RuntimeRequest(runtimeID: "provided.al2023", handler: "x", codeDirectory: code.path, layersDirectory: layers.path)
        #expect(ProvidedRuntime.bootstrap(for: request) == "/var/task/bootstrap")
        try Data("#!/bin/sh\n".utf8).write(to: layers.appendingPathComponent("bootstrap"))
        #expect(ProvidedRuntime.bootstrap(for: request) == "/opt/bootstrap")
        try Data("#!/bin/sh\n".utf8).write(to: code.appendingPathComponent("bootstrap"))
        #expect(ProvidedRuntime.bootstrap(for: request) == "/var/task/bootstrap")
        request.layersDirectory = nil
        #expect(ProvidedRuntime.bootstrap(for: request) == "/var/task/bootstrap")
    }
}

extension EmbeddedClient: CustomTestStringConvertible {
    public var testDescription: String { name }
}

@Suite("Container images")
struct ContainerImageTests {
    @Test("ImageConfig overrides ENTRYPOINT, CMD and WorkingDir one by one")
    func launch() {
        let image = FunctionImage(imageUri: "r/a:1", resolvedImageUri: "r/a@sha256:x", digest: "sha256:x",
                                  entryPoint: ["/lambda-entrypoint.sh"], command: ["app.handler"], workingDirectory: "/var/task",
                                  environment: ["PATH=/usr/bin", "A=1", "A=2", "B=x=y"])
        #expect(image.launch(with: nil) == (["/lambda-entrypoint.sh", "app.handler"], "/var/task"))
        #expect(image.launch(with: ImageConfig(command: ["other.handler"])) == (["/lambda-entrypoint.sh", "other.handler"], "/var/task"))
        #expect(image.launch(with: ImageConfig(entryPoint: ["/bin/run"], workingDirectory: "/tmp")) == (["/bin/run", "app.handler"], "/tmp"))
        #expect(image.variables == ["PATH": "/usr/bin", "A": "1", "B": "x=y"])
    }

    @Test("an image's root: entries bound read-only, directories on the way to Lambent's files rebuilt")
    func root() throws {
        let rootfs = FileManager.default.temporaryDirectory.appendingPathComponent("image-root-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: rootfs) }
        for directory in ["usr/bin", "var/task", "etc"] {
            try FileManager.default.createDirectory(at: rootfs.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        try FileManager.default.createSymbolicLink(atPath: rootfs.appendingPathComponent("bin").path, withDestinationPath: "usr/bin")
        try Data().write(to: rootfs.appendingPathComponent("etc/hosts"))
        try Data().write(to: rootfs.appendingPathComponent("etc/passwd"))
        let args = ImageRoot(rootfs: rootfs.path).arguments(injecting: ["/etc/hosts", "/var/lambent/agent"])
        let root = rootfs.path
        #expect(args == [
            "--tmpfs", "/",
            "--symlink", "usr/bin", "/bin",
            "--dir", "/etc", "--ro-bind", "\(root)/etc/passwd", "/etc/passwd",
            "--ro-bind", "\(root)/usr", "/usr",
            "--dir", "/var", "--ro-bind", "\(root)/var/task", "/var/task", "--dir", "/var/lambent",
        ])
    }
}
