import BrokerGateCore
import BrokerGateTesting
import Foundation
import Synchronization
import Testing

@testable import BrokerGateStores

/// A row read again in the transaction that read or wrote it is what the store keeps, on
/// every store: the SQL stores answer such reads from the attempt's `TransactionCache`, and
/// these pin that the answer is the database's, not the caller's value.
struct RepeatedReadsContractTests {
    /// Sub-microsecond: stores keep integer microseconds, so the value read back differs from
    /// the one written.
    static let fineInstant = contractInstant.addingTimeInterval(0.000_012_7)

    @Test(arguments: StoreKind.allCases)
    func test_aDocumentReadInTheTransactionThatWroteIt_isTheStoredOne(kind: StoreKind) async throws {
        let store = try await kind.make()
        var written = Widget(
            id: "w-fine", owner: .generate(), parent: "p", reference: nil, unique: nil, status: "s", note: "first",
            createdAt: Self.fineInstant)
        let first = written
        let readInside = try await store.transaction { tx in
            #expect(try await tx.document(Widget.self, id: first.id) == nil)
            try await tx.insertDocument(first)
            return try await tx.document(Widget.self, id: first.id)
        }
        let readAfter = try await store.read { tx in try await tx.document(Widget.self, id: first.id) }
        #expect(readInside == readAfter)
        #expect(readAfter?.createdAt != Self.fineInstant, "the store kept nanoseconds: this test no longer tells the two apart")
        written.note = "second"
        let second = written
        let (before, after) = try await store.transaction { tx in
            let before = try await tx.document(Widget.self, id: second.id)
            try await tx.updateDocument(second)
            return (before, try await tx.document(Widget.self, id: second.id))
        }
        #expect(before?.note == "first")
        #expect(after?.note == "second")
        #expect(after == (try await store.read { tx in try await tx.document(Widget.self, id: second.id) }))
    }

    /// Prefetched documents (`prefetchDocuments`) read as the store holds them: present, absent,
    /// one the transaction wrote before (still held, on PostgreSQL), one of another kind with the
    /// same id; and one changed after the prefetch reads as changed. On PostgreSQL the prefetch
    /// is one round trip for the keys the transaction does not know (the one it wrote stays
    /// held) and the reads after it none.
    @Test(arguments: StoreKind.allCases)
    func test_prefetchedDocuments_readAsStored_inOneStatement(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = OrganizationID.generate()
        let kept = Widget(
            id: "w-kept", owner: owner, parent: nil, reference: nil, unique: nil, status: nil, note: "kept", createdAt: Self.fineInstant)
        try await store.transaction { tx in try await tx.insertDocument(kept) }
        let fresh = widget(owner, second: 2)
        let keys = [
            DocumentKey(Widget.self, id: kept.id), DocumentKey(Widget.self, id: "w-missing"), DocumentKey(Widget.self, id: fresh.id),
            DocumentKey(Gizmo.self, id: kept.id), DocumentKey(Widget.self, id: kept.id),
        ]
        let seen = try await store.transaction { tx in
            try await tx.insertDocument(fresh)
            let sentBefore = store.counters.statements
            try await tx.prefetchDocuments(keys)
            let read = (
                try await tx.document(Widget.self, id: kept.id), try await tx.document(Widget.self, id: "w-missing"),
                try await tx.document(Widget.self, id: fresh.id), try await tx.document(Gizmo.self, id: kept.id)
            )
            let sent = store.counters.statements - sentBefore
            var changed = kept
            changed.note = "changed"
            try await tx.updateDocument(changed)
            return (read, sent, try await tx.document(Widget.self, id: kept.id)?.note)
        }
        let stored = try await store.read { tx in try await tx.document(Widget.self, id: kept.id) }
        #expect(seen.0.0?.createdAt == stored?.createdAt)
        #expect(seen.0.0?.note == "kept")
        #expect(seen.0.0?.createdAt != Self.fineInstant, "a prefetch answered the caller's value, not the stored one")
        #expect(seen.0.1 == nil)
        #expect(seen.0.2?.note == fresh.note)
        #expect(seen.0.3 == nil)
        #expect(seen.2 == "changed")
        #expect(stored?.note == "changed")
        if kind == .postgres { #expect(seen.1 == 1, "one statement for every key") }
    }

    /// Parents prefetched through their children (`prefetchDocuments(_:parents:)`) read as
    /// stored: found, and absent for a child that is missing, has no parent or names a missing
    /// one. On PostgreSQL the keys and the parents are one round trip, the parent found costs
    /// no read after it, a second prefetch of the same costs none, and a child the transaction
    /// wrote (held) is seen by the subquery.
    @Test(arguments: StoreKind.allCases)
    func test_prefetchedParents_readAsStored_inOneStatement(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = OrganizationID.generate()
        let parent = Gizmo(id: "g-1", owner: owner, createdAt: Self.fineInstant)
        let laterParent = Gizmo(id: "g-2", owner: owner, createdAt: contractInstant)
        let child = widget(owner, second: 1, parent: parent.id), orphan = widget(owner, second: 2, parent: "g-missing")
        let unparented = widget(owner, second: 3)
        try await store.transaction { tx in
            for document in [child, orphan, unparented] { try await tx.insertDocument(document) }
            try await tx.insertDocument(parent)
            try await tx.insertDocument(laterParent)
        }
        let parents = [child, orphan, unparented, widget(owner, second: 4)].map {
            ParentKey(Gizmo.self, of: DocumentKey(Widget.self, id: $0.id))
        }
        let seen = try await store.read { tx in
            let sentBefore = store.counters.statements
            try await tx.prefetchDocuments([DocumentKey(Widget.self, id: child.id)], parents: parents + parents)
            let prefetched = store.counters.statements - sentBefore
            let found = try await tx.document(Gizmo.self, id: parent.id)
            let afterRead = store.counters.statements - sentBefore
            try await tx.prefetchDocuments([DocumentKey(Widget.self, id: child.id)], parents: parents)
            let again = store.counters.statements - sentBefore
            return (found, try await tx.document(Gizmo.self, id: "g-missing"), [prefetched, afterRead, again])
        }
        #expect(seen.0?.createdAt == (try await store.read { tx in try await tx.document(Gizmo.self, id: parent.id) })?.createdAt)
        #expect(seen.0?.createdAt != Self.fineInstant, "a prefetch answered the caller's value, not the stored one")
        #expect(seen.1 == nil)
        if kind == .postgres { #expect(seen.2 == [1, 1, 1], "one statement for the keys and the parents, none after it") }
        let written = widget(owner, second: 5, parent: laterParent.id)
        let (readBack, sent) = try await store.transaction { tx in
            try await tx.insertDocument(written)
            try await tx.prefetchDocuments(
                [DocumentKey(Widget.self, id: unparented.id)],
                parents: [ParentKey(Gizmo.self, of: DocumentKey(Widget.self, id: written.id))])
            let sentBefore = store.counters.statements
            return (try await tx.document(Gizmo.self, id: laterParent.id), store.counters.statements - sentBefore)
        }
        #expect(readBack == laterParent)
        if kind == .postgres { #expect(sent == 0, "the subquery saw the child written before it") }
    }

    /// Prefetched balance rows (`prefetchLedgerBalances`) read as stored, the missing one as
    /// none, and a move after the prefetch reads and commits as moved. On PostgreSQL the
    /// prefetch of a customer's rows is one round trip and the reads after it none; a list
    /// naming another account is left to the reads.
    @Test(arguments: StoreKind.allCases)
    func test_prefetchedBalances_readAsStored_inOneStatement(kind: StoreKind) async throws {
        let (store, contract, cash, stock) = try await Self.fundedAccount(kind)
        let ledger = contract.ledger, reference = contract.reference
        let seen = try await store.transaction { tx in
            try await tx.prefetchLedgerBalances([cash, .customer(.generate(), .usdPlus)])
            let sentBefore = store.counters.statements
            try await tx.prefetchLedgerBalances([cash, stock, cash])
            let read = (try await tx.ledgerBalance(cash)?.balanceUnits, try await tx.ledgerBalance(stock)?.balanceUnits)
            let sent = store.counters.statements - sentBefore
            try await ledger.transfer(1_000_000, from: cash, to: .house(.fees, .usdPlus), reason: .orderFee, reference: reference, in: tx)
            return (read, sent, try await tx.ledgerBalance(cash)?.balanceUnits)
        }
        #expect(seen.0.0 == 5_000_000)
        #expect(seen.0.1 == nil)
        #expect(seen.2 == 4_000_000)
        #expect(try await store.read { tx in try await tx.ledgerBalance(cash)?.balanceUnits } == 4_000_000)
        if kind == .postgres { #expect(seen.1 == 1, "one statement for both rows, none for the reads") }
    }

    /// A hold prefetched with its account's balance rows (`prefetchLedgerHold(_:andBalances:)`)
    /// reads as stored: the hold, a row found, a row missing, and a row this transaction saved
    /// before the prefetch without reading it (held on PostgreSQL, and seen by the prefetch).
    /// On PostgreSQL all of it is one round trip and the reads after it none.
    @Test(arguments: StoreKind.allCases)
    func test_aHoldPrefetchedWithBalances_readsAsStored_inOneStatement(kind: StoreKind) async throws {
        let (store, _, cash, stock) = try await Self.fundedAccount(kind)
        guard case .customer(let account) = cash.owner else {
            Issue.record("\(cash) is no customer's")
            return
        }
        let bond = LedgerAccountID.customer(account, .stock("BND"))
        let hold = LedgerHold(
            id: .generate(), account: cash, amountUnits: 500, postedUnits: 0, status: .pending,
            referenceKind: "order", referenceID: "o-1", createdAt: Self.fineInstant, updatedAt: Self.fineInstant)
        try await store.transaction { tx in try await tx.insertLedgerHold(hold) }
        let seen = try await store.transaction { tx in
            try await tx.saveLedgerBalance(LedgerBalance(id: bond, balanceUnits: 7, organizationID: nil))
            let sentBefore = store.counters.statements
            try await tx.prefetchLedgerHold(hold.id, andBalances: [cash, stock, bond, cash])
            let read = (
                try await tx.ledgerHold(hold.id), try await tx.ledgerBalance(cash)?.balanceUnits,
                try await tx.ledgerBalance(stock)?.balanceUnits, try await tx.ledgerBalance(bond)?.balanceUnits
            )
            return (read, store.counters.statements - sentBefore)
        }
        #expect(seen.0.0 == (try await store.read { tx in try await tx.ledgerHold(hold.id) }))
        if kind != .memory { #expect(seen.0.0?.createdAt != Self.fineInstant, "the prefetch answered the caller's hold") }
        #expect(seen.0.1 == 5_000_000)
        #expect(seen.0.2 == nil)
        #expect(seen.0.3 == 7)
        // The held save and the prefetch.
        if kind == .postgres { #expect(seen.1 == 2, "one statement for the hold and the rows, none for the reads") }
    }

    /// A store of `kind` and a customer account funded with 5,000,000 cash units: its cash and
    /// AAPL rows (the second not yet written).
    private static func fundedAccount(
        _ kind: StoreKind
    ) async throws -> (store: any Store, contract: LedgerContractTests, cash: LedgerAccountID, stock: LedgerAccountID) {
        let store = try await kind.make()
        let contract = LedgerContractTests()
        let account = AccountID.generate()
        let cash = LedgerAccountID.customer(account, .usdPlus)
        try await contract.fund(cash, 5_000_000, store)
        return (store, contract, cash, .customer(account, .stock("AAPL")))
    }

    /// Past the cache's bound (`TransactionCache.entriesMax`) rows are read from the store, and
    /// an update of a row kept and of a row not kept both read back as written.
    @Test(arguments: StoreKind.allCases)
    func test_aTransactionReadingManyDocuments_readsEachUpdateBack(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        let widgets = (0..<(TransactionCache.entriesMax + 20)).map { widget(owner, second: $0) }
        try await store.transaction { tx in
            for widget in widgets { try await tx.insertDocument(widget) }
        }
        let notes = try await store.transaction { tx in
            for widget in widgets { #expect(try await tx.document(Widget.self, id: widget.id) == widget) }
            var notes: [String?] = []
            for var widget in [widgets[0], widgets[widgets.count - 1]] {
                widget.note = "changed"
                try await tx.updateDocument(widget)
                notes.append(try await tx.document(Widget.self, id: widget.id)?.note)
            }
            return notes
        }
        #expect(notes == ["changed", "changed"])
    }

    @Test(arguments: StoreKind.allCases)
    func test_aDocumentRead_thenPurgedInTheSameTransaction_isGone(kind: StoreKind) async throws {
        let store = try await kind.make()
        let old = widget(.generate(), second: 1)
        try await store.transaction { tx in try await tx.insertDocument(old) }
        let (before, deleted, after) = try await store.transaction { tx in
            let before = try await tx.document(Widget.self, id: old.id)
            let deleted = try await tx.deleteDocuments(Widget.self, createdBefore: contractInstant.addingTimeInterval(60), limit: 10)
            return (before, deleted, try await tx.document(Widget.self, id: old.id))
        }
        #expect(before == old)
        #expect(deleted == 1)
        #expect(after == nil)
    }

    /// A hold inserted, read, updated and read again in one transaction: each read is the
    /// row the store keeps (instants in whole microseconds), and so is the read after commit.
    @Test(arguments: StoreKind.allCases)
    func test_aHoldReadInTheTransactionThatWroteIt_isTheStoredRow(kind: StoreKind) async throws {
        let store = try await kind.make()
        let hold = LedgerHold(
            id: .generate(), account: .customer(.generate(), .usdPlus), amountUnits: 500, postedUnits: 0, status: .pending,
            referenceKind: "order", referenceID: "o-1", createdAt: Self.fineInstant, updatedAt: Self.fineInstant)
        let inside = try await store.transaction { tx in
            try await tx.insertLedgerHold(hold)
            let inserted = try await tx.ledgerHold(hold.id)
            var posted = try #require(inserted)
            posted.postedUnits = 500
            posted.status = .posted
            posted.updatedAt = Self.fineInstant.addingTimeInterval(1)
            try await tx.updateLedgerHold(posted)
            return (inserted, try await tx.ledgerHold(hold.id))
        }
        if kind != .memory {  // which keeps the instant as given, so nothing differs there
            #expect(inside.0?.createdAt != Self.fineInstant, "the store kept nanoseconds: this test no longer tells the two apart")
        }
        #expect(inside.0?.status == .pending)
        let stored = try await store.read { tx in try await tx.ledgerHold(hold.id) }
        #expect(inside.1 == stored)
        #expect(stored?.status == .posted)
        #expect(stored?.postedUnits == 500)
        let updatedAgain = try await store.transaction { tx in
            var known = try #require(try await tx.ledgerHold(hold.id))
            known.status = .voided
            try await tx.updateLedgerHold(known)
            return try await tx.ledgerHold(hold.id)
        }
        #expect(updatedAgain == (try await store.read { tx in try await tx.ledgerHold(hold.id) }))
        #expect(updatedAgain?.status == .voided)
    }

    @Test(arguments: StoreKind.allCases)
    func test_aBalanceReadAgainAfterItsSave_isTheStoredRow(kind: StoreKind) async throws {
        let store = try await kind.make()
        let account = LedgerAccountID.customer(.generate(), .usdPlus)
        let owner = EntityID.generate()
        let inside = try await store.transaction { tx in
            #expect(try await tx.ledgerBalance(account) == nil)
            try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 500, heldUnits: 100, organizationID: owner))
            let first = try await tx.ledgerBalance(account)
            // The upsert keeps the row's organization; a re-read must too.
            try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 700, heldUnits: 0, organizationID: nil))
            return (first, try await tx.ledgerBalance(account))
        }
        #expect(inside.0 == LedgerBalance(id: account, balanceUnits: 500, heldUnits: 100, organizationID: owner))
        let stored = try await store.read { tx in try await tx.ledgerBalance(account) }
        #expect(stored == LedgerBalance(id: account, balanceUnits: 700, heldUnits: 0, organizationID: owner))
        #expect(inside.1 == stored)
    }

    @Test(arguments: StoreKind.allCases)
    func test_aBalanceSavedWithoutARead_isReadFromTheStore(kind: StoreKind) async throws {
        let store = try await kind.make()
        let account = LedgerAccountID.customer(.generate(), .usdPlus)
        let owner = EntityID.generate()
        try await store.transaction { tx in
            try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 5, heldUnits: 0, organizationID: owner))
        }
        let inside = try await store.transaction { tx in
            try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 9, heldUnits: 2, organizationID: nil))
            return try await tx.ledgerBalance(account)
        }
        #expect(inside == LedgerBalance(id: account, balanceUnits: 9, heldUnits: 2, organizationID: owner))
    }
}

/// What the cache saves, counted in statements on SQLite (the same SQL runs on PostgreSQL,
/// where each statement is a round trip).
struct TransactionCacheStatementTests {
    /// Counts the statements a transaction sends.
    final class CountingExecutor: SQLExecutor {
        let inner: SQLiteDatabase
        let sent = Mutex<[String]>([])

        init(_ inner: SQLiteDatabase) { self.inner = inner }

        func execute(_ sql: String, _ binds: [SQLValue]) async throws {
            sent.withLock { $0.append(sql) }
            try await inner.execute(sql, binds)
        }

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            sent.withLock { $0.append(sql) }
            return try await inner.query(sql, binds)
        }
    }

    @Test func test_repeatedReads_ofOneBalanceAndOneDocument_costAtMostOneStatementEach() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("cache.sqlite").path
        _ = try await SQLiteStore(path: path)  // migrates the file
        let db = CountingExecutor(SQLiteDatabase(connection: try SQLiteConnection(path: path)))
        let tx = SQLTransaction(db)
        let account = LedgerAccountID.customer(.generate(), .usdPlus)
        let doc = widget(.generate(), second: 1)
        try db.inner.run("BEGIN")
        try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 10, organizationID: nil))
        try await tx.insertDocument(doc)
        db.sent.withLock { $0.removeAll() }
        for _ in 0..<3 {
            #expect(try await tx.ledgerBalance(account)?.balanceUnits == 10)
            #expect(try await tx.document(Widget.self, id: doc.id) == doc)
        }
        // The document it wrote costs none; the balance it saved without reading, one read.
        #expect(db.sent.withLock { $0.count } == 1, "\(db.sent.withLock { $0 })")
        try await tx.saveLedgerBalance(LedgerBalance(id: account, balanceUnits: 20, organizationID: nil))
        #expect(try await tx.ledgerBalance(account)?.balanceUnits == 20)
        #expect(db.sent.withLock { $0.count } == 2, "a read after a save cost a statement")
        try db.inner.run("ROLLBACK")
    }
}
