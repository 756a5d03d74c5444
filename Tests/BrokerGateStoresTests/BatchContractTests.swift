import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// Transactions that run together (SQLite batches them into one commit; the other stores
/// commit each alone) must still behave as if each ran alone: a failing one leaves
/// nothing, the others are all there, and reads see exactly what committed.
struct BatchContractTests {
    struct Boom: Error {}

    @Test(arguments: StoreKind.allCases)
    func test_batch_aFailingTransactionAmongSucceedingOnes_rollsBackAlone(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organizations = (0..<48).map { makeOrganization(name: "org \($0)") }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, organization) in organizations.enumerated() {
                group.addTask {
                    do {
                        try await store.transaction { tx in
                            try await tx.insertOrganization(organization)
                            // Every third one fails after its write: only its own write may go.
                            if index % 3 == 0 { throw Boom() }
                        }
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        for (index, organization) in organizations.enumerated() {
            #expect(outcomes[index] == (index % 3 != 0), "transaction \(index)")
            let stored = try await store.read { tx in try await tx.organization(organization.id) }
            #expect((stored != nil) == (index % 3 != 0), "organization \(index)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func test_read_seesWhatCommitted_andRefusesWrites(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        #expect(try await store.read { tx in try await tx.organization(organization.id) } == organization)
        await #expect(throws: (any Error).self) {
            try await store.read { tx in try await tx.insertOrganization(makeOrganization()) }
        }
        let before = store.counters.readTransactions
        _ = try await store.read { tx in try await tx.organizations(role: .partner) }
        #expect(store.counters.readTransactions == before + 1)
    }

    @Test(arguments: StoreKind.allCases)
    func test_reads_runWhileAWriterHoldsItsTurn(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let writer = Task {
            try await store.transaction { tx in
                try await tx.insertOrganization(makeOrganization(name: "held"))
                enteredSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in entered { break }
        // The writer is mid-transaction: a read still answers, from what had committed.
        let partners = try await store.read { tx in try await tx.organizations(role: .partner) }
        #expect(partners.map(\.id) == [organization.id])
        releaseSignal.yield()
        try await writer.value
        #expect(try await store.read { tx in try await tx.organizations(role: .partner) }.count == 2)
    }
}

/// SQLite's group commit: many transactions share one durable commit, and a commit that
/// fails fails every member of its batch, none of whose changes remain.
struct SQLiteGroupCommitTests {
    @Test func test_concurrentTransactions_shareCommits() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("group.sqlite").path)
        let before = (store.counters.writeTransactions, store.counters.commits)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask { try await store.transaction { tx in try await tx.insertOrganization(makeOrganization(name: "o\(index)")) } }
            }
            try await group.waitForAll()
        }
        let transactions = store.counters.writeTransactions - before.0
        let commits = store.counters.commits - before.1
        #expect(transactions == 64)
        #expect(commits < transactions, "64 concurrent transactions took \(commits) commits")
        #expect(try await store.read { tx in try await tx.organizations(role: .partner) }.count == 64)
    }

    /// A commit that fails (here: a deferred foreign-key violation, detected only at
    /// COMMIT, standing in for a crash or an I/O error mid-batch) fails every member, and
    /// none of the batch's writes exist, also after reopening the file.
    @Test func test_aBatchWhoseCommitFails_failsEveryMember_andLeavesNothing() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("failed-batch.sqlite").path
        let store = try await SQLiteStore(path: path)
        let first = makeOrganization(name: "first"), second = makeOrganization(name: "second")
        // The holder keeps the turn until both others wait for it, so all three share a batch.
        let holder = await Self.holdingTheTurn(store, inserting: first, untilWaiting: 2)
        let joiner = Task { try await store.transaction { tx in try await tx.insertOrganization(second) } }
        let poison = Task {
            try await store.transaction { tx in
                let db = (tx as! SQLTransaction).db
                try await db.execute("PRAGMA defer_foreign_keys = ON", [])
                try await tx.insertAPIKey(
                    APIKeyRecord.hashing(
                        secret: "secret-secret-secret", id: .generate(), organizationID: .generate(), createdAt: contractInstant))
            }
        }
        for task in [holder, joiner, poison] {
            await #expect(throws: (any Error).self) { try await task.value }
        }
        let reopened = try await SQLiteStore(path: path)
        for organization in [first, second] {
            #expect(try await reopened.read { tx in try await tx.organization(organization.id) } == nil)
        }
        // The store goes on: the next transaction commits.
        try await store.transaction { tx in try await tx.insertOrganization(first) }
        #expect(try await store.read { tx in try await tx.organization(first.id) } == first)
    }

    @Test func test_aFullWriteQueue_refusesWithStoreBusy() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("busy.sqlite").path, queueMax: 2)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await store.transaction { _ in
                enteredSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in entered { break }
        let queued = (0..<2).map { _ in Task { try await store.transaction { _ in } } }
        try await Self.waitUntil { store.writersWaiting == 2 }
        do {
            try await store.transaction { _ in }
            Issue.record("a third waiter was let into a queue of two")
        } catch let error as DomainError {
            #expect(error.code == "store_busy")
            #expect(error.kind == .unavailable)
            #expect(error.retryAfterSeconds == 1)
        }
        releaseSignal.yield()
        try await holder.value
        for task in queued { try await task.value }
    }

    /// A transaction that inserts `organization`, then keeps the writer's turn until `count`
    /// others wait for it. Returns once it holds the turn.
    static func holdingTheTurn(
        _ store: SQLiteStore, inserting organization: Organization, untilWaiting count: Int
    ) async -> Task<Void, any Error> {
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await store.transaction { tx in
                try await tx.insertOrganization(organization)
                enteredSignal.yield()
                try await waitUntil { store.writersWaiting == count }
            }
        }
        for await _ in entered { break }
        return holder
    }

    /// Polls `condition` every few milliseconds, for at most 10 s (a loaded test machine).
    static func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
