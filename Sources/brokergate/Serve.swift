import ArgumentParser
import BrokerGateAPI
import BrokerGateBroker
import BrokerGateCore
import BrokerGateStores
import Foundation
import Hummingbird
import Logging

/// `brokergate serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway (the default command).",
        discussion: "Flags override BROKERGATE_* environment variables, which override the defaults shown.")

    @Option(help: "Address to listen on (env BROKERGATE_HOST). Default 127.0.0.1; use 0.0.0.0 in containers.")
    var host: String?

    @Option(help: "TCP port, 0-65535; 0 picks a free port (env BROKERGATE_PORT). Default 8080.")
    var port: Int?

    @Option(
        help:
            "Store: memory | sqlite:PATH | postgres://USER[:PW]@HOST:PORT/DB (env BROKERGATE_STORE). Default sqlite:./data/brokergate.sqlite."
    )
    var store: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Sandbox mode: faucet and the settable business clock (env BROKERGATE_SANDBOX=true|false). Default on.")
    var sandbox: Bool?

    @Flag(
        help:
            "Let webhook endpoints point at loopback and private networks (env BROKERGATE_WEBHOOK_ALLOW_PRIVATE=true). Default off: outside --sandbox receivers must be https on public addresses; link-local (cloud metadata) addresses are refused even with this flag."
    )
    var webhookAllowPrivate: Bool = false

    @Option(
        help:
            "Start the business clock at this ISO 8601 instant, e.g. 2026-11-28T15:00:00Z; it then runs at real speed (env BROKERGATE_CLOCK). Default: now."
    )
    var clock: String?

    @Option(
        help:
            "Broker: simulated (in process) | alpaca (Alpaca's Trading API v2, or alpaca-sim: BROKERGATE_ALPACA_BASE_URL, _STREAM_URL, _KEY_ID, _SECRET_KEY) (env BROKERGATE_BROKER). Default simulated."
    )
    var broker: String?

    @Option(
        help:
            "Where tokens live: ledger (ledger rows only) | evm:URL (ERC-20 contracts on an Ethereum JSON-RPC node, minter key in BROKERGATE_CHAIN_KEY; run brokergate chain deploy first) (env BROKERGATE_CHAIN). Default ledger."
    )
    var chain: String?

    @Option(help: "Blocks a chain transaction needs (its own included) before it counts (env BROKERGATE_CHAIN_CONFIRMATIONS). Default 2.")
    var chainConfirmations: Int?

    @Option(
        help:
            "Depth at which a transaction's receipt is checked once more, so a reorg is caught, then never again (env BROKERGATE_CHAIN_FINALITY_DEPTH). Default 64."
    )
    var chainFinalityDepth: Int?

    @Option(
        help:
            "Alloys to offer: a JSON file of baskets ({\"include_built_ins\": true, \"alloys\": [{\"symbol\", \"name\", \"constituents\": [{\"symbol\", \"quantity\"}]}]}; see README) (env BROKERGATE_ALLOYS). Default: the built-in equal-weight sector baskets."
    )
    var alloys: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env BROKERGATE_LOG_LEVEL). Default info.")
    var logLevel: String?

    @Option(help: "Folder holding Public/ and openapi.yaml (env BROKERGATE_WEB_ROOT). Default: the current directory.")
    var webRoot: String?

    @Option(help: "Sustained requests per second allowed per API key or IP address (env BROKERGATE_RATE_LIMIT_RPS). Default 200.")
    var rateLimitRps: Int?

    @Option(help: "Burst allowance above the sustained rate (env BROKERGATE_RATE_LIMIT_BURST). Default 400.")
    var rateLimitBurst: Int?

    @Option(
        name: .customLong("rate-limit-ip-rps"),
        help:
            "Sustained requests per second per IP address for traffic without a valid key: public routes and failed authentications (env BROKERGATE_RATE_LIMIT_IP_RPS). Default 100."
    )
    var rateLimitIPRps: Int?

    @Option(
        name: .customLong("rate-limit-ip-burst"),
        help: "Burst per IP address above that rate (env BROKERGATE_RATE_LIMIT_IP_BURST). Default 200.")
    var rateLimitIPBurst: Int?

    @Option(
        help:
            "Failed authentications an IP address or a key id may make in a burst before every request from it gets 429 (env BROKERGATE_AUTH_FAILURES_MAX). Default 20."
    )
    var authFailuresMax: Int?

    @Option(help: "Seconds over which that allowance refills (env BROKERGATE_AUTH_FAILURE_WINDOW_SECONDS). Default 60.")
    var authFailureWindowSeconds: Int?

    @Option(
        help:
            "Close a connection idle (or still sending its request head) this many seconds (env BROKERGATE_IDLE_TIMEOUT_SECONDS). Default 30."
    )
    var idleTimeoutSeconds: Int?

    @Option(help: "A request body must arrive within this many seconds, else 408 (env BROKERGATE_BODY_TIMEOUT_SECONDS). Default 60.")
    var bodyTimeoutSeconds: Int?

    @Option(help: "Open connections at once; more are closed on accept (env BROKERGATE_MAX_CONNECTIONS). Default 1024.")
    var maxConnections: Int?

    @Option(
        help:
            "Reverse proxies allowed to name the client: comma-separated CIDR blocks or addresses, IPv4 or IPv6, e.g. 10.0.0.0/8,::1 (env BROKERGATE_TRUSTED_PROXIES). Only a peer inside one has its X-Forwarded-For / Forwarded read; the client is the right-most address there that is not a trusted proxy. Default none: the TCP peer is the client."
    )
    var trustedProxies: String?

    @Option(
        help:
            "Hours an Idempotency-Key replays its first response; older keys are new again and their records are purged by the scheduler (env BROKERGATE_IDEMPOTENCY_RETENTION_HOURS). Default 24, 1-720."
    )
    var idempotencyRetentionHours: Int?

    @Option(
        help:
            "Days events are kept for the event feed and webhook deliveries; older ones are purged by the scheduler once fanned out (env BROKERGATE_EVENT_RETENTION_DAYS). Default 30, 1-3650."
    )
    var eventRetentionDays: Int?

    @Option(
        help:
            "Export OpenTelemetry traces over OTLP/HTTP (protobuf) to this traces endpoint, e.g. http://127.0.0.1:4318/v1/traces (env BROKERGATE_OTEL_ENDPOINT). Needs a binary built with --traits OTel. Default: traces off."
    )
    var otelEndpoint: String?

    @Option(help: "service.name of the exported traces (env BROKERGATE_OTEL_SERVICE_NAME). Default brokergate.")
    var otelServiceName: String?

    @Option(
        help:
            "Share of new traces recorded, 0 to 1; a request's traceparent keeps its caller's decision (env BROKERGATE_OTEL_SAMPLE_RATIO). Default 1."
    )
    var otelSampleRatio: String?

    func run() async throws {
        let settings = try ServeSettings(flags: self, environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap(
            { label, provider in JSONLogHandler(label: label, level: settings.logLevel, metadataProvider: provider) },
            metadataProvider: settings.traces.loggingMetadataProvider)
        let logger = Logger(label: "brokergate")
        let telemetry = try settings.traces.bootstrap(logger: logger)
        let store: any Store
        IdentifierOrder.current = settings.store.identifierOrder
        do {
            let opened = try await settings.store.open(logger: logger)
            store = settings.traces.endpoint == nil ? opened : tracingTransactions(of: opened)
        } catch {
            throw ConfigurationError(message: "cannot open store \(settings.store): \(String(reflecting: error))")
        }
        let clock = OffsetClock(start: settings.clockStart)
        // Before the keys: a chain without contracts is a configuration error, and the first
        // start must not print generated keys for a gateway that then refuses to run.
        let chain = try await settings.chain.environment(store: store, logger: logger)
        try await Bootstrap(store: store, clock: clock, logger: logger).ensureKeys(settings.bootstrapKeys)
        let environment = GatewayEnvironment(
            store: store, clock: clock, sandbox: settings.sandbox,
            rateLimit: settings.rateLimit, connectionLimits: settings.connectionLimits, webRoot: settings.webRoot,
            walletKey: settings.walletKey, logger: logger, usdPlusAnnualRateBps: settings.usdPlusAnnualRateBps,
            broker: settings.broker.adapter(store: store, clock: clock, halted: settings.haltedSymbols, logger: logger),
            calendar: .nyse, prices: .standard, reservesKey: settings.reservesKey,
            orderFaults: settings.orderFaults, webhookAllowPrivate: settings.webhookAllowPrivate,
            brokerUnreachableLimit: settings.brokerUnreachableLimit, brokerAttemptsMax: settings.brokerAttemptsMax,
            chain: chain, alloys: settings.alloys, trustedProxies: settings.trustedProxies, retention: settings.retention,
            // With a tracer, lines carry the trace's ids from the metadata provider: through the logger.
            accessLog: settings.traces.loggingMetadataProvider == nil ? JSONAccessLog(output: .standardError) : LoggerAccessLog())
        do {
            // Opens (or creates) the reserves signing key now: a key that no longer opens the
            // stored one is a configuration error, not a stream of 503s later.
            _ = try await environment.reserves.signingKeys()
        } catch let error as DomainError {
            throw ConfigurationError(message: error.message)
        }
        let app = try buildApplication(environment: environment, host: settings.host, port: settings.port, telemetry: telemetry)
        logger.info(
            "starting",
            metadata: [
                "host": "\(settings.host)", "port": "\(settings.port)", "store": "\(settings.store)",
                "sandbox": "\(settings.sandbox)", "business_time": "\(clock.now())", "broker": "\(settings.broker)",
                "chain": "\(settings.chain)", "traces": "\(settings.traces)",
            ])
        try await app.runService()
        logger.info("stopped")
    }
}
