import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// Blind writes (journal entries, events, balance upserts, house slot increments): PostgreSQL
/// holds them and sends them together before the transaction's next statement; every store
/// must read them back in that transaction, in the order written, each once.
struct BlindWritesContractTests {
    let ledger = LedgerContractTests()

    @Test(arguments: StoreKind.allCases)
    func test_writesOfOneTransaction_areReadInIt_inTheOrderWritten_eachOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let account = AccountID.generate()
        let alice = LedgerContractTests.customer(account)
        let fees = LedgerAccountID.house(.fees, .usdPlus)
        try await ledger.fund(alice, 10_000_000, store)
        let owner = EntityID.generate()
        let core = ledger.ledger, reference = ledger.reference
        let seen = try await store.transaction { tx in
            // The same house slot three times: each increment must count once.
            for units: Int64 in [1_000_000, 2_000_000, 3_000_000] {
                try await core.transfer(units, from: alice, to: fees, reason: .orderFee, reference: reference, in: tx)
                try await tx.appendEvent(storedEvent(owner, second: Int(units / 1_000_000)))
            }
            let journal = try await tx.ledgerTransfers(touching: alice, afterSequence: 1, limit: 10).map(\.transfer.amountUnits)
            let rows = try await tx.ledgerBalances(customer: account)
            #expect(try await tx.sequenceEvents(limit: 10) == 3)
            let events = try await tx.events(owner: owner, after: 0, types: nil, limit: 10).map(\.id)
            return (journal, rows.map(\.balanceUnits), try await tx.ledgerBalance(fees)?.balanceUnits, events, try await tx.ledgerSums())
        }
        #expect(seen.0 == [1_000_000, 2_000_000, 3_000_000])
        #expect(seen.1 == [4_000_000])
        #expect(seen.2 == 6_000_000)
        #expect(seen.3 == ["e-000001", "e-000002", "e-000003"])
        #expect(seen.4.values.allSatisfy { $0 == 0 })
        let after = try await store.read { tx in (try await tx.ledgerBalance(fees)?.balanceUnits, try await tx.ledgerSequence()) }
        #expect(after.0 == 6_000_000)
        #expect(after.1 == 4)
    }

    /// A read of another row, or a checked insert of another kind of document, leaves the held
    /// writes held (on PostgreSQL, no round trip of their own); a statement that could see
    /// one of them sends them first. Whichever, each statement answers as if every write
    /// before it had been sent, and all of them commit.
    @Test(arguments: StoreKind.allCases)
    func test_statementsThatCannotSeeTheHeldWrites_leaveThemHeld_andAllAnswerAsIfSent(kind: StoreKind) async throws {
        let store = try await kind.make()
        let alice = LedgerContractTests.customer(), bob = LedgerContractTests.customer()
        let fees = LedgerAccountID.house(.fees, .usdPlus)
        try await ledger.fund(alice, 10_000_000, store)
        try await ledger.fund(bob, 5_000_000, store)
        let core = ledger.ledger, reference = ledger.reference
        let order = QueryableDocumentsTests.order(.generate(), client: nil, status: .pendingSubmit, second: 1)
        let fill = QueryableDocumentsTests.fill(of: order)
        let claimed = widget(.generate(), second: 3, unique: "caller-chosen")
        let twin = QueryableDocumentsTests.order(order.accountID, client: "again", status: .pendingSubmit, second: 2, id: order.id)
        let seen = try await store.transaction { tx in
            try await core.transfer(1_000_000, from: alice, to: fees, reason: .orderFee, reference: reference, in: tx)
            try await tx.insertDocument(order)
            let sentBefore = store.counters.statements
            let bobs = try await tx.ledgerBalance(bob)?.balanceUnits
            try await tx.insertDocument(claimed)
            try await tx.insertDocument(fill)
            let unsent = store.counters.statements - sentBefore
            // The held order is the same row: its insert must be sent first, so this one
            // finds its id taken, as it would with nothing held.
            await #expect(throws: StoreError.self) { try await tx.insertDocument(twin) }
            return (bobs, unsent, try await tx.ledgerBalance(alice)?.balanceUnits)
        }
        #expect(seen.0 == 5_000_000)
        #expect(seen.2 == 9_000_000)
        if kind == .postgres {
            #expect(seen.1 == 2, "the read and the widget's checked insert, no held writes between; the fill is held")
        }
        let after = try await store.read { tx in
            (
                try await tx.ledgerBalance(alice)?.balanceUnits, try await tx.ledgerBalance(fees)?.balanceUnits,
                try await tx.document(OrderRecord.self, id: order.id.rawValue)?.clientOrderID,
                try await tx.document(FulfillmentRecord.self, id: fill.id.rawValue) != nil,
                try await tx.document(Widget.self, id: claimed.id) == claimed
            )
        }
        #expect(after.0 == 9_000_000)
        #expect(after.1 == 1_000_000)
        #expect(after.2 == nil)
        #expect(after.3)
        #expect(after.4)
    }

    /// A unique key the system made (a fill's transaction hash) taken again is a bug: every
    /// store fails the transaction that repeats it, wherever the collision surfaces (held
    /// writes: at COMMIT), and keeps nothing of it.
    @Test(arguments: StoreKind.allCases)
    func test_aSystemMadeUniqueKeyTakenAgain_failsTheTransaction_andKeepsNothing(kind: StoreKind) async throws {
        let store = try await kind.make()
        let order = QueryableDocumentsTests.order(.generate(), client: nil, status: .pendingSubmit, second: 1)
        let first = QueryableDocumentsTests.fill(of: order)
        try await store.transaction { tx in try await tx.insertDocument(first) }
        let again = QueryableDocumentsTests.fill(of: order)
        #expect(again.transactionHash == first.transactionHash && again.id != first.id)
        let marker = widget(.generate(), second: 2)
        await #expect(throws: (any Error).self) {
            try await store.transaction { tx in
                try await tx.insertDocument(marker)
                try await tx.insertDocument(again)
            }
        }
        let kept = try await store.read { tx in
            (
                try await tx.document(FulfillmentRecord.self, id: again.id.rawValue), try await tx.document(Widget.self, id: marker.id),
                try await tx.document(FulfillmentRecord.self, id: first.id.rawValue)
            )
        }
        #expect(kept.0 == nil && kept.1 == nil)
        #expect(kept.2 != nil)
    }

    /// PostgreSQL answers COMMIT in a transaction one of whose statements failed with a
    /// rollback and no error; a body that caught that failure (here `try?`) must not be told
    /// its writes were kept. A held write fails at the statement that sends it, which may be
    /// a read the body wrapped in `try?`.
    @Test(.enabled(if: PostgresSequentialScanTests.hasServer))
    func test_onPostgreSQL_aFailureTheBodyCaught_failsTheTransaction_andKeepsNothing() async throws {
        let store = try await StoreKind.postgres.make()
        let taken = makeOrganization()
        let record = IdempotencyRecord(
            organizationID: taken.id, keyHashHex: "k", requestHashHex: "r", status: 201, sealedBody: [1], createdAt: contractInstant)
        try await store.transaction { tx in
            try await tx.insertOrganization(taken)
            try await tx.insertIdempotencyRecord(record)
        }
        let caughtStatement = makeOrganization(), caughtHeldWrite = makeOrganization()
        await #expect(throws: PostgresStoreError.self) {
            try await store.transaction { tx in
                try await tx.insertOrganization(caughtStatement)
                _ = try? await tx.insertOrganization(taken)
            }
        }
        await #expect(throws: PostgresStoreError.self) {
            try await store.transaction { tx in
                try await tx.insertOrganization(caughtHeldWrite)
                try await tx.insertIdempotencyRecord(record)
                _ = try? await tx.organization(taken.id)
            }
        }
        for organization in [caughtStatement, caughtHeldWrite] {
            #expect(try await store.read { tx in try await tx.organization(organization.id) } == nil)
        }
    }
}

/// How held writes become one statement (`HeldWrites`).
struct HeldWritesTests {
    func row(_ table: String, _ key: String, tail: String = "") -> BlindWrite {
        BlindWrite(head: "INSERT INTO \(table) (k, v)", row: "(?, ?)", tail: tail, binds: [.text(key), .integer(1)], key: key)
    }

    @Test func test_rowsOfOneShape_areOneMultiRowInsert_bindsInRowOrder() throws {
        var held = HeldWrites()
        #expect(held.statement == nil)
        for key in ["a", "b", "c"] { held.add(row("t", key, tail: "ON CONFLICT (k) DO NOTHING")) }
        let statement = try #require(held.statement)
        #expect(statement.sql == "INSERT INTO t (k, v) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT (k) DO NOTHING")
        #expect(statement.binds == [.text("a"), .integer(1), .text("b"), .integer(1), .text("c"), .integer(1)])
    }

    @Test func test_severalShapes_goInOneStatement_eachInTheOrderFirstWritten() throws {
        var held = HeldWrites()
        held.add(row("journal", "j1"))
        held.add(row("events", "e1"))
        held.add(row("journal", "j2"))
        let statement = try #require(held.statement)
        #expect(
            statement.sql
                == "WITH w0 AS (INSERT INTO journal (k, v) VALUES (?, ?), (?, ?)), "
                + "w1 AS (INSERT INTO events (k, v) VALUES (?, ?)) SELECT 1")
        #expect(statement.binds.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) == [.text("j1"), .text("j2"), .text("e1")])
    }

    @Test func test_aKeyHeldAlready_orOneBindTooMany_isNotAccepted() {
        var held = HeldWrites()
        held.add(row("slots", "fees/3"))
        #expect(!held.accepts(row("slots", "fees/3")))
        #expect(held.accepts(row("slots", "fees/4")))
        #expect(held.accepts(row("other", "fees/3")))
        let wide = BlindWrite(
            head: "INSERT INTO t (v)", row: "(?)", binds: Array(repeating: .integer(0), count: HeldWrites.bindsMax - 1), key: "wide")
        #expect(!held.accepts(wide))
        #expect(HeldWrites().accepts(wide))
    }

    /// Parts of one statement all see the database as it was before it: an update beside the
    /// insert of its row would find nothing, so a row is written once per statement, whatever
    /// the statement shape.
    @Test func test_anUpdate_isAPartOfItsOwn_andNeverJoinsAWriteOfItsRow() throws {
        var held = HeldWrites()
        held.add(row("t", "a"))
        let update = { (key: String) in
            BlindWrite.update("UPDATE t SET v = ? WHERE k = ?", table: "t", binds: [.integer(2), .text(key)], key: key)
        }
        #expect(!held.accepts(update("a")))
        #expect(held.accepts(update("b")))
        held.add(update("b"))
        #expect(!held.accepts(row("t", "b")))
        held.add(update("c"))
        let statement = try #require(held.statement)
        #expect(
            statement.sql
                == "WITH w0 AS (INSERT INTO t (k, v) VALUES (?, ?)), w1 AS (UPDATE t SET v = ? WHERE k = ?), "
                + "w2 AS (UPDATE t SET v = ? WHERE k = ?) SELECT 1")
        #expect(statement.binds == [.text("a"), .integer(1), .integer(2), .text("b"), .integer(2), .text("c")])
    }

    /// A write that states its row's whole new state (a balance or hold upsert) takes the
    /// place of the held one of the same row and shape: the row is written once, as last saved.
    @Test func test_aWholeRowWrite_replacesTheHeldWriteOfItsRow_inPlace() throws {
        let upsert = "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
        let whole = { (key: String, value: Int64) in
            BlindWrite(
                head: "INSERT INTO t (k, v)", row: "(?, ?)", tail: upsert, binds: [.text(key), .integer(value)], key: key, isWholeRow: true)
        }
        var held = HeldWrites()
        held.add(whole("a", 1))
        held.add(whole("b", 1))
        #expect(held.accepts(whole("a", 5)))
        held.add(whole("a", 5))
        #expect(!held.accepts(row("t", "a", tail: upsert)))
        #expect(!held.accepts(row("t", "b")))
        let statement = try #require(held.statement)
        #expect(statement.sql == "INSERT INTO t (k, v) VALUES (?, ?), (?, ?) \(upsert)")
        #expect(statement.binds == [.text("a"), .integer(5), .text("b"), .integer(1)])
    }

    /// What a scoped statement (`HeldWriteScope`) sees: the one row of its table it names,
    /// or the rows whose keys start with its prefix; nothing of another table.
    @Test func test_aScope_holdsTheWritesOfTheRowsItNames_only() {
        var held = HeldWrites()
        #expect(!held.holds(.prefixed(table: "t", keyPrefix: "")))
        held.add(row("t", "order/1"))
        held.add(BlindWrite.update("UPDATE u SET v = 1 WHERE k = ?", table: "u", binds: [.text("x")], key: "x"))
        #expect(held.holds(.rows(table: "t", keys: ["order/1"])))
        #expect(!held.holds(.rows(table: "t", keys: ["order/2", "x"])))
        #expect(!held.holds(.rows(table: "other", keys: ["order/1"])))
        #expect(held.holds(.rows(table: "u", keys: ["y", "x"])))
        #expect(held.holds(.prefixed(table: "t", keyPrefix: "order/")))
        #expect(!held.holds(.prefixed(table: "t", keyPrefix: "fulfillment/")))
        #expect(!held.holds(.prefixed(table: "other", keyPrefix: "")))
    }
}
