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

    public init(
        store: any Store, clock: any SettableClock, sandbox: Bool, metrics: PrometheusCollectorRegistry = .init(),
        rateLimit: RateLimitConfiguration = .default, webRoot: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        walletKey: SymmetricKey? = nil, logger: Logger = Logger(label: "brokergate")
    ) {
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
