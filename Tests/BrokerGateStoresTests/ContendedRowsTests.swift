import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

/// Which named rows a PostgreSQL transaction queues for before it begins.
struct ContendedRowsTests {
    let start = ContinuousClock.now

    @Test func test_aRowIsContended_forItsMemoryAfterAFailure_only() {
        let rows = ContendedRows()
        #expect(rows.contended(among: ["customer/a"], at: start).isEmpty, "quiet rows cost nothing")
        rows.note(["customer/a"], at: start)
        #expect(rows.contended(among: ["customer/a", "customer/b"], at: start + .milliseconds(10)) == ["customer/a"])
        #expect(rows.contended(among: ["customer/a"], at: start + ContendedRows.memory - .milliseconds(1)) == ["customer/a"])
        #expect(rows.contended(among: ["customer/a"], at: start + ContendedRows.memory).isEmpty)
        rows.note(["customer/a"], at: start + ContendedRows.memory)
        let renewed = rows.contended(among: ["customer/a"], at: start + ContendedRows.memory + .seconds(1))
        #expect(renewed == ["customer/a"], "a new failure renews it")
    }

    @Test func test_aBurstOverManyRows_staysBounded_andKeepsTheLatest() {
        let rows = ContendedRows()
        for index in 0..<(ContendedRows.capacity + 10) { rows.note(["customer/\(index)"], at: start) }
        let later = start + ContendedRows.memory + .seconds(1)
        rows.note(["customer/latest"], at: later)
        #expect(rows.contended(among: ["customer/latest", "customer/0"], at: later) == ["customer/latest"])
        // Past its capacity with every entry fresh, it starts over from the latest failure.
        for index in 0..<(ContendedRows.capacity + 1) { rows.note(["customer/fresh\(index)"], at: later) }
        let last = "customer/fresh\(ContendedRows.capacity)"
        #expect(rows.contended(among: [last, "customer/fresh0"], at: later) == [last])
    }
}

/// One replica's own writers of a row key take turns in memory (`LocalRowTurns`).
struct LocalRowTurnsTests {
    /// Counts holders inside a turn and the most seen at once.
    final class Occupancy: Sendable {
        private let state = Mutex((inside: 0, most: 0, order: [Int]()))
        func enter(_ index: Int) {
            state.withLock { state in
                state.inside += 1
                state.most = max(state.most, state.inside)
                state.order.append(index)
            }
        }
        func leave() { state.withLock { $0.inside -= 1 } }
        var most: Int { state.withLock { $0.most } }
        var order: [Int] { state.withLock { $0.order } }
    }

    @Test func test_holdersOfOneKey_takeTurns_inArrivalOrder_andLeaveNoKeyHeld() async throws {
        let turns = LocalRowTurns(), occupancy = Occupancy()
        let blocker = AsyncStream<Void>.makeStream()
        // The first holder waits until every other has queued behind it.
        let first = Task {
            try await turns.holding(["customer/a"]) {
                occupancy.enter(0)
                for await _ in blocker.stream { break }
                occupancy.leave()
            }
        }
        while turns.heldCount == 0 { await Task.yield() }
        var queued: [Task<Void, any Error>] = []
        for index in 1...20 {
            queued.append(
                Task {
                    try await turns.holding(["customer/a"]) {
                        occupancy.enter(index)
                        await Task.yield()
                        occupancy.leave()
                    }
                })
            // Each one queued before the next is started, so arrival order is known.
            while turns.waitingCount(of: "customer/a") < index { await Task.yield() }
        }
        blocker.continuation.yield()
        try await first.value
        for task in queued { try await task.value }
        #expect(occupancy.most == 1, "two holders of one key at once")
        #expect(occupancy.order == Array(0...20))
        #expect(turns.heldCount == 0, "a turn outlived its holder")
    }

    @Test func test_holdersNamingKeysInOppositeOrders_doNotDeadlock_andDifferentKeysRunAtOnce() async throws {
        let turns = LocalRowTurns(), occupancy = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                let keys = index.isMultiple(of: 2) ? ["customer/a", "customer/b"] : ["customer/b", "customer/a"]
                group.addTask {
                    try await turns.holding(keys) {
                        occupancy.enter(index); await Task.yield(); occupancy.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(occupancy.most == 1)
        #expect(turns.heldCount == 0)
        // Different keys do not wait for each other: a holder of b runs while a is held.
        let ran = try await turns.holding(["customer/a"]) { try await turns.holding(["customer/b"]) { true } }
        #expect(ran)
    }

    @Test func test_aHolderThatThrows_passesItsTurnOn() async throws {
        let turns = LocalRowTurns()
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await turns.holding(["customer/a"]) { throw Failure() } }
        #expect(turns.heldCount == 0)
        #expect(try await turns.holding(["customer/a"]) { 1 } == 1)
    }
}
