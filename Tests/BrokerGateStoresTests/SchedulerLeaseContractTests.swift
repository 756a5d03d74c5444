import BrokerGateCore
import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

/// The scheduler lease on every store: one holder at a time, even when replicas race for
/// it, and a standby takes over once the holder stops renewing.
struct SchedulerLeaseContractTests {
    final class ManualTime: Sendable {
        private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { value.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { value.withLock { $0 += seconds } }
    }

    @Test(arguments: StoreKind.allCases)
    func test_oneHolder_renewals_takeoverAfterExpiry_andRelease(kind: StoreKind) async throws {
        let store = try await kind.make()
        let time = ManualTime()
        let first = SchedulerLease(holder: "a", ttl: 5, now: { time.now })
        let second = SchedulerLease(holder: "b", ttl: 5, now: { time.now })
        #expect(try await first.acquire(store: store))
        #expect(try await !second.acquire(store: store))
        time.advance(4)
        #expect(try await first.acquire(store: store), "the holder renews")
        time.advance(4)
        #expect(try await !second.acquire(store: store), "renewed: not expired 8 s after the first claim")
        time.advance(2)
        #expect(try await second.acquire(store: store), "the holder stopped renewing: the standby takes over")
        #expect(try await !first.acquire(store: store))
        try await second.release(store: store)
        #expect(try await first.acquire(store: store), "released: taken at once")
        #expect(try await SchedulerLease.current(store: store)?.holder == "a")
    }

    @Test(arguments: StoreKind.allCases)
    func test_racingReplicas_neverBothHoldTheLease(kind: StoreKind) async throws {
        let store = try await kind.make()
        let time = ManualTime()
        for round in 0..<5 {
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for replica in 0..<6 {
                    let lease = SchedulerLease(holder: "r\(round)-\(replica)", ttl: 5, now: { time.now })
                    group.addTask { (try? await lease.acquire(store: store)) ?? false }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1, "round \(round): \(winners) replicas hold the lease")
            time.advance(6)
        }
    }
}
