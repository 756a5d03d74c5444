import BrokerGateCore
import Logging
import Synchronization

/// The failed-authentication throttle for a cluster of replicas sharing PostgreSQL: the same
/// buckets as `AuthFailureThrottle` (per address, and per claimed key id for addresses that
/// have not used the key), kept in the shared store (`SharedRateBuckets`), so guesses spread
/// over replicas are counted together.
///
/// What it costs a request: nothing but a lock on the happy path. A failure spends the
/// buckets in the store (one statement each); every replica reads the drained buckets once a
/// second (`refresh`, run by `ClusterThrottleService`) and refuses them locally until they
/// refill; a replica's own failures count at once. An address that authenticated with a key
/// is announced to the store once per `announceSeconds`, so a key id locked by an outsider's
/// guesses stays open to its partner on every replica, not only the one that saw it succeed.
/// If the store cannot answer, the replica's own throttle still applies and the failure is
/// logged: a throttle must not turn a database hiccup into an outage of its own.
final class ClusterAuthThrottle: Sendable {
    let buckets: any SharedRateBuckets
    let refill: RateRefill
    let burst: Int
    let wallClock: any BusinessClock
    let logger: Logger
    /// Throttled bucket keys → until when (µs since the epoch), as last read or spent here.
    private let blocked = Mutex<[String: Int64]>([:])
    /// "keyID|address" pairs announced to the store → when.
    private let announced = Mutex<[String: Int64]>([:])

    static let prefix = "authfail:"
    static let announceSeconds: Int64 = 600
    static let drainedMax = 10_000
    private static let announcedMax = 100_000

    init(buckets: any SharedRateBuckets, configuration: RateLimitConfiguration, wallClock: any BusinessClock, logger: Logger) {
        self.buckets = buckets
        refill = RateRefill(tokens: configuration.authFailuresMax, seconds: configuration.authFailureWindowSeconds)
        burst = configuration.authFailuresMax
        self.wallClock = wallClock
        self.logger = logger
    }

    /// Throws 429 when the cluster throttles the address, or the key id for an address not
    /// known to hold its secret (`locallyKnown`: this replica saw it succeed; else the store).
    func check(address: String, keyID: String?, locallyKnown: Bool) async throws {
        let now = nowMicros()
        if let wait = waitMicros(Self.addressKey(address), now: now) { throw Self.throttled(wait) }
        guard let keyID, !locallyKnown, let wait = waitMicros(Self.keyKey(keyID), now: now) else { return }
        let touched = try? await buckets.rateBucketTouchedMicros(Self.knownKey(keyID, address))
        if let touched, now - touched < Int64(AuthFailureThrottle.knownAddressSeconds) * 1_000_000 { return }
        throw Self.throttled(wait)
    }

    /// Spends a token of the address and of the claimed key id in the shared store.
    func recordFailure(address: String, keyID: String?) async {
        let now = nowMicros()
        for key in [Self.addressKey(address)] + (keyID.map { [Self.keyKey($0)] } ?? []) {
            do {
                let decision = try await buckets.takeRateToken(key, refill: refill, burst: burst, nowMicros: now)
                if !decision.allowed { blocked.withLock { $0[key] = now + decision.retryAfterMicros } }
            } catch {
                logger.warning("cluster auth throttle unavailable; the replica's own applies", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Announces that `address` holds the secret of `keyID`, at most once per `announceSeconds`.
    func recordSuccess(address: String, keyID: String) async {
        let now = nowMicros(), pair = "\(keyID)|\(address)"
        let due = announced.withLock { announced -> Bool in
            if let last = announced[pair], now - last < Self.announceSeconds * 1_000_000 { return false }
            if announced.count >= Self.announcedMax { announced.removeAll(keepingCapacity: true) }
            announced[pair] = now
            return true
        }
        guard due else { return }
        // A bucket that never empties, touched for its timestamp alone.
        _ = try? await buckets.takeRateToken(
            Self.knownKey(keyID, address), refill: RateRefill(tokens: 1_000), burst: 1_000_000, nowMicros: now)
    }

    /// Reads what the cluster throttles now (every replica, once a second).
    func refresh() async {
        let now = nowMicros()
        do {
            let drained = try await buckets.drainedRateBuckets(prefix: Self.prefix, refill: refill, nowMicros: now, limit: Self.drainedMax)
            let fresh = Dictionary(drained.map { ($0.key, now + $0.retryAfterMicros) }, uniquingKeysWith: max)
            blocked.withLock { $0 = fresh }
        } catch {
            logger.warning("cluster auth throttle refresh failed; retried in a second", metadata: ["error": "\(error)"])
        }
    }

    private func waitMicros(_ key: String, now: Int64) -> Int64? {
        blocked.withLock { blocked in
            guard let until = blocked[key] else { return nil }
            guard until > now else {
                blocked[key] = nil
                return nil
            }
            return until - now
        }
    }

    private func nowMicros() -> Int64 { Int64((wallClock.now().timeIntervalSince1970 * 1_000_000).rounded(.down)) }

    static func addressKey(_ address: String) -> String { "\(prefix)ip:\(address)" }
    static func keyKey(_ keyID: String) -> String { "\(prefix)key:\(keyID)" }
    static func knownKey(_ keyID: String, _ address: String) -> String { "authok:\(keyID)|\(address)" }

    static func throttled(_ waitMicros: Int64) -> DomainError {
        AuthFailureThrottle.throttled(Double(waitMicros) / 1_000_000)
    }
}
