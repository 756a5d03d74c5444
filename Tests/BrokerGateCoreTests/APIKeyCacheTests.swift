import Foundation
import Synchronization
import Testing

@testable import BrokerGateCore

/// The verified-key cache: what it keeps, for how long, and how big it may grow.
struct APIKeyCacheTests {
    final class Ticks: Sendable {
        private let elapsed = Mutex(Duration.zero)
        let origin = ContinuousClock.now
        func advance(_ by: Duration) { elapsed.withLock { $0 += by } }
        var now: ContinuousClock.Instant { origin.advanced(by: elapsed.withLock { $0 }) }
    }

    static func entry(revoked: Bool = false) -> APIKeyCache.Entry {
        var key = APIKeyRecord.hashing(
            secret: "secret-secret-secret", id: .generate(), organizationID: .generate(), createdAt: Date(timeIntervalSince1970: 0))
        if revoked { key.revokedAt = Date(timeIntervalSince1970: 1) }
        return (key, nil)
    }

    @Test func test_aKnownKey_isReadOnceWithinItsTimeToLive_andAgainAfter() async throws {
        let ticks = Ticks()
        let cache = APIKeyCache(timeToLive: .seconds(2), now: { ticks.now })
        let stored = Mutex(Self.entry())
        let reads = Mutex(0)
        let id = stored.withLock { $0.key.id }
        let load = { () async throws -> APIKeyCache.Entry? in
            reads.withLock { $0 += 1 }
            return stored.withLock { $0 }
        }
        _ = try await cache.entry(id, load: load)
        _ = try await cache.entry(id, load: load)
        #expect(reads.withLock { $0 } == 1)
        // Revoked in the store (by another replica): seen once the entry expires.
        stored.withLock { $0.key.revokedAt = Date(timeIntervalSince1970: 5) }
        ticks.advance(.milliseconds(2_001))
        let fresh = try await cache.entry(id, load: load)
        #expect(reads.withLock { $0 } == 2)
        #expect(fresh?.key.revokedAt != nil)
        #expect(fresh?.key.verifies(secret: "secret-secret-secret") == false)
    }

    @Test func test_anUnknownKey_isNeverCached() async throws {
        let cache = APIKeyCache()
        let reads = Mutex(0)
        let id = APIKeyID.generate()
        for _ in 0..<3 {
            #expect(
                try await cache.entry(id) {
                    reads.withLock { $0 += 1 }; return nil
                } == nil)
        }
        #expect(reads.withLock { $0 } == 3)
    }

    @Test func test_theCache_neverHoldsMoreThanItsBound() async throws {
        let cache = APIKeyCache(entriesMax: 4)
        let entries = (0..<10).map { _ in Self.entry() }
        for entry in entries { _ = try await cache.entry(entry.key.id) { entry } }
        // The newest is always served from the cache; the bound is kept by emptying it.
        let reads = Mutex(0)
        let last = entries[9]
        _ = try await cache.entry(last.key.id) {
            reads.withLock { $0 += 1 }; return last
        }
        #expect(reads.withLock { $0 } == 0)
        #expect(cache.count <= 4)
    }
}
