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

/// Token buckets kept in a store that several replicas share, so a rate limit holds for
/// the cluster and not per process. Each take is one atomic statement (refill by elapsed
/// time, take one token if there is one), outside any business transaction. Token counts
/// are integers in millionths of a request, so no floating point is involved.
public protocol SharedRateBuckets: Sendable {
    /// Refills `key`'s bucket (capacity `burst`, `ratePerSecond` a second) up to `nowMicros`
    /// and takes one token when one is there.
    func takeRateToken(_ key: String, ratePerSecond: Int, burst: Int, nowMicros: Int64) async throws -> RateDecision
    /// Forgets buckets idle since before `idleBeforeMicros` (a full bucket and no bucket
    /// are the same); returns how many.
    func pruneRateBuckets(idleBeforeMicros: Int64) async throws -> Int
}

extension Store {
    /// Process-local stores (memory, SQLite: one process) have none: the caller's own
    /// in-memory buckets are exact there.
    public var sharedRateBuckets: (any SharedRateBuckets)? { (self as? any SharedRateBuckets) }
}
