import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

/// The PostgreSQL store admits a bounded number of write transactions at once (fewer
/// SERIALIZABLE pivots); the bound comes from the URL and never exceeds the pool.
struct PostgresWriteAdmissionTests {
    @Test func test_writeConcurrency_defaultsWhenTheURLIsSilent_andReadsTheURLOtherwise() throws {
        #expect(try PostgresStore.writeConcurrency(url: "postgres://u@h:5432/db") == PostgresStore.writeConcurrencyDefault)
        #expect(try PostgresStore.writeConcurrency(url: "postgres://u@h:5432/db?pool_size=8&write_concurrency=3") == 3)
    }

    @Test(arguments: ["0", "257", "two", "-1"])
    func test_writeConcurrency_outOfRange_isRefusedWithItsName(_ value: String) {
        #expect {
            try PostgresStore.writeConcurrency(url: "postgres://u@h:5432/db?write_concurrency=\(value)")
        } throws: { error in
            "\(error)".contains("write_concurrency in the PostgreSQL URL must be a whole number in 1...256")
        }
    }

    @Test func test_poolSize_outOfRange_isStillRefusedWithItsName() {
        #expect {
            try PostgresStore.configuration(url: "postgres://u@h:5432/db?pool_size=0", poolSize: nil)
        } throws: { error in
            "\(error)".contains("pool_size in the PostgreSQL URL must be a whole number in 1...256")
        }
    }

    @Test func test_semaphore_admitsAtMostItsPermits_andServesEveryWaiter() async throws {
        let semaphore = AsyncSemaphore(permits: 3)
        let inside = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await semaphore.withPermit {
                        inside.enter()
                        try await Task.sleep(for: .milliseconds(2))
                        inside.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(inside.counts == (now: 0, most: 3))
    }

    @Test func test_semaphore_givesThePermitBack_whenTheBodyThrows() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await semaphore.withPermit { throw Boom() } }
        let ran = try await semaphore.withPermit { true }
        #expect(ran)
    }
}

/// How many tasks are inside a semaphore now, and the most ever at once.
private final class Occupancy: Sendable {
    private let state = Mutex((now: 0, most: 0))

    func enter() {
        state.withLock { state in
            state.now += 1
            state.most = max(state.most, state.now)
        }
    }

    func leave() { state.withLock { $0.now -= 1 } }

    var counts: (now: Int, most: Int) { state.withLock { $0 } }
}
