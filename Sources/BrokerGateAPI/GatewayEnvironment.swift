import BrokerGateCore
import Crypto
import Foundation
import Logging
import Prometheus

/// Every dependency of the gateway in one value, as isowords' `ServerEnvironment`: tests
/// build it with a memory store and a fixed clock, the executable with the configured
/// ones, and `buildApplication` takes nothing else (its composition root,
/// `GatewayServices`, builds every service from it once). What decides behaviour has no
/// default: the broker, the trading calendar and the price model are always given, and a
/// test that wants none passes `UnimplementedBroker`, which fails loudly if used.
public struct GatewayEnvironment: Sendable {
    public let store: any Store
    /// The business clock; settable so the sandbox can move it.
    public let clock: any SettableClock
    public let sandbox: Bool
    public let metrics: PrometheusCollectorRegistry
    public let rateLimit: RateLimitConfiguration
    public let connectionLimits: ConnectionLimits
    /// Real time for the audit trail, which keeps wall-clock instants even when the sandbox
    /// moves the business clock. Injected like every clock.
    public let wallClock: any BusinessClock
    /// Where the audit trail is written: the main store unless another is given (e.g. a
    /// write-once store; tests give a failing one).
    public let auditStore: any Store
    /// True when the trail lives in the main store, so a command's audit record commits in
    /// the command's own transaction.
    public let auditSharesStore: Bool
    /// Folder holding `Public/` and `openapi.yaml`.
    public let webRoot: URL
    /// Seals managed wallets' private keys (`BROKERGATE_WALLET_KEY`); nil refuses managed wallets.
    public let walletKey: SymmetricKey?
    public let logger: Logger
    /// Writes the access log's lines (`RequestMiddleware`).
    public let accessLog: any AccessLogWriter
    /// USD+ interest: the nominal annual rate in basis points, accrued as rate/365 per
    /// calendar day (`BROKERGATE_USD_PLUS_APY_BPS`, 0...10,000; 0 pays none).
    public let usdPlusAnnualRateBps: Int
    /// Where orders execute. No default: a test that forgot it must not silently trade
    /// against a production-like simulator (the executable passes `SimulatedBroker`).
    public let broker: any BrokerAdapter
    /// The exchange calendar every session rule, expiry and market-hours answer reads.
    public let calendar: TradingCalendar
    /// Prices and the stock universe (the simulated market's model).
    public let prices: PriceModel
    /// The alloys offered: the built-ins unless the operator configured others (`--alloys`).
    public let alloys: AlloyCatalog
    /// Crash points for the durability tests (sandbox only); `.none` in production.
    public let orderFaults: OrderFaultInjector
    /// Signs reserves reports. Its key is sealed in the store under `BROKERGATE_RESERVES_KEY`,
    /// else under a key derived from the wallet key, else ephemeral (`ReservesSealingKey`).
    public let reserves: ReservesAttestor
    /// The latest reconciliation of this process, for `/ready`, `/metrics` and operators.
    public let reconciliation = ReconciliationMonitor()
    /// The scheduler lease this replica claims, and whether it holds it now.
    public let schedulerLease: SchedulerLease
    public let schedulerRole = SchedulerRole()
    /// Verified keys seen within this time are not read again (`APIKeyCache`); a revoked
    /// key stops working on every replica within it.
    public let apiKeyCacheTimeToLive: Duration
    /// Where webhooks may go: https and public addresses outside the sandbox, loopback in
    /// it, private networks with `--webhook-allow-private`.
    public let webhookPolicy: WebhookAddressPolicy
    /// Resolves receivers' host names (the system resolver; tests give fixed answers).
    public let webhookResolver: any WebhookResolver
    /// When failed deliveries are tried again (compressed to seconds in the sandbox).
    public let webhookRetry: WebhookRetryPolicy
    /// How long an order that never reached the broker waits for it before ending in ERROR.
    public let brokerUnreachableLimit: TimeInterval
    /// Failed broker calls in a row after which such an order ends in ERROR (backing off between).
    public let brokerAttemptsMax: Int
    /// The EVM chain tokens live on (`--chain evm:URL`); nil is the ledger-only chain.
    public let chain: ChainEnvironment?
    /// Reverse proxies whose forwarding headers name the client (`--trusted-proxies`).
    public let trustedProxies: TrustedProxies
    /// How long idempotency keys replay, and the purge of what expires (`RetentionService`).
    public let retention: RetentionPolicy

    public init(
        store: any Store, clock: any SettableClock, sandbox: Bool, metrics: PrometheusCollectorRegistry = .init(),
        rateLimit: RateLimitConfiguration = .default, connectionLimits: ConnectionLimits = .default,
        wallClock: any BusinessClock = SystemClock(), auditStore: (any Store)? = nil,
        webRoot: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        walletKey: SymmetricKey? = nil, logger: Logger = Logger(label: "brokergate"), usdPlusAnnualRateBps: Int = 400,
        broker: any BrokerAdapter, calendar: TradingCalendar, prices: PriceModel, reservesKey: SymmetricKey? = nil,
        orderFaults: OrderFaultInjector = .none,
        apiKeyCacheTimeToLive: Duration = .seconds(2), webhookAllowPrivate: Bool = false,
        webhookResolver: any WebhookResolver = SystemWebhookResolver(), webhookRetry: WebhookRetryPolicy? = nil,
        brokerUnreachableLimit: TimeInterval = 300, brokerAttemptsMax: Int = 8, chain: ChainEnvironment? = nil,
        alloys: AlloyCatalog = .builtIn, trustedProxies: TrustedProxies = .none, retention: RetentionPolicy = .standard,
        accessLog: any AccessLogWriter = LoggerAccessLog()
    ) {
        self.accessLog = accessLog
        self.trustedProxies = trustedProxies
        self.retention = retention
        self.alloys = alloys
        self.brokerUnreachableLimit = brokerUnreachableLimit
        self.brokerAttemptsMax = brokerAttemptsMax
        self.chain = chain
        webhookPolicy = WebhookAddressPolicy(sandbox: sandbox, allowPrivate: webhookAllowPrivate)
        self.webhookResolver = webhookResolver
        self.webhookRetry = webhookRetry ?? (sandbox ? .sandbox : .production)
        self.apiKeyCacheTimeToLive = apiKeyCacheTimeToLive
        // The lease runs on real time: moving the sandbox clock must not hand the jobs around.
        schedulerLease = SchedulerLease(holder: "replica-\(UUIDText.random().prefix(8))", now: { wallClock.now() })
        self.broker = broker
        self.calendar = calendar
        self.prices = prices
        self.orderFaults = orderFaults
        reserves = ReservesAttestor(
            store: store, clock: clock, sealing: .resolve(reservesKey: reservesKey, walletKey: walletKey), broker: broker,
            chain: chain?.supplyCheck)
        precondition((0...InterestAccrual.rateBpsMax).contains(usdPlusAnnualRateBps), "USD+ rate outside 0...10,000 bps")
        self.usdPlusAnnualRateBps = usdPlusAnnualRateBps
        self.walletKey = walletKey
        self.store = store
        self.clock = clock
        self.sandbox = sandbox
        self.metrics = metrics
        self.rateLimit = rateLimit
        self.connectionLimits = connectionLimits
        self.wallClock = wallClock
        self.auditStore = auditStore ?? store
        auditSharesStore = auditStore == nil
        self.webRoot = webRoot
        self.logger = logger
    }
}

extension GatewayEnvironment {
    /// An environment still holding stand-ins for dependencies: `buildApplication` refuses
    /// it at start, naming each, rather than failing at the first request that needs one.
    public struct Incomplete: Error, CustomStringConvertible {
        public let missing: [String]

        public var description: String {
            "GatewayEnvironment is missing \(missing.joined(separator: ", ")): pass a real implementation"
                + " (the executable passes SimulatedBroker; tests pass SimulatedBroker or a test double)"
        }
    }

    /// The dependencies still left as stand-ins.
    public var unimplemented: [String] {
        [broker as Any].compactMap { ($0 as? any UnimplementedDependency)?.dependencyName }
    }

    func requireComplete() throws {
        if !unimplemented.isEmpty { throw Incomplete(missing: unimplemented) }
    }
}

/// A stand-in for a dependency nobody provided (isowords' "unimplemented" values): any use
/// throws, naming it, and `buildApplication` refuses an environment that holds one.
public protocol UnimplementedDependency {
    var dependencyName: String { get }
}

/// The broker of an environment that must not trade: every call throws `Incomplete`.
public struct UnimplementedBroker: BrokerAdapter, UnimplementedDependency {
    public var dependencyName: String { "broker" }

    public init() {}

    private func fail() -> GatewayEnvironment.Incomplete { GatewayEnvironment.Incomplete(missing: [dependencyName]) }
    public func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState { throw fail() }
    public func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { throw fail() }
    public func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { throw fail() }
    public func book() async throws -> BrokerBook { throw fail() }
    public func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws { throw fail() }
}

/// Token-bucket settings per API key and per network address, and the failed-authentication
/// throttle (`AuthFailureThrottle`).
public struct RateLimitConfiguration: Sendable {
    /// Sustained requests per second per API key.
    public var requestsPerSecond: Int
    /// Requests allowed in a burst above the sustained rate, per API key.
    public var burst: Int
    /// Sustained requests per second per address for traffic without a verified key (public
    /// routes, failed authentications).
    public var ipRequestsPerSecond: Int
    /// Burst per address for that traffic.
    public var ipBurst: Int
    /// Failed authentications an address (or a key id) may make in a burst before it gets 429.
    public var authFailuresMax: Int
    /// The failure allowance refills fully over this many seconds.
    public var authFailureWindowSeconds: Int
    /// Monotonic time for refills: real time in production, held still by tests.
    public var now: @Sendable () -> ContinuousClock.Instant

    public init(
        requestsPerSecond: Int, burst: Int, ipRequestsPerSecond: Int? = nil, ipBurst: Int? = nil, authFailuresMax: Int = 20,
        authFailureWindowSeconds: Int = 60, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.ipRequestsPerSecond = ipRequestsPerSecond ?? requestsPerSecond
        self.ipBurst = ipBurst ?? burst
        self.authFailuresMax = authFailuresMax
        self.authFailureWindowSeconds = authFailureWindowSeconds
        self.now = now
    }

    public static let `default` = RateLimitConfiguration(
        requestsPerSecond: 200, burst: 400, ipRequestsPerSecond: 100, ipBurst: 200, authFailuresMax: 20, authFailureWindowSeconds: 60)
}

/// Bounds on connections, so slow or numerous clients cannot hold the server's sockets,
/// memory or tasks (STYLE.md: put a limit on everything).
public struct ConnectionLimits: Sendable {
    /// A connection that sends nothing (not even a complete request head) and awaits no
    /// response for this long is closed. Bounds slow-loris header trickling.
    public var idleTimeoutSeconds: Int
    /// A request body must arrive completely within this many seconds of the handler asking
    /// for it, else 408. Bounds bodies trickled a byte at a time below the idle timeout.
    public var bodyReadTimeoutSeconds: Int
    /// Open connections at once; past it new ones are closed on accept.
    public var connectionsMax: Int
    /// Bytes of all request header fields together (413-class failures close the connection).
    public var headerBytesMax: Int
    /// Number of request header fields.
    public var headerFieldsMax: Int

    public init(
        idleTimeoutSeconds: Int = 30, bodyReadTimeoutSeconds: Int = 60, connectionsMax: Int = 1_024, headerBytesMax: Int = 32 << 10,
        headerFieldsMax: Int = 100
    ) {
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.bodyReadTimeoutSeconds = bodyReadTimeoutSeconds
        self.connectionsMax = connectionsMax
        self.headerBytesMax = headerBytesMax
        self.headerFieldsMax = headerFieldsMax
    }

    public static let `default` = ConnectionLimits()
}

/// The on-chain side of the gateway (`--chain evm:URL`): the node, the deployed contracts and
/// how deep a transaction must be before it counts.
public struct ChainEnvironment: Sendable {
    public let adapter: any ChainAdapter
    public let deployment: ChainDeployment
    /// Blocks on top of (and including) a transaction's before it is CONFIRMED.
    public let confirmations: UInt64
    /// Depth at which a confirmed transaction is re-checked once more and made FINAL.
    public let finalityDepth: UInt64
    /// An unmined transaction older than this is replaced with higher fees (same nonce).
    public let replaceAfter: TimeInterval
    /// How long a self-custody quote's permit may be used (`BROKERGATE_PERMIT_SECONDS`).
    public let permitLifetime: TimeInterval

    public init(
        adapter: any ChainAdapter, deployment: ChainDeployment, confirmations: UInt64, finalityDepth: UInt64,
        replaceAfter: TimeInterval = 60, permitLifetime: TimeInterval = 1_800
    ) {
        self.permitLifetime = permitLifetime
        self.adapter = adapter
        self.deployment = deployment
        self.confirmations = confirmations
        self.finalityDepth = finalityDepth
        self.replaceAfter = replaceAfter
    }

    var supplyCheck: ChainSupplyCheck { ChainSupplyCheck(adapter: adapter, deployment: deployment) }
}
