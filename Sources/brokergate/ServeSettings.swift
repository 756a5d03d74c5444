import BrokerGateAPI
import BrokerGateCore
import BrokerGateCrypto
import BrokerGateStores
import Crypto
import Foundation
import Logging

/// The validated configuration of `serve`: flag, else `BROKERGATE_*` environment, else
/// default. Every invalid value throws a `ConfigurationError` naming the flag and the fix.
struct ServeSettings {
    let host: String
    let port: Int
    let store: StoreSpec
    let sandbox: Bool
    let clockStart: Date?
    let logLevel: Logger.Level
    let webRoot: URL
    let rateLimit: RateLimitConfiguration
    let connectionLimits: ConnectionLimits
    let bootstrapKeys: BootstrapKeys
    let walletKey: SymmetricKey?
    /// Seals the reserves signing key (env `BROKERGATE_RESERVES_KEY`, 64 hex); when unset the
    /// sealing key is derived from the wallet key (HKDF), else reports use an ephemeral key.
    let reservesKey: SymmetricKey?
    /// USD+ interest rate in basis points a year (env `BROKERGATE_USD_PLUS_APY_BPS`, default 400).
    let usdPlusAnnualRateBps: Int
    /// Symbols the simulated broker treats as halted (env `BROKERGATE_HALTED_SYMBOLS`,
    /// comma-separated): submissions are rejected, working orders wait.
    let haltedSymbols: Set<String>
    /// A crash point for the durability tests (env `BROKERGATE_CRASH_AT=POINT:MARKER_FILE`,
    /// sandbox only): the first time the order path reaches POINT while MARKER_FILE does not
    /// exist, the process creates it and kills itself with SIGKILL.
    let crashAt: (point: OrderFaultPoint, marker: String)?
    /// `--webhook-allow-private` / `BROKERGATE_WEBHOOK_ALLOW_PRIVATE`: receivers on loopback
    /// and private networks (never link-local) are accepted outside the sandbox too.
    let webhookAllowPrivate: Bool
    /// Where orders go (`--broker`, `BROKERGATE_BROKER`).
    let broker: BrokerSetting
    /// Where tokens live (`--chain`, `BROKERGATE_CHAIN`).
    let chain: ChainSetting
    /// How long an order that never reached the broker waits for it before ending in ERROR
    /// (env `BROKERGATE_BROKER_UNREACHABLE_SECONDS`, default 300).
    let brokerUnreachableLimit: TimeInterval
    let brokerAttemptsMax: Int
    /// The alloys offered (`--alloys`, `BROKERGATE_ALLOYS`; default the built-ins).
    let alloys: AlloyCatalog
    /// Proxies whose forwarding headers name the client (`--trusted-proxies`,
    /// `BROKERGATE_TRUSTED_PROXIES`; default none).
    let trustedProxies: TrustedProxies
    /// How long idempotency keys replay (`--idempotency-retention-hours`, default 24) and
    /// events are kept (`--event-retention-days`, default 30).
    let retention: RetentionPolicy
    /// Where traces go (`--otel-endpoint`, `BROKERGATE_OTEL_ENDPOINT`; default off).
    let traces: TraceSetting

    init(flags: Serve, environment env: [String: String]) throws {
        func value(_ flag: String?, _ name: String) -> String? { flag ?? env["BROKERGATE_\(name)"] }

        host = value(flags.host, "HOST") ?? "127.0.0.1"
        guard !host.isEmpty, host.utf8.count <= 253 else { throw ConfigurationError(message: "--host must be a host name or IP address") }
        port = try Self.integer(flags.port, env["BROKERGATE_PORT"], flag: "--port", default: 8080, range: 0...65535)
        do {
            store = try value(flags.store, "STORE").map { text throws(DomainError) in try StoreSpec(parsing: text) } ?? .defaultValue
        } catch {
            throw ConfigurationError(message: error.message)
        }
        sandbox = try flags.sandbox ?? Self.boolean(env["BROKERGATE_SANDBOX"], flag: "BROKERGATE_SANDBOX") ?? true
        webhookAllowPrivate =
            try flags.webhookAllowPrivate
            || Self.boolean(env["BROKERGATE_WEBHOOK_ALLOW_PRIVATE"], flag: "BROKERGATE_WEBHOOK_ALLOW_PRIVATE") ?? false
        clockStart = try value(flags.clock, "CLOCK").map { text in
            guard let date = ISO8601Instant.parse(text) else {
                throw ConfigurationError(
                    message: "--clock must be an ISO 8601 instant such as 2026-11-28T15:00:00Z (got \(text.prefix(60)))")
            }
            return date
        }
        let levelText = value(flags.logLevel, "LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError(
                message: "--log-level must be one of trace, debug, info, notice, warning, error, critical (got \(levelText.prefix(40)))")
        }
        logLevel = level
        webRoot = URL(fileURLWithPath: value(flags.webRoot, "WEB_ROOT") ?? FileManager.default.currentDirectoryPath)
        let defaults = RateLimitConfiguration.default
        func limit(_ flag: Int?, _ name: String, _ option: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            try Self.integer(flag, env["BROKERGATE_\(name)"], flag: option, default: fallback, range: range)
        }
        rateLimit = RateLimitConfiguration(
            requestsPerSecond: try limit(
                flags.rateLimitRps, "RATE_LIMIT_RPS", "--rate-limit-rps", defaults.requestsPerSecond, 1...1_000_000),
            burst: try limit(flags.rateLimitBurst, "RATE_LIMIT_BURST", "--rate-limit-burst", defaults.burst, 1...1_000_000),
            ipRequestsPerSecond: try limit(
                flags.rateLimitIPRps, "RATE_LIMIT_IP_RPS", "--rate-limit-ip-rps", defaults.ipRequestsPerSecond, 1...1_000_000),
            ipBurst: try limit(flags.rateLimitIPBurst, "RATE_LIMIT_IP_BURST", "--rate-limit-ip-burst", defaults.ipBurst, 1...1_000_000),
            authFailuresMax: try limit(
                flags.authFailuresMax, "AUTH_FAILURES_MAX", "--auth-failures-max", defaults.authFailuresMax, 1...1_000_000),
            authFailureWindowSeconds: try limit(
                flags.authFailureWindowSeconds, "AUTH_FAILURE_WINDOW_SECONDS", "--auth-failure-window-seconds",
                defaults.authFailureWindowSeconds, 1...86_400))
        let connections = ConnectionLimits.default
        connectionLimits = ConnectionLimits(
            idleTimeoutSeconds: try limit(
                flags.idleTimeoutSeconds, "IDLE_TIMEOUT_SECONDS", "--idle-timeout-seconds", connections.idleTimeoutSeconds, 1...3_600),
            bodyReadTimeoutSeconds: try limit(
                flags.bodyTimeoutSeconds, "BODY_TIMEOUT_SECONDS", "--body-timeout-seconds", connections.bodyReadTimeoutSeconds, 1...3_600),
            connectionsMax: try limit(
                flags.maxConnections, "MAX_CONNECTIONS", "--max-connections", connections.connectionsMax, 1...1_000_000))
        bootstrapKeys = try BootstrapKeys(environment: env)
        usdPlusAnnualRateBps = try Self.integer(
            nil, env["BROKERGATE_USD_PLUS_APY_BPS"], flag: "BROKERGATE_USD_PLUS_APY_BPS", default: 400,
            range: 0...InterestAccrual.rateBpsMax)
        reservesKey = try env["BROKERGATE_RESERVES_KEY"].map { hex in
            guard let bytes = Hex.decode(hex), bytes.count == 32 else {
                throw ConfigurationError(
                    message: "BROKERGATE_RESERVES_KEY must be 64 hex digits (32 random bytes, e.g. openssl rand -hex 32)")
            }
            return SymmetricKey(data: bytes)
        }
        haltedSymbols = try Set(
            (env["BROKERGATE_HALTED_SYMBOLS"] ?? "").split(separator: ",").map { raw in
                let symbol = raw.trimmingCharacters(in: .whitespaces).uppercased()
                guard StockUniverse.standard.stock(symbol: symbol) != nil else {
                    throw ConfigurationError(
                        message: "BROKERGATE_HALTED_SYMBOLS names \(symbol.prefix(12)), which is not a listed stock symbol")
                }
                return symbol
            })
        let sandbox = sandbox
        crashAt = try env["BROKERGATE_CRASH_AT"].map { text in
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            let points = OrderFaultPoint.allCases.map(\.rawValue).joined(separator: ", ")
            guard parts.count == 2, let point = OrderFaultPoint(rawValue: parts[0]), !parts[1].isEmpty else {
                throw ConfigurationError(message: "BROKERGATE_CRASH_AT must be POINT:MARKER_FILE with POINT one of \(points)")
            }
            guard sandbox else {
                throw ConfigurationError(message: "BROKERGATE_CRASH_AT is a sandbox-only test hook; unset it or run with --sandbox")
            }
            return (point, parts[1])
        }
        broker = try BrokerSetting(flag: flags.broker, environment: env)
        chain = try ChainSetting(
            flag: flags.chain, confirmations: flags.chainConfirmations, finalityDepth: flags.chainFinalityDepth, environment: env)
        alloys = try AlloySetting.catalog(flag: flags.alloys, environment: env)
        traces = try TraceSetting(
            endpoint: flags.otelEndpoint, serviceName: flags.otelServiceName, sampleRatio: flags.otelSampleRatio, environment: env)
        let retentionHours = try limit(
            flags.idempotencyRetentionHours, "IDEMPOTENCY_RETENTION_HOURS", "--idempotency-retention-hours",
            Int(IdempotencyPolicy.retentionSeconds / 3600), RetentionPolicy.idempotencyHoursRange)
        let eventDays = try limit(
            flags.eventRetentionDays, "EVENT_RETENTION_DAYS", "--event-retention-days", Int(RetentionPolicy.eventSecondsDefault / 86_400),
            RetentionPolicy.eventDaysRange)
        retention = RetentionPolicy(idempotencySeconds: TimeInterval(retentionHours) * 3600, eventSeconds: TimeInterval(eventDays) * 86_400)
        do {
            trustedProxies = try TrustedProxies(parsing: value(flags.trustedProxies, "TRUSTED_PROXIES") ?? "")
        } catch {
            throw ConfigurationError(message: error.message)
        }
        brokerUnreachableLimit = TimeInterval(
            try Self.integer(
                nil, env["BROKERGATE_BROKER_UNREACHABLE_SECONDS"], flag: "BROKERGATE_BROKER_UNREACHABLE_SECONDS", default: 300,
                range: 1...86_400))
        brokerAttemptsMax = try Self.integer(
            nil, env["BROKERGATE_BROKER_ATTEMPTS_MAX"], flag: "BROKERGATE_BROKER_ATTEMPTS_MAX", default: 8, range: 1...1_000)
        walletKey = try env["BROKERGATE_WALLET_KEY"].map { hex in
            guard let bytes = Hex.decode(hex), bytes.count == 32 else {
                throw ConfigurationError(
                    message: "BROKERGATE_WALLET_KEY must be 64 hex digits (32 random bytes, e.g. openssl rand -hex 32)")
            }
            return SymmetricKey(data: bytes)
        }
    }

    static func integer(
        _ flag: Int?, _ env: String?, flag name: String, default fallback: Int, range: ClosedRange<Int>
    ) throws -> Int {
        let parsed: Int
        if let flag {
            parsed = flag
        } else if let env {
            guard let number = Int(env) else { throw ConfigurationError(message: "\(name) must be a whole number (got \(env.prefix(40)))") }
            parsed = number
        } else {
            parsed = fallback
        }
        guard range.contains(parsed) else {
            throw ConfigurationError(message: "\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(parsed))")
        }
        return parsed
    }

    private static func boolean(_ text: String?, flag: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(message: "\(flag) must be true or false (got \(text.prefix(20)))")
        }
    }
}

/// Bootstrap API keys from the environment; each pair is all-or-nothing.
struct BootstrapKeys {
    struct Pair {
        let id: APIKeyID
        let secret: String
    }

    let partner: Pair?
    let `operator`: Pair?

    init(environment env: [String: String]) throws {
        partner = try Self.pair(env, prefix: "BROKERGATE_PARTNER")
        `operator` = try Self.pair(env, prefix: "BROKERGATE_OPERATOR")
    }

    private static func pair(_ env: [String: String], prefix: String) throws -> Pair? {
        switch (env["\(prefix)_KEY_ID"], env["\(prefix)_SECRET"]) {
        case (nil, nil):
            return nil
        case (let id?, let secret?):
            guard let keyID = APIKeyID(parsing: id) else {
                throw ConfigurationError(message: "\(prefix)_KEY_ID must be 1-128 characters of A-Z a-z 0-9 - _ .")
            }
            guard (APIKeyRecord.secretLengthMin...APIKeyRecord.secretLengthMax).contains(secret.count) else {
                throw ConfigurationError(
                    message: "\(prefix)_SECRET must be \(APIKeyRecord.secretLengthMin) to \(APIKeyRecord.secretLengthMax) characters")
            }
            return Pair(id: keyID, secret: secret)
        default:
            throw ConfigurationError(message: "set both \(prefix)_KEY_ID and \(prefix)_SECRET, or neither")
        }
    }
}

/// Makes sure the bootstrap keys exist before the server accepts requests.
struct Bootstrap {
    let store: any Store
    let clock: any BusinessClock
    let logger: Logger

    func ensureKeys(_ keys: BootstrapKeys) async throws {
        let service = OrganizationService(clock: clock)
        for (role, pair) in [(OrganizationRole.partner, keys.partner), (.operator, keys.operator)] {
            let generated: IssuedKey?
            do {
                generated = try await store.transaction { tx -> IssuedKey? in
                    if let pair {
                        try await service.ensureBootstrapKey(role: role, keyID: pair.id, secret: pair.secret, in: tx)
                        return nil
                    }
                    return try await service.generateKeyIfNone(role: role, in: tx)
                }
            } catch let error as DomainError {
                throw ConfigurationError(message: error.message)
            }
            if let generated {
                // Printed once, on the first start, to stdout and never logged: only its hash is stored.
                // Written unbuffered: a buffered print could be lost if the process is killed.
                FileHandle.standardOutput.write(
                    Data(
                        "Generated \(role.rawValue.lowercased()) API key (shown once, store it now): key id \(generated.id)  secret \(generated.secret)\n"
                            .utf8))
            }
        }
    }
}

extension ServeSettings {
    /// The crash hook of `crashAt`, or none.
    var orderFaults: OrderFaultInjector {
        guard let (point, marker) = crashAt else { return .none }
        return OrderFaultInjector { reached in
            guard reached == point, !FileManager.default.fileExists(atPath: marker) else { return }
            _ = FileManager.default.createFile(atPath: marker, contents: Data(point.rawValue.utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
