// swift-tools-version: 6.1
import PackageDescription

// Dependencies point inward: API → Core ← Stores/Broker, and Core → Crypto. Core has no
// HTTP and no SQL. Each target lists exactly the modules it imports.
let package = Package(
    name: "BrokerGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "brokergate", targets: ["brokergate"]),
        .executable(name: "alpaca-sim", targets: ["alpaca-sim"]),
    ],
    // `swift build --traits OTel` links swift-otel into the gateway to export traces over
    // OTLP/HTTP. Off by default: swift-otel adds minutes to every clean build, and the
    // instrumentation itself (swift-distributed-tracing) is in every build as no-ops.
    traits: [
        .trait(name: "OTel", description: "Export OpenTelemetry traces over OTLP/HTTP (swift-otel)")
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        // The tracing API (Hummingbird already builds it); with no tracer bootstrapped its spans are no-ops.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // The OTLP/HTTP exporter, built only under our OTel trait; gRPC never.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "BrokerGateCore",
            dependencies: [
                "BrokerGateCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Test support shared by every module's tests: the memory store set up with a
        // trading customer, and broker doubles.
        .target(name: "BrokerGateTesting", dependencies: ["BrokerGateCore", "BrokerGateStores"]),
        // secp256k1, Keccak-256, EIP-55 addresses and EIP-191 signing: plain Swift, no Core types.
        .target(
            name: "BrokerGateCrypto",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Client spans around outgoing HTTP calls and the trace context they carry (no-ops
        // until a tracer is bootstrapped): shared by the broker, chain and webhook edges.
        .target(
            name: "BrokerGateTracing",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "BrokerGateStores",
            dependencies: [
                "BrokerGateCore",
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The simulated broker, and the Alpaca adapter with the wire shapes it shares with alpaca-sim.
        .target(
            name: "BrokerGateBroker",
            dependencies: [
                "BrokerGateCore",
                "BrokerGateTracing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Ethereum: RLP, EIP-1559 transactions, the Solidity ABI, a JSON-RPC client, and the
        // chain adapter Core's token services use.
        .target(
            name: "BrokerGateChain",
            dependencies: [
                "BrokerGateCore",
                "BrokerGateCrypto",
                "BrokerGateTracing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // An Alpaca-compatible broker (Trading API v2 REST and the trade_updates stream) over
        // the simulated broker's matching: what the sandbox and the tests trade against with
        // --broker alpaca, and what a partner can run to rehearse.
        .target(
            name: "AlpacaSim",
            dependencies: [
                "BrokerGateBroker",
                "BrokerGateCore",
                "BrokerGateStores",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "alpaca-sim",
            dependencies: [
                "AlpacaSim",
                "BrokerGateCore",
                "BrokerGateStores",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BrokerGateAPI",
            dependencies: [
                "BrokerGateCore",
                "BrokerGateCrypto",
                "BrokerGateTracing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "brokergate",
            dependencies: [
                "BrokerGateAPI",
                "BrokerGateChain",
                "BrokerGateCore",
                "BrokerGateCrypto",
                "BrokerGateStores",
                "BrokerGateBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTel"])),
            ]
        ),
        // Reporting-only benchmarks (scripts/bench); never part of the test suite.
        // BrokerGateBench: Core micro-benchmarks, the raw-SQLite baseline and the store seeder.
        .target(name: "CAllocationCounter", path: "Sources/Benchmarks/CAllocationCounter"),
        .executableTarget(
            name: "BrokerGateBench",
            dependencies: ["BrokerGateCore", "BrokerGateStores", "BrokerGateBroker", "CSQLite", "CAllocationCounter"],
            path: "Sources/Benchmarks/BrokerGateBench"),
        // The HTTP baselines the gateway is measured against: the same JSON body from raw
        // SwiftNIO and from a bare Hummingbird router.
        .executableTarget(
            name: "BaselineNIO",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Benchmarks/BaselineNIO"),
        .executableTarget(
            name: "BaselineHummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/Benchmarks/BaselineHummingbird"),
        .testTarget(name: "brokergateTests", dependencies: ["brokergate"]),
        .testTarget(
            name: "BrokerGateCoreTests",
            dependencies: ["BrokerGateCore", "BrokerGateCrypto", "BrokerGateTesting", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "BrokerGateCryptoTests", dependencies: ["BrokerGateCrypto", "BrokerGateTesting"]),
        .testTarget(name: "BrokerGateChainTests", dependencies: ["BrokerGateChain", "BrokerGateCrypto"]),
        .testTarget(
            name: "BrokerGateStoresTests",
            dependencies: [
                // The broker only to fill orders in stores that migrate-store then copies.
                "BrokerGateCore", "BrokerGateStores", "BrokerGateTesting", "BrokerGateBroker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "BrokerGateBrokerTests",
            dependencies: [
                "AlpacaSim", "BrokerGateBroker", "BrokerGateCore", "BrokerGateStores", "BrokerGateTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "BrokerGateAPITests",
            dependencies: [
                "BrokerGateAPI",
                "BrokerGateBroker",
                "BrokerGateCore",
                "BrokerGateCrypto",
                "BrokerGateStores",
                "BrokerGateTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// A nonisolated async function runs on its caller's executor (SE-0461) instead of hopping to
// the generic one on every call: on the SQLite writer's thread each such hop was a
// `swift_task_switch` asking for the task's preferred executor, about 5 % of its samples in
// a market buy. Conformances to Hummingbird's protocols keep `@concurrent` where its
// requirements have it. alpaca-sim is a separate program and keeps the language's default.
let callerIsolatedTargets = package.targets.filter {
    $0.type != .system && !["CAllocationCounter", "AlpacaSim", "alpaca-sim"].contains($0.name)
}
for target in callerIsolatedTargets {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
}
