import BrokerGateCore
import Synchronization

/// Throttles credential guessing: every failed authentication (a wrong or missing API key, a
/// bad KYC link token) spends a token of the caller's address and of the key id it claimed.
/// When either bucket is empty every request from that address, or for that key id, is
/// answered 429 with `Retry-After` *before* any secret is checked, so guesses cannot be tested
/// while throttled. Buckets refill at `failuresMax` per `windowSeconds`.
///
/// Why the key-id lock spares known addresses: key ids are not secret, so without that an
/// outsider could lock a partner out of its own key by sending wrong secrets for it. An address
/// that authenticated with the key in the last `knownAddressSeconds` keeps using it; guesses
/// from that same address are still stopped by the address's own bucket.
final class AuthFailureThrottle: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        /// "keyID|address" → last successful authentication.
        var knownAddresses: [String: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())
    private let failuresMax: Int
    private let windowSeconds: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Bound on tracked callers; past it a table is cleared (an attacker rotating addresses
    /// then gets fresh buckets, which the per-address request limit still bounds).
    private static let callersMax = 100_000
    static let knownAddressSeconds = 3_600

    init(_ configuration: RateLimitConfiguration) {
        failuresMax = configuration.authFailuresMax
        windowSeconds = configuration.authFailureWindowSeconds
        now = configuration.now
    }

    /// Throws 429 when the address or (for an unknown address) the key id is throttled.
    func check(address: String, keyID: String?) throws(DomainError) {
        let now = now()
        let wait: Double? = state.withLock { state in
            if let wait = Self.wait(in: &state, "ip:\(address)", now: now, rate: rate, capacity: capacity) { return wait }
            guard let keyID, !isKnown(state, keyID: keyID, address: address, now: now) else { return nil }
            return Self.wait(in: &state, "key:\(keyID)", now: now, rate: rate, capacity: capacity)
        }
        if let wait { throw Self.throttled(wait) }
    }

    /// Spends a token of the address and of the claimed key id.
    func recordFailure(address: String, keyID: String?) {
        let now = now()
        state.withLock { state in
            if state.buckets.count >= Self.callersMax { state.buckets.removeAll(keepingCapacity: true) }
            for caller in ["ip:\(address)"] + (keyID.map { ["key:\($0)"] } ?? []) {
                var bucket = Self.refilled(state.buckets[caller], now: now, rate: rate, capacity: capacity)
                bucket.tokens = max(0, bucket.tokens - 1)
                state.buckets[caller] = bucket
            }
        }
    }

    /// Remembers that `address` holds the secret of `keyID`.
    func recordSuccess(address: String, keyID: String) {
        let now = now()
        state.withLock { state in
            if state.knownAddresses.count >= Self.callersMax { state.knownAddresses.removeAll(keepingCapacity: true) }
            state.knownAddresses["\(keyID)|\(address)"] = now
        }
    }

    private var rate: Double { Double(failuresMax) / Double(windowSeconds) }
    private var capacity: Double { Double(failuresMax) }

    /// Whether `address` authenticated with `keyID` on this replica within `knownAddressSeconds`.
    func isKnown(keyID: String, address: String) -> Bool {
        let now = now()
        return state.withLock { isKnown($0, keyID: keyID, address: address, now: now) }
    }

    private func isKnown(_ state: State, keyID: String, address: String, now: ContinuousClock.Instant) -> Bool {
        guard let seen = state.knownAddresses["\(keyID)|\(address)"] else { return false }
        return now - seen < .seconds(Self.knownAddressSeconds)
    }

    // Token counts are attempt counts, not money: a Double is exact enough here.
    private static func refilled(_ bucket: Bucket?, now: ContinuousClock.Instant, rate: Double, capacity: Double) -> Bucket {
        guard var bucket else { return Bucket(tokens: capacity, updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(capacity, bucket.tokens + seconds * rate)
        bucket.updated = now
        return bucket
    }

    /// Seconds until `caller` may try again, or nil when it has a token.
    private static func wait(
        in state: inout State, _ caller: String, now: ContinuousClock.Instant, rate: Double, capacity: Double
    ) -> Double? {
        guard state.buckets[caller] != nil else { return nil }
        let bucket = refilled(state.buckets[caller], now: now, rate: rate, capacity: capacity)
        state.buckets[caller] = bucket
        return bucket.tokens >= 1 ? nil : (1 - bucket.tokens) / rate
    }

    static func throttled(_ waitSeconds: Double) -> DomainError {
        let retry = max(1, Int(waitSeconds.rounded(.up)))
        return DomainError(
            .rateLimited, code: "too_many_failed_authentications",
            message: "too many failed authentications from this address or for this key id; retry after \(retry) s",
            retryAfterSeconds: retry)
    }
}
