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
/// the local limit alone and the failure logged, and so is every request of that bucket for
/// the next `unavailableRetry`, without asking again: a rate limiter must not turn a database
/// hiccup into an outage of its own (the request's own store work fails anyway if the
/// database is really down).
///
/// Tokens are leased, not taken one per request: a replica takes up to `leaseSize` tokens
/// from the shared bucket in one statement and spends them here, for at most `leaseLifetime`;
/// what is left then is dropped, never given back. One request at a time asks the store for
/// a bucket; the others wait for its answer. After an answer of no token, the bucket is
/// refused here until it holds one again (its refill is a function of time, so the store
/// could not say otherwise meanwhile). Those local spans run on the monotonic clock
/// (`RateLimitConfiguration.now`); the store's buckets on the wall clock all replicas share.
///
/// Why: one statement per request was a round trip to PostgreSQL on every authenticated
/// request, and every request of one key updated that key's row. With leases, market buys
/// on PostgreSQL ran 9.5 % faster and `GET entities/me` 6.4 times as fast (BENCHMARKS.md,
/// stop 45). What it costs: a replica may spend tokens up to a lifetime after it took them, so
/// over a short window the cluster can pass its limit by one lease per replica; and a lease a
/// replica does not use up is lost to the others. A lease is a twentieth of the sustained
/// rate (a quarter of the burst at most), so at the default 200/s that is 10 tokens; a rate
/// under 40/s leases one token at a time, as before.
final class ClusterRateLimiter: Sendable {
    let buckets: any SharedRateBuckets
    let configuration: RateLimitConfiguration
    let wallClock: any BusinessClock
    let logger: Logger
    /// Leased tokens per bucket key.
    private let leases = Mutex<[String: Lease]>([:])

    /// A lease's tokens are dropped this long after it was taken.
    static let leaseLifetime = Duration.seconds(1)
    /// After the store failed to answer, requests of the bucket pass on the local limit for
    /// this long before one asks it again.
    static let unavailableRetry = Duration.seconds(1)
    /// Bound on tracked buckets (keys and addresses); past it, all but those with a take in
    /// flight are forgotten (their tokens are lost, never granted twice).
    static let bucketsMax = 100_000

    private struct Lease {
        /// Tokens in hand, until `expires`.
        var tokens = 0
        var expires = ContinuousClock.Instant.now
        /// Refused here until then: the shared bucket held less than a token.
        var emptyUntil: ContinuousClock.Instant?
        /// Let through on the local limit until then: the store did not answer.
        var unavailableUntil: ContinuousClock.Instant?
        /// A request is asking the store; these wait for its answer.
        var isTaking = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private enum Step {
        case granted
        case refused(wait: Duration)
        case letThrough
        case wait
        case take
    }

    init(buckets: any SharedRateBuckets, configuration: RateLimitConfiguration, wallClock: any BusinessClock, logger: Logger) {
        self.buckets = buckets
        self.configuration = configuration
        self.wallClock = wallClock
        self.logger = logger
    }

    /// Tokens one store statement leases for a bucket of `rate` a second and `burst`.
    static func leaseSize(rate: Int, burst: Int) -> Int { max(1, min(rate / 20, burst / 4)) }

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
        while true {
            let now = configuration.now()
            switch leases.withLock({ Self.step(&$0, bucket, now: now) }) {
            case .granted, .letThrough:
                return
            case .refused(let wait):
                throw Self.refusal(wait, callerName: callerName, rate: rate, burst: burst)
            case .wait:
                await waitForTake(bucket)
            case .take:
                let grant: RateGrant
                do {
                    grant = try await buckets.takeRateTokens(
                        bucket, upTo: Self.leaseSize(rate: rate, burst: burst), refill: RateRefill(tokens: rate), burst: burst,
                        nowMicros: Int64((wallClock.now().timeIntervalSince1970 * 1_000_000).rounded(.down)))
                } catch {
                    finishTake(bucket, grant: nil, now: now)
                    logger.warning("cluster rate limit unavailable; the replica's own limit applies", metadata: ["error": "\(error)"])
                    return
                }
                if finishTake(bucket, grant: grant, now: now) { return }
                throw Self.refusal(.microseconds(grant.retryAfterMicros), callerName: callerName, rate: rate, burst: burst)
            }
        }
    }

    /// What a request does next for `bucket`, with the lock held.
    private static func step(_ leases: inout [String: Lease], _ bucket: String, now: ContinuousClock.Instant) -> Step {
        if leases.count >= bucketsMax, leases[bucket] == nil { leases = leases.filter { $0.value.isTaking } }
        var lease = leases[bucket] ?? Lease()
        defer { leases[bucket] = lease }
        if lease.tokens > 0, lease.expires > now {
            lease.tokens -= 1
            return .granted
        }
        lease.tokens = 0
        if let until = lease.emptyUntil, until > now { return .refused(wait: until - now) }
        if let until = lease.unavailableUntil, until > now { return .letThrough }
        if lease.isTaking { return .wait }
        lease.isTaking = true
        return .take
    }

    /// Keeps what the store granted (one of it for the request that asked) and wakes the
    /// requests that waited; true when the asking request got a token. A failed take (nil)
    /// lets the bucket's requests through for `unavailableRetry`, the waiting ones included.
    @discardableResult
    private func finishTake(_ bucket: String, grant: RateGrant?, now: ContinuousClock.Instant) -> Bool {
        let (waiters, granted) = leases.withLock { leases -> ([CheckedContinuation<Void, Never>], Bool) in
            var lease = leases[bucket] ?? Lease()
            defer {
                lease.waiters = []
                lease.isTaking = false
                leases[bucket] = lease
            }
            guard let grant else {
                lease.unavailableUntil = now + Self.unavailableRetry
                return (lease.waiters, false)
            }
            lease.unavailableUntil = nil
            if grant.granted > 0 {
                lease.tokens = grant.granted - 1
                lease.expires = now + Self.leaseLifetime
            } else {
                lease.emptyUntil = now + .microseconds(max(1, grant.retryAfterMicros))
            }
            return (lease.waiters, grant.granted > 0)
        }
        for waiter in waiters { waiter.resume() }
        return granted
    }

    /// Returns when the take in flight for `bucket` has its answer (at once if it has already).
    private func waitForTake(_ bucket: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = leases.withLock { leases -> Bool in
                guard leases[bucket]?.isTaking == true else { return true }
                leases[bucket]?.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private static func refusal(_ wait: Duration, callerName: String, rate: Int, burst: Int) -> DomainError {
        let (seconds, attoseconds) = wait.components
        let retry = max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
        return DomainError(
            .rateLimited, code: "rate_limited",
            message: "too many requests for \(callerName) across the cluster; retry after \(retry) s (limit \(rate)/s, burst \(burst))",
            retryAfterSeconds: retry)
    }
}
