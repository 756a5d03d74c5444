import Foundation

/// One rate-limit decision: whether the request may proceed, and if not, how long until a
/// token is back.
public struct RateDecision: Sendable, Equatable {
    public let allowed: Bool
    public let retryAfterMicros: Int64

    public init(allowed: Bool, retryAfterMicros: Int64) {
        self.allowed = allowed
        self.retryAfterMicros = retryAfterMicros
    }
}

/// What a take of several tokens got: `granted` of those asked for (0 when the bucket held
/// less than one), and when it got none, how long until the bucket holds one.
public struct RateGrant: Sendable, Equatable {
    public let granted: Int
    public let retryAfterMicros: Int64

    public init(granted: Int, retryAfterMicros: Int64) {
        self.granted = granted
        self.retryAfterMicros = retryAfterMicros
    }
}

/// Token buckets kept in a store that several replicas share, so a rate limit holds for
/// the cluster and not per process. Each take is one atomic statement (refill by elapsed
/// time, take the whole tokens asked for that are there), outside any business transaction.
/// Token counts are integers in millionths of a request, so no floating point is involved.
public protocol SharedRateBuckets: Sendable {
    /// Refills `key`'s bucket (capacity `burst`, `refill.tokens` every `refill.seconds`) up to
    /// `nowMicros` and takes as many whole tokens as it holds, at most `wanted` (≥ 1).
    func takeRateTokens(_ key: String, upTo wanted: Int, refill: RateRefill, burst: Int, nowMicros: Int64) async throws -> RateGrant
    /// The buckets whose key starts with `prefix` that hold less than one token at
    /// `nowMicros` (under `refill`, capped at `burst`), with how long until they hold one; at
    /// most `limit`, the emptiest first. How a replica learns what others throttled.
    func drainedRateBuckets(prefix: String, refill: RateRefill, nowMicros: Int64, limit: Int) async throws -> [DrainedBucket]
    /// When a token was last taken from `key` (nil: never, or pruned since).
    func rateBucketTouchedMicros(_ key: String) async throws -> Int64?
    /// Forgets buckets idle since before `idleBeforeMicros` (a full bucket and no bucket
    /// are the same); returns how many.
    func pruneRateBuckets(idleBeforeMicros: Int64) async throws -> Int
}

/// How fast a bucket refills: `tokens` every `seconds` (20 every 60 s is a third a second,
/// which a whole-number rate per second cannot say).
public struct RateRefill: Sendable, Equatable {
    public let tokens: Int
    public let seconds: Int

    public init(tokens: Int, seconds: Int = 1) {
        precondition(tokens > 0 && seconds > 0, "a bucket refills")
        self.tokens = tokens
        self.seconds = seconds
    }

    /// Microseconds until a bucket holding `tokensMicro` millionths has one whole token.
    public func microsUntilOneToken(from tokensMicro: Int64) -> Int64 {
        let missing = max(0, 1_000_000 - tokensMicro)
        // Each microsecond refills tokens / seconds millionths of a token.
        return (missing * Int64(seconds) + Int64(tokens) - 1) / Int64(tokens)
    }
}

/// A bucket without a whole token (`drainedRateBuckets`).
public struct DrainedBucket: Sendable, Equatable {
    public let key: String
    public let retryAfterMicros: Int64

    public init(key: String, retryAfterMicros: Int64) {
        self.key = key
        self.retryAfterMicros = retryAfterMicros
    }
}

extension SharedRateBuckets {
    /// Takes one token when one is there.
    public func takeRateToken(_ key: String, refill: RateRefill, burst: Int, nowMicros: Int64) async throws -> RateDecision {
        let grant = try await takeRateTokens(key, upTo: 1, refill: refill, burst: burst, nowMicros: nowMicros)
        return RateDecision(allowed: grant.granted > 0, retryAfterMicros: grant.retryAfterMicros)
    }

    /// A bucket refilling `ratePerSecond` tokens a second.
    public func takeRateToken(_ key: String, ratePerSecond: Int, burst: Int, nowMicros: Int64) async throws -> RateDecision {
        try await takeRateToken(key, refill: RateRefill(tokens: ratePerSecond), burst: burst, nowMicros: nowMicros)
    }
}

extension Store {
    /// Process-local stores (memory, SQLite: one process) have none: the caller's own
    /// in-memory buckets are exact there.
    public var sharedRateBuckets: (any SharedRateBuckets)? { (self as? any SharedRateBuckets) }
}
