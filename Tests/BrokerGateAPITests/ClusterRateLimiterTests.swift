import BrokerGateCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import BrokerGateAPI

/// A shared bucket store in memory, with PostgreSQL's arithmetic (`PostgresRateBuckets`):
/// whole tokens in millionths, refilled by elapsed time. It counts the takes it answers and
/// can hold them until a test lets them go, to see what requests do meanwhile.
final class CountingBuckets: SharedRateBuckets {
    private struct State {
        var tokensMicro: [String: Int64] = [:]
        var updatedMicros: [String: Int64] = [:]
        var takes = 0
        var held: [CheckedContinuation<Void, Never>] = []
        var holds = false
        var fails = false
    }

    private let state = Mutex(State())

    var takes: Int { state.withLock { $0.takes } }
    var heldTakes: Int { state.withLock { $0.held.count } }

    func hold() { state.withLock { $0.holds = true } }

    func release() {
        let held = state.withLock { state in
            defer { (state.held, state.holds) = ([], false) }
            return state.held
        }
        for take in held { take.resume() }
    }

    func failing(_ fails: Bool) { state.withLock { $0.fails = fails } }

    func takeRateTokens(_ key: String, upTo wanted: Int, refill: RateRefill, burst: Int, nowMicros: Int64) async throws -> RateGrant {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.holds else { return true }
                state.held.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return try state.withLock { state in
            state.takes += 1
            if state.fails { throw StoreError("the database is down") }
            let capacity = Int64(burst) * 1_000_000
            let last = state.updatedMicros[key] ?? nowMicros
            let refilled = min(
                capacity,
                (state.tokensMicro[key] ?? capacity) + max(0, nowMicros - last) * Int64(refill.tokens) / Int64(refill.seconds))
            let taken = min(Int64(wanted), refilled / 1_000_000)
            state.tokensMicro[key] = refilled - taken * 1_000_000
            state.updatedMicros[key] = max(last, nowMicros)
            return RateGrant(granted: Int(taken), retryAfterMicros: taken > 0 ? 0 : refill.microsUntilOneToken(from: refilled))
        }
    }

    func drainedRateBuckets(prefix: String, refill: RateRefill, nowMicros: Int64, limit: Int) async throws -> [DrainedBucket] { [] }
    func rateBucketTouchedMicros(_ key: String) async throws -> Int64? { nil }
    func pruneRateBuckets(idleBeforeMicros: Int64) async throws -> Int { 0 }
}

/// A monotonic clock a test moves (`RateLimitConfiguration.now`).
final class HeldMonotonicClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    func now() -> ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(by duration: Duration) { instant.withLock { $0 += duration } }
}

struct ClusterRateLimiterTests {
    /// The wall clock the shared buckets refill by, and the monotonic one of the replica's
    /// own spans (lease lifetime, local refusals): both held still, moved together.
    let clock = FixedClock(Date(timeIntervalSince1970: 1_800_000_000))
    let monotonic = HeldMonotonicClock()
    let buckets = CountingBuckets()

    func limiter(rate: Int, burst: Int) -> ClusterRateLimiter {
        let monotonic = monotonic
        return ClusterRateLimiter(
            buckets: buckets, configuration: RateLimitConfiguration(requestsPerSecond: rate, burst: burst, now: { monotonic.now() }),
            wallClock: clock, logger: Logger(label: "test"))
    }

    func advance(by seconds: Double) {
        clock.advance(by: seconds)
        monotonic.advance(by: .milliseconds(Int64(seconds * 1_000)))
    }

    /// Grants until the first refusal; the count granted.
    func grantedInARow(_ limiter: ClusterRateLimiter, max: Int = 10_000) async -> Int {
        for granted in 0..<max {
            do { try await limiter.take("k1") } catch { return granted }
        }
        return max
    }

    @Test func test_leaseSize_isATwentiethOfTheRate_atMostAQuarterOfTheBurst_atLeastOne() {
        #expect(ClusterRateLimiter.leaseSize(rate: 200, burst: 400) == 10)
        #expect(ClusterRateLimiter.leaseSize(rate: 1, burst: 10) == 1)
        #expect(ClusterRateLimiter.leaseSize(rate: 1_000, burst: 20) == 5)
        #expect(ClusterRateLimiter.leaseSize(rate: 1_000_000, burst: 1_000_000) == 50_000)
    }

    /// 200/s with a burst of 400: the burst, no more, in 40 store statements instead of 400;
    /// the refusal after it is answered here, until the bucket holds a token again.
    @Test func test_aBurst_isLeasedTenTokensAStatement_andNeverMore() async throws {
        let limiter = limiter(rate: 200, burst: 400)
        #expect(await grantedInARow(limiter) == 400)
        #expect(buckets.takes == 41, "40 leases of 10, then one answer of none")
        do {
            try await limiter.take("k1")
            Issue.record("a drained bucket granted a token")
        } catch let error as DomainError {
            #expect(error.code == "rate_limited" && error.retryAfterSeconds == 1)
            #expect(error.message.contains("across the cluster"))
        }
        #expect(buckets.takes == 41, "refused without asking the store: the bucket cannot hold a token before 5 ms")
        advance(by: 0.05)  // 10 tokens refilled
        #expect(await grantedInARow(limiter) == 10)
        #expect(buckets.takes == 43)
    }

    /// Two replicas share one bucket: together they get the burst, not one each.
    @Test func test_twoReplicas_shareTheBurst() async throws {
        let (first, second) = (limiter(rate: 200, burst: 400), limiter(rate: 200, burst: 400))
        var granted = 0
        for index in 0..<1_000 {
            do {
                try await (index.isMultiple(of: 2) ? first : second).take("k1")
                granted += 1
            } catch {}
        }
        #expect(granted == 400)
    }

    /// Tokens a replica leased and did not spend within a lifetime are dropped, not spent late.
    @Test func test_aLeaseExpires_andItsTokensAreNotSpentAfterwards() async throws {
        let limiter = limiter(rate: 200, burst: 400)
        try await limiter.take("k1")
        #expect(buckets.takes == 1)
        advance(by: 1)  // `ClusterRateLimiter.leaseLifetime`
        try await limiter.take("k1")
        #expect(buckets.takes == 2, "the 9 tokens left of the first lease expired with it")
    }

    /// Requests arriving while a take is in flight wait for it and share what it leased: one
    /// statement for all of them.
    @Test func test_concurrentRequests_shareOneTakeInFlight() async throws {
        let limiter = limiter(rate: 200, burst: 400)
        buckets.hold()
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await limiter.take("k1")) != nil } }
            while buckets.heldTakes == 0 { await Task.yield() }
            try? await Task.sleep(for: .milliseconds(50))  // the other seven are waiting by now
            #expect(buckets.heldTakes == 1)
            buckets.release()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 8)
        #expect(buckets.takes == 1)
    }

    /// A store that cannot answer lets requests through on the replica's own limit, without
    /// asking it again for a second; then the bucket is asked again.
    @Test func test_aStoreThatFails_letsTheRequestsThrough_andIsAskedAgainASecondLater() async throws {
        let limiter = limiter(rate: 200, burst: 400)
        buckets.failing(true)
        for _ in 0..<3 { try await limiter.take("k1") }
        #expect(buckets.takes == 1)
        buckets.failing(false)
        advance(by: 1)  // `ClusterRateLimiter.unavailableRetry`
        #expect(await grantedInARow(limiter) == 400)
    }

    /// Requests that waited for a take the store failed are let through with it, not queued
    /// for a take each (which, against a database that is down, would wait its timeout once
    /// per request in turn).
    @Test func test_requestsWaitingOnAFailedTake_areLetThroughWithIt() async throws {
        let limiter = limiter(rate: 200, burst: 400)
        buckets.failing(true)
        buckets.hold()
        let passed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await limiter.take("k1")) != nil } }
            while buckets.heldTakes == 0 { await Task.yield() }
            try? await Task.sleep(for: .milliseconds(50))
            buckets.release()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(passed == 8)
        #expect(buckets.takes == 1)
    }

    /// Below 40/s a lease is one token: each request asks the store, as before leases.
    @Test func test_aSlowBucket_takesOneTokenAStatement() async throws {
        let limiter = limiter(rate: 1, burst: 10)
        #expect(await grantedInARow(limiter) == 10)
        #expect(buckets.takes == 11)
    }
}
