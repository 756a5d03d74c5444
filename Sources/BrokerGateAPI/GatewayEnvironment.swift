import BrokerGateBroker
import BrokerGateCore
import Crypto
import Foundation
import Logging
import Prometheus

/// Every dependency of the gateway in one value, as isowords' `ServerEnvironment`: tests
/// build it with a memory store and a fixed clock, the executable with the configured
/// ones, and `buildApplication` takes nothing else.
public struct GatewayEnvironment: Sendable {
    public let store: any Store
    /// The business clock; settable so the sandbox can move it.
    public let clock: any SettableClock
    public let sandbox: Bool
    public let metrics: PrometheusCollectorRegistry
    public let rateLimit: RateLimitConfiguration
    /// Folder holding `Public/` and `openapi.yaml`.
    public let webRoot: URL
    /// Seals managed wallets' private keys (`BROKERGATE_WALLET_KEY`); nil refuses managed wallets.
    public let walletKey: SymmetricKey?
    public let logger: Logger
    /// USD+ interest: the nominal annual rate in basis points, accrued as rate/365 per
    /// calendar day (`BROKERGATE_USD_PLUS_APY_BPS`, 0...10,000; 0 pays none).
    public let usdPlusAnnualRateBps: Int
    /// Where orders execute: the simulated broker unless a real adapter is configured.
    public let broker: any BrokerAdapter
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

    public init(
        store: any Store, clock: any SettableClock, sandbox: Bool, metrics: PrometheusCollectorRegistry = .init(),
        rateLimit: RateLimitConfiguration = .default, webRoot: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        walletKey: SymmetricKey? = nil, logger: Logger = Logger(label: "brokergate"), usdPlusAnnualRateBps: Int = 400,
        broker: (any BrokerAdapter)? = nil, reservesKey: SymmetricKey? = nil, orderFaults: OrderFaultInjector = .none,
        leaseClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        schedulerLease = SchedulerLease(holder: "replica-\(UUID().uuidString.lowercased().prefix(8))", now: leaseClock)
        let broker = broker ?? SimulatedBroker(store: store, clock: clock)
        self.broker = broker
        self.orderFaults = orderFaults
        reserves = ReservesAttestor(store: store, clock: clock, sealing: .resolve(reservesKey: reservesKey, walletKey: walletKey), broker: broker)
        precondition((0...InterestAccrual.rateBpsMax).contains(usdPlusAnnualRateBps), "USD+ rate outside 0...10,000 bps")
        self.usdPlusAnnualRateBps = usdPlusAnnualRateBps
        self.walletKey = walletKey
        self.store = store
        self.clock = clock
        self.sandbox = sandbox
        self.metrics = metrics
        self.rateLimit = rateLimit
        self.webRoot = webRoot
        self.logger = logger
    }
}

/// Token-bucket settings per API key (and per IP address for unauthenticated callers).
public struct RateLimitConfiguration: Sendable {
    /// Sustained requests per second.
    public var requestsPerSecond: Int
    /// Requests allowed in a burst above the sustained rate.
    public var burst: Int
    /// Monotonic time for refills: real time in production, held still by tests.
    public var now: @Sendable () -> ContinuousClock.Instant

    public init(requestsPerSecond: Int, burst: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.now = now
    }

    public static let `default` = RateLimitConfiguration(requestsPerSecond: 200, burst: 400)
}
