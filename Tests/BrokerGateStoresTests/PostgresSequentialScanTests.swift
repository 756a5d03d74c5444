import BrokerGateCore
import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

/// On PostgreSQL, write transactions that read and change different rows of a small table
/// do not fail each other, even once autovacuum has analyzed it: the store's connections plan
/// index lookups (`PostgresStore.sessionSettings`), whose predicate locks cover what they read,
/// not sequential scans, whose predicate lock covers the whole table.
struct PostgresSequentialScanTests {
    static let hasServer = ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] != nil

    @Test func test_connectionsThatKeepTheirSession_startWithSequentialScansOff_othersAreLeftToTheDatabase() throws {
        let direct = try PostgresStore.configuration(url: "postgres://u@h:5432/db", poolSize: nil)
        let settings = Dictionary(uniqueKeysWithValues: direct.options.additionalStartupParameters)
        #expect(settings["enable_seqscan"] == "off")
        #expect(settings["plan_cache_mode"] == nil)
        // Behind PgBouncer in transaction mode, which refuses start-up settings (README).
        let pooled = try PostgresStore.configuration(url: "postgres://u@h:5432/db?prepared_statements=off", poolSize: nil)
        #expect(pooled.options.additionalStartupParameters.isEmpty)
    }

    @Test(.enabled(if: hasServer))
    func test_writersOfDifferentBalances_inAnAnalyzedSmallTable_doNotFailEachOther() async throws {
        let url = try await PostgresTestDatabase.create()
        let store = try await PostgresStore(url: url, poolSize: 4)
        let ledger = Ledger(clock: FixedClock(contractInstant))
        let issuance = LedgerAccountID.house(.usdPlusIssuance, .usdPlus)
        let customers = (0..<2).map { _ in LedgerAccountID.customer(.generate(), .usdPlus) }
        for customer in customers {
            _ = try await store.transaction { tx in
                try await ledger.transfer(1_000_000, from: issuance, to: customer, reason: .faucet, reference: ("test", "scan"), in: tx)
            }
        }
        // What autovacuum does to any table soon after it changes: with statistics saying
        // "two rows", a scan of its single page is the cheapest plan for `WHERE account = $1`.
        try await PostgresTestDatabase.execute("ANALYZE", on: url)
        let retriesBefore = store.transactionRetries.values.reduce(0, +)
        let meeting = Meeting(of: customers.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for customer in customers {
                group.addTask {
                    try await store.transaction { tx in
                        let balance = try #require(try await tx.ledgerBalance(customer))
                        // Both have read before either writes; a retry does not wait again.
                        try await meeting.arrive()
                        try await tx.saveLedgerBalance(balance)
                    }
                }
            }
            try await group.waitForAll()
        }
        // With sequential scans each transaction read "the whole table", which the other then
        // wrote: a cycle of read/write dependencies, and one of them failed and ran again.
        #expect(store.transactionRetries.values.reduce(0, +) - retriesBefore == 0)
        try await store.close()
    }
}

/// Holds each arrival until `count` have arrived, then lets every later arrival through at
/// once; waits at most 10 s, so a test whose tasks cannot meet fails instead of hanging.
final class Meeting: Sendable {
    private let count: Int
    private let arrived = Mutex(0)

    init(of count: Int) {
        self.count = count
    }

    struct TimedOut: Error {}

    func arrive() async throws {
        arrived.withLock { $0 += 1 }
        let deadline = ContinuousClock.now + .seconds(10)
        while arrived.withLock({ $0 }) < count {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
