import BrokerGateCore
import Foundation
import Testing

@testable import BrokerGateStores

/// Cluster-wide rate buckets: PostgreSQL shares them between replicas; the one-process
/// stores have none (their callers' in-memory buckets are exact).
struct SharedRateBucketsContractTests {
    @Test(arguments: StoreKind.allCases)
    func test_onlyTheSharedStore_hasBuckets_andABucketSpendsItsBurst_thenRefillsAtTheRate(kind: StoreKind) async throws {
        let store = try await kind.make()
        guard kind == .postgres else {
            #expect(store.sharedRateBuckets == nil)
            return
        }
        let buckets = try #require(store.sharedRateBuckets)
        let start: Int64 = 1_800_000_000_000_000
        var allowed = 0
        for _ in 0..<5 where try await buckets.takeRateToken("key-a", ratePerSecond: 2, burst: 3, nowMicros: start).allowed { allowed += 1 }
        #expect(allowed == 3, "the burst, then nothing at the same instant")
        let denied = try await buckets.takeRateToken("key-a", ratePerSecond: 2, burst: 3, nowMicros: start)
        #expect(!denied.allowed && denied.retryAfterMicros == 500_000)
        #expect(try await buckets.takeRateToken("key-a", ratePerSecond: 2, burst: 3, nowMicros: start + 500_000).allowed)
        #expect(try await buckets.takeRateToken("key-b", ratePerSecond: 2, burst: 3, nowMicros: start).allowed, "buckets are per key")
        // A clock behind the last take refills nothing and never goes negative.
        #expect(try await !buckets.takeRateToken("key-a", ratePerSecond: 2, burst: 3, nowMicros: start - 10_000_000).allowed)
        #expect(try await buckets.pruneRateBuckets(idleBeforeMicros: start + 1) == 1, "key-b idle since start")
    }

    @Test(arguments: StoreKind.allCases.filter { $0 == .postgres })
    func test_concurrentTakes_neverSpendMoreThanTheBurst(kind: StoreKind) async throws {
        let store = try await kind.make()
        let buckets = try #require(store.sharedRateBuckets)
        let now: Int64 = 1_800_000_000_000_000
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 {
                group.addTask { try await buckets.takeRateToken("hot", ratePerSecond: 1, burst: 10, nowMicros: now).allowed }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 10)
    }

    /// A lease takes the whole tokens asked for when the bucket holds them, what it holds
    /// when fewer, and none below one token, with the wait until one; a fraction stays.
    @Test(arguments: StoreKind.allCases.filter { $0 == .postgres })
    func test_aTakeOfSeveral_getsWhatTheBucketHolds_atMostWhatItAsked(kind: StoreKind) async throws {
        let store = try await kind.make()
        let buckets = try #require(store.sharedRateBuckets)
        let start: Int64 = 1_800_000_000_000_000, rate = RateRefill(tokens: 2)
        func take(_ wanted: Int, at micros: Int64) async throws -> RateGrant {
            try await buckets.takeRateTokens("lease", upTo: wanted, refill: rate, burst: 10, nowMicros: micros)
        }
        #expect(try await take(4, at: start) == RateGrant(granted: 4, retryAfterMicros: 0), "a new bucket starts full")
        #expect(try await take(4, at: start) == RateGrant(granted: 4, retryAfterMicros: 0))
        #expect(try await take(4, at: start) == RateGrant(granted: 2, retryAfterMicros: 0), "the last two")
        #expect(try await take(4, at: start) == RateGrant(granted: 0, retryAfterMicros: 500_000))
        // 1.25 s refill 2.5 tokens: 2 are taken, the half stays for the next take.
        #expect(try await take(4, at: start + 1_250_000) == RateGrant(granted: 2, retryAfterMicros: 0))
        #expect(try await take(1, at: start + 1_250_000) == RateGrant(granted: 0, retryAfterMicros: 250_000))
        #expect(try await buckets.takeRateToken("lease", refill: rate, burst: 10, nowMicros: start + 1_500_000).allowed)
    }

    /// A slow bucket (20 a minute) drains, is listed as drained with the exact wait, refills,
    /// and a touched bucket tells when; other prefixes are not listed.
    @Test(arguments: StoreKind.allCases.filter { $0 == .postgres })
    func test_aSlowBucket_isListedDrained_untilItRefills(kind: StoreKind) async throws {
        let store = try await kind.make()
        let buckets = try #require(store.sharedRateBuckets)
        let start: Int64 = 1_800_000_000_000_000, slow = RateRefill(tokens: 20, seconds: 60)
        for _ in 0..<20 { #expect(try await buckets.takeRateToken("authfail:ip:a", refill: slow, burst: 20, nowMicros: start).allowed) }
        let denied = try await buckets.takeRateToken("authfail:ip:a", refill: slow, burst: 20, nowMicros: start)
        #expect(!denied.allowed && denied.retryAfterMicros == 3_000_000, "a token every 3 s")
        _ = try await buckets.takeRateToken("other:ip:a", ratePerSecond: 1, burst: 1, nowMicros: start)
        _ = try await buckets.takeRateToken("other:ip:a", ratePerSecond: 1, burst: 1, nowMicros: start)
        var drained = try await buckets.drainedRateBuckets(prefix: "authfail:", refill: slow, nowMicros: start + 1_000_000, limit: 10)
        // 1 s refilled 333,333 millionths (rounded down, as a take does), so 2.000001 s remain.
        #expect(drained == [DrainedBucket(key: "authfail:ip:a", retryAfterMicros: 2_000_001)])
        drained = try await buckets.drainedRateBuckets(prefix: "authfail:", refill: slow, nowMicros: start + 3_000_000, limit: 10)
        #expect(drained.isEmpty, "one token back after 3 s")
        #expect(try await buckets.rateBucketTouchedMicros("authfail:ip:a") == start)
        #expect(try await buckets.rateBucketTouchedMicros("never") == nil)
    }
}
