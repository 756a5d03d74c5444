import BrokerGateCore
import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

func storedEvent(_ owner: OrganizationID, second: Int, type: String = "account.created") -> StoredEvent {
    StoredEvent(
        id: String(format: "e-%06d", second), organizationID: owner, type: type,
        createdAt: contractInstant.addingTimeInterval(TimeInterval(second)), payload: Array("{\"n\":\(second),\"s\":\"✓\"}".utf8),
        position: nil)
}

/// The event outbox: appended with the change, numbered afterwards in commit order, read
/// by number only. Every store must keep the promise "a reader who saw n saw all before n".
struct EventContractTests {
    @Test(arguments: StoreKind.allCases)
    func test_events_areInvisibleUntilNumbered_thenNumberedInTheOrderWritten(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        try await store.transaction { tx in
            for second in [1, 3, 2] { try await tx.appendEvent(storedEvent(owner, second: second)) }
        }
        #expect(try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 10) }.isEmpty)
        #expect(try await store.read { tx in try await tx.hasUnsequencedEvents() })
        #expect(try await store.read { tx in try await tx.event(id: "e-000001") }?.position == nil)

        #expect(try await EventSequencer().drain(store) == 3)
        #expect(try await !store.read { tx in try await tx.hasUnsequencedEvents() })
        let feed = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 10) }
        // The order written, not the timestamps' order: one instant may hold many events.
        #expect(feed.map(\.id) == ["e-000001", "e-000003", "e-000002"])
        #expect(feed.map(\.position) == [1, 2, 3])
        #expect(feed.first?.payload == storedEvent(owner, second: 1).payload)
        #expect(feed.last?.type == "account.created" && feed.last?.organizationID == owner)
        #expect(feed.first?.createdAt == storedEvent(owner, second: 1).createdAt)
        // Later events number after earlier ones, whatever their timestamps.
        try await store.transaction { tx in try await tx.appendEvent(storedEvent(owner, second: 0)) }
        #expect(try await EventSequencer().drain(store) == 1)
        #expect(try await store.read { tx in try await tx.event(id: "e-000000") }?.position == 4)
    }

    @Test(arguments: StoreKind.allCases)
    func test_onePassNumberingMoreEventsThanOneStatementHolds_numbersEachOnceInTheOrderWritten(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        let count = 2 * SQLTransaction.numberedPerStatementMax + 7
        try await store.transaction { tx in
            try await tx.appendEvent(storedEvent(owner, second: 0))
            _ = try await tx.sequenceEvents(limit: 10)
            for second in (1...count).reversed() { try await tx.appendEvent(storedEvent(owner, second: second)) }
        }
        #expect(try await store.transaction { tx in try await tx.sequenceEvents(limit: 1_000) } == count)
        let feed = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 1_000) }
        #expect(feed.map(\.position) == (1...count + 1).map { Int64($0) })
        #expect(feed.map(\.id) == ["e-000000"] + (1...count).reversed().map { String(format: "e-%06d", $0) })
    }

    @Test(arguments: StoreKind.allCases)
    func test_feed_filtersByOwnerTypeAndPosition(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate(), other = EntityID.generate()
        try await store.transaction { tx in
            for second in 1...6 {
                try await tx.appendEvent(
                    storedEvent(second == 4 ? other : owner, second: second, type: second % 2 == 0 ? "order.filled" : "kyc.passed"))
            }
        }
        _ = try await EventSequencer().drain(store)
        let all = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 10) }
        #expect(all.map(\.id) == ["e-000001", "e-000002", "e-000003", "e-000005", "e-000006"])
        let filled = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: ["order.filled"], limit: 10) }
        #expect(filled.map(\.id) == ["e-000002", "e-000006"])
        let both = try await store.read { tx in
            try await tx.events(owner: owner, after: 2, types: ["order.filled", "kyc.passed"], limit: 2)
        }
        #expect(both.map(\.id) == ["e-000003", "e-000005"])
        #expect(try await store.read { tx in try await tx.events(owner: owner, after: 0, types: [], limit: 10) }.isEmpty)
        #expect(try await store.read { tx in try await tx.events(owner: other, after: 0, types: nil, limit: 10) }.map(\.id) == ["e-000004"])
        #expect(try await store.read { tx in try await tx.latestEventPosition(owner: owner) } == 6)
        #expect(try await store.read { tx in try await tx.latestEventPosition(owner: other) } == 4)
        #expect(try await store.read { tx in try await tx.latestEventPosition(owner: .generate()) } == 0)
        let everyone = try await store.read { tx in try await tx.events(owner: nil, after: 3, types: nil, limit: 10) }
        #expect(everyone.map(\.id) == ["e-000004", "e-000005", "e-000006"])
    }

    /// The retention purge: the front of the feed, oldest position first, only the run
    /// created before the cutoff and within the fan-out's bound, never the newest; the
    /// feed, lookups by id and numbering carry on as if nothing but those rows had changed.
    @Test(arguments: StoreKind.allCases)
    func test_deleteEvents_takesTheOldRunFromTheFront_keepsTheNewest_andNumberingGoesOn(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        // Positions 1...8; the event at position 4 was stamped late (a sandbox clock set back
        // after it), so it holds back 5 and 6 until its own cutoff.
        try await store.transaction { tx in
            for second in [1, 2, 3, 50, 5, 6, 7, 8] { try await tx.appendEvent(storedEvent(owner, second: second)) }
        }
        #expect(try await EventSequencer().drain(store) == 8)
        let cutoff = contractInstant.addingTimeInterval(10)
        func purge(positionMax: Int64, limit: Int = 100) async throws -> Int {
            try await store.transaction { tx in try await tx.deleteEvents(createdBefore: cutoff, positionMax: positionMax, limit: limit) }
        }
        #expect(try await purge(positionMax: 8, limit: 2) == 2, "bounded by the limit")
        #expect(try await purge(positionMax: 2) == 0, "bounded by the fan-out's position")
        #expect(try await purge(positionMax: 8) == 1, "stops at the first event not old enough")
        let left = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 10) }
        #expect(left.map(\.position) == [4, 5, 6, 7, 8])
        #expect(try await store.read { tx in try await tx.event(id: "e-000001") } == nil)
        #expect(try await store.read { tx in try await tx.event(id: "e-000050") }?.position == 4)
        #expect(
            try await store.read { tx in try await tx.events(owner: owner, after: 5, types: nil, limit: 10) }.map(\.position) == [6, 7, 8])

        let later = contractInstant.addingTimeInterval(100)
        let all = try await store.transaction { tx in try await tx.deleteEvents(createdBefore: later, positionMax: 8, limit: 100) }
        #expect(all == 4, "everything old, but the newest stays")
        #expect(try await store.read { tx in try await tx.events(owner: nil, after: 0, types: nil, limit: 10) }.map(\.position) == [8])
        #expect(try await store.read { tx in try await tx.latestEventPosition(owner: owner) } == 8)
        // Numbering continues after the newest: a position is never given out twice.
        try await store.transaction { tx in try await tx.appendEvent(storedEvent(owner, second: 9)) }
        #expect(try await EventSequencer().drain(store) == 1)
        #expect(try await store.read { tx in try await tx.event(id: "e-000009") }?.position == 9)
        #expect(try await store.read { tx in try await tx.events(owner: owner, after: 8, types: nil, limit: 10) }.map(\.id) == ["e-000009"])
    }

    @Test(arguments: StoreKind.allCases)
    func test_eventOfARolledBackChange_isNeverWritten(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        await #expect(throws: StoreError.self) {
            try await store.transaction { tx in
                try await tx.appendEvent(storedEvent(owner, second: 1))
                throw StoreError("the change failed")
            }
        }
        #expect(try await EventSequencer().drain(store) == 0)
        #expect(try await store.read { tx in try await tx.event(id: "e-000001") } == nil)
    }

    /// Writers, two sequencers and a reader at once: the reader, always asking for what
    /// comes after the last position it saw, ends with every event exactly once, in
    /// position order 1...n: nothing numbered behind its back, nothing twice.
    @Test(arguments: StoreKind.allCases)
    func test_concurrentWritersAndSequencers_readerMissesNothing(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        let writers = 4, perWriter = 15
        let finished = Flag()
        let seen = try await withThrowingTaskGroup(of: [StoredEvent].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<perWriter {
                        try await store.transaction { tx in try await tx.appendEvent(storedEvent(owner, second: writer * 1000 + index)) }
                    }
                    return []
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    while !finished.isSet {
                        // Sleep between passes: a memory store's pass may never suspend, and a
                        // task that never suspends starves the others of the cooperative pool.
                        if try await EventSequencer().drain(store) == 0 { try await Task.sleep(for: .milliseconds(1)) }
                    }
                    return []
                }
            }
            group.addTask {
                var seen: [StoredEvent] = [], position: Int64 = 0
                while seen.count < writers * perWriter {
                    let after = position
                    let page = try await store.read { tx in try await tx.events(owner: owner, after: after, types: nil, limit: 7) }
                    seen += page
                    position = page.last?.position ?? position
                    if page.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
                }
                finished.set()
                return seen
            }
            return try await group.reduce(into: [StoredEvent]()) { $0 += $1 }
        }
        #expect(seen.map(\.position) == (1...Int64(writers * perWriter)).map { $0 })
        #expect(Set(seen.map(\.id)).count == writers * perWriter)
    }
}

/// A one-way switch shared by test tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
