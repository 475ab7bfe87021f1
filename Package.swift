// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Lambent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lambent", targets: ["lambent"]),
        .executable(name: "lambent-agent", targets: ["lambent-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // Lambda's data model, limits and AWS error catalogue. No I/O.
        .target(name: "LambentModel"),
        // SigV4 verification and signing.
        .target(name: "LambentAuth", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Deployment packages: digest, validation, safe unpacking.
        .target(name: "LambentCode", dependencies: [
            "ZIPFoundation", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Metadata store (SQLite via GRDB) and content-addressed blobs.
        .target(name: "LambentStore", dependencies: [
            "LambentModel", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The framed control channel between server and agent. No Foundation: the agent links it.
        .target(name: "LambentControl", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // The in-sandbox agent: Runtime API server and runtime supervisor. No Foundation.
        .target(name: "LambentAgentCore", dependencies: [
            "LambentControl",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Fully static: it runs inside sandboxes and needs nothing of the host's libraries, and
        // a static binary's idle RSS is smaller. glibc warns at link time that getaddrinfo and
        // dlopen (which NIO and the Swift runtime reference, and the agent never calls with
        // names) would need the shared libraries; lld's --no-warnings keeps the build clean.
        .executableTarget(
            name: "lambent-agent",
            dependencies: ["LambentAgentCore"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld", "-Xlinker", "--no-warnings"])]
        ),
        // Execution environments: sandbox drivers, lifecycle, invoker, logs.
        .target(name: "LambentExecution", dependencies: [
            "LambentModel", "LambentControl", "LambentStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The HTTP surface: Lambda REST API, Invoke, Lambent's own endpoints.
        .target(name: "LambentServer", dependencies: [
            "LambentModel", "LambentAuth", "LambentCode", "LambentStore", "LambentExecution",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ]),
        // The `lambent` command line: serve, deploy, invoke, functions, logs.
        .target(name: "LambentCLI", dependencies: [
            "LambentServer", "LambentExecution", "LambentAuth", "LambentModel", "LambentCode",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lambent", dependencies: ["LambentCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Benchmark baseline (bench/run.sh): a hello-world Hummingbird server.
        .executableTarget(name: "lambent-bench-hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
                          path: "bench/HelloServer"),
        .executableTarget(name: "lambent-bench-load", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "bench/OpenLoad"),
        .testTarget(name: "LambentModelTests", dependencies: ["LambentModel"]),
        .testTarget(name: "LambentStoreTests", dependencies: [
            "LambentStore", "LambentModel", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "LambentExecutionTests", dependencies: [
            "LambentExecution", "LambentControl", "LambentModel", "LambentStore",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "LambentControlTests", dependencies: ["LambentControl", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "LambentAgentCoreTests", dependencies: [
            "LambentAgentCore", "LambentControl",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "LambentAuthTests", dependencies: ["LambentAuth"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LambentCodeTests", dependencies: [
            "LambentCode", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "LambentServerTests", dependencies: [
            "LambentServer", "LambentExecution", "LambentModel", "LambentStore",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
    ]
)
