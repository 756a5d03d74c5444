import BrokerGateCore
import Logging
import Synchronization

/// Per-caller token buckets (429 with `Retry-After` when empty).
///
/// Why a monotonic clock and not the business clock: a rate limit protects the process
/// from real load in real time; moving the sandbox clock must not refill every bucket.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let requestsPerSecond: Int
    private let burst: Int
    /// Who the buckets belong to, for the 429 message ("this API key", "this address").
    private let callerName: String
    /// The monotonic time source; injected so tests can hold time still.
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Bound on tracked callers; past it the table is cleared (buckets refill anyway).
    private static let callersMax = 100_000

    init(requestsPerSecond: Int, burst: Int, callerName: String, now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.callerName = callerName
        self.now = now
    }

    /// Buckets per API key.
    static func perKey(_ configuration: RateLimitConfiguration) -> RateLimiter {
        RateLimiter(
            requestsPerSecond: configuration.requestsPerSecond, burst: configuration.burst, callerName: "this API key",
            now: configuration.now)
    }

    /// Buckets per network address, for requests without a verified key.
    static func perAddress(_ configuration: RateLimitConfiguration) -> RateLimiter {
        RateLimiter(
            requestsPerSecond: configuration.ipRequestsPerSecond, burst: configuration.ipBurst, callerName: "this address",
            now: configuration.now)
    }

    /// Takes one token for `caller`, or throws a 429 error saying when to retry.
    // Token counts are request counts, not money: a Double is exact enough here.
    func take(_ caller: String) throws(DomainError) {
        let now = now()
        let rate = Double(requestsPerSecond)
        let capacity = Double(burst)
        let waitSeconds: Double? = buckets.withLock { buckets in
            if buckets.count >= Self.callersMax, buckets[caller] == nil { buckets.removeAll(keepingCapacity: true) }
            var bucket = buckets[caller] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + elapsedSeconds * rate)
            bucket.updated = now
            defer { buckets[caller] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate }
            bucket.tokens -= 1
            return nil
        }
        if let waitSeconds {
            let retry = max(1, Int(waitSeconds.rounded(.up)))
            throw DomainError(
                .rateLimited, code: "rate_limited",
                message: "too many requests for \(callerName); retry after \(retry) s (limit \(requestsPerSecond)/s, burst \(burst))",
                retryAfterSeconds: retry)
        }
    }
}

/// The per-key limit for a cluster of replicas: one token bucket per key in the shared
/// store (`SharedRateBuckets`), spent after the replica's own bucket, which keeps a flood
/// from reaching the database. If the store cannot answer, the request is let through on
/// the local limit alone and the failure logged: a rate limiter must not turn a database
/// hiccup into an outage of its own (the request's own store work fails anyway if the
/// database is really down).
struct ClusterRateLimiter: Sendable {
    let buckets: any SharedRateBuckets
    let configuration: RateLimitConfiguration
    let wallClock: any BusinessClock
    let logger: Logger

    /// Spends the API key's bucket for the cluster.
    func take(_ keyID: String) async throws {
        try await take(
            "key:\(keyID)", rate: configuration.requestsPerSecond, burst: configuration.burst, callerName: "this API key")
    }

    /// Spends the address's bucket for the cluster (traffic without a verified key).
    func takeAddress(_ address: String) async throws {
        try await take(
            "ip:\(address)", rate: configuration.ipRequestsPerSecond, burst: configuration.ipBurst, callerName: "this address")
    }

    private func take(_ bucket: String, rate: Int, burst: Int, callerName: String) async throws {
        let decision: RateDecision
        do {
            let micros = Int64((wallClock.now().timeIntervalSince1970 * 1_000_000).rounded(.down))
            decision = try await buckets.takeRateToken(bucket, ratePerSecond: rate, burst: burst, nowMicros: micros)
        } catch {
            logger.warning("cluster rate limit unavailable; the replica's own limit applies", metadata: ["error": "\(error)"])
            return
        }
        guard !decision.allowed else { return }
        let retry = max(1, Int((decision.retryAfterMicros + 999_999) / 1_000_000))
        throw DomainError(
            .rateLimited, code: "rate_limited",
            message: "too many requests for \(callerName) across the cluster; retry after \(retry) s (limit \(rate)/s, burst \(burst))",
            retryAfterSeconds: retry)
    }
}
