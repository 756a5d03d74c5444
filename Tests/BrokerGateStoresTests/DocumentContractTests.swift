import BrokerGateCore
import Foundation
import Testing

@testable import BrokerGateStores

/// A small document type for the contract: every index column in use.
struct Widget: StoredDocument, Equatable {
    static let kind = "widget"
    let id: String
    let owner: OrganizationID
    var parent: String?
    var reference: String?
    var unique: String?
    var status: String?
    var note: String
    let createdAt: Date

    var documentID: String { id }
    var ownerOrganizationID: OrganizationID { owner }
    var parentID: String? { parent }
    var lookupKey: String? { reference }
    var uniqueKey: String? { unique }
    var statusKey: String? { status }
}

func widget(
    _ owner: OrganizationID, second: Int, parent: String? = nil, reference: String? = nil, unique: String? = nil, status: String? = nil
) -> Widget {
    Widget(
        id: String(format: "w-%04d", second), owner: owner, parent: parent, reference: reference, unique: unique, status: status,
        note: "note \(second) — ✓", createdAt: contractInstant.addingTimeInterval(TimeInterval(second)))
}

extension Store {
    /// The ids of the widgets on the page `query` asks for.
    func widgetIDs(_ query: DocumentQuery) async throws -> [String] {
        try await transaction { tx in try await tx.page(Widget.self, query: query) }.items.map(\.id)
    }
}

/// A store holding one widget with every index column set.
private func storedWidget(_ kind: StoreKind) async throws -> (store: any Store, owner: OrganizationID, widget: Widget) {
    let store = try await kind.make()
    let owner = EntityID.generate()
    let original = widget(owner, second: 1, parent: "p", reference: "r", unique: "u", status: "s")
    try await store.transaction { tx in try await tx.insertDocument(original) }
    return (store, owner, original)
}

struct DocumentContractTests {
    @Test(arguments: StoreKind.allCases)
    func test_document_roundTrips_andUpdates(kind: StoreKind) async throws {
        let (store, owner, original) = try await storedWidget(kind)
        #expect(try await store.transaction { tx in try await tx.document(Widget.self, id: original.id) } == original)
        var changed = original
        changed.note = "changed"
        changed.status = "t"
        let updated = changed
        try await store.transaction { tx in try await tx.updateDocument(updated) }
        #expect(try await store.transaction { tx in try await tx.document(Widget.self, id: updated.id) } == updated)
        #expect(try await store.transaction { tx in try await tx.document(Widget.self, owner: owner, uniqueKey: "u") } == updated)
        #expect(try await store.transaction { tx in try await tx.document(Widget.self, owner: .generate(), uniqueKey: "u") } == nil)
    }

    /// The SQL stores set only the index columns that changed when the transaction read the
    /// document first: every column must still answer as if all were set.
    @Test(arguments: StoreKind.allCases)
    func test_updateAfterARead_keepsEveryIndexColumnRight_changedOrNot(kind: StoreKind) async throws {
        let (store, owner, original) = try await storedWidget(kind)
        for step in 0..<3 {
            let next = try await store.transaction { tx -> Widget in
                var widget = try #require(try await tx.document(Widget.self, id: original.id))
                widget.note = "step \(step)"
                if step == 1 { (widget.status, widget.reference) = ("t", nil) }
                if step == 2 { (widget.parent, widget.unique, widget.reference) = ("q", "v", "r2") }
                try await tx.updateDocument(widget)
                return widget
            }
            #expect(try await store.read { tx in try await tx.document(Widget.self, id: original.id) } == next)
            #expect(try await store.widgetIDs(.init(owner: owner, parentID: next.parent)) == [original.id], "step \(step)")
            #expect(try await store.widgetIDs(.init(owner: nil, statusKey: next.status)) == [original.id], "step \(step)")
            let unique = try #require(next.unique)
            #expect(try await store.read { tx in try await tx.document(Widget.self, owner: owner, uniqueKey: unique) } == next)
            if let reference = next.reference {
                #expect(try await store.widgetIDs(.init(owner: owner, lookupKey: reference)) == [original.id])
            }
        }
        // What the last two steps replaced finds nothing any more.
        #expect(try await store.widgetIDs(.init(owner: nil, statusKey: "s")) == [])
        #expect(try await store.widgetIDs(.init(owner: owner, lookupKey: "r")) == [])
        #expect(try await store.widgetIDs(.init(owner: owner, parentID: "p")) == [])
        #expect(try await store.read { tx in try await tx.document(Widget.self, owner: owner, uniqueKey: "u") } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_uniqueKey_isUniquePerOwner_andRefusedWithDuplicateKey(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate(), other = EntityID.generate()
        try await store.transaction { tx in try await tx.insertDocument(widget(owner, second: 1, unique: "client-1")) }
        do {
            try await store.transaction { tx in try await tx.insertDocument(widget(owner, second: 2, unique: "client-1")) }
            Issue.record("a duplicate unique key was accepted")
        } catch let error as DomainError {
            #expect(error.code == "duplicate_key")
        }
        // Same key under another owner is fine; a missing key never collides.
        try await store.transaction { tx in
            try await tx.insertDocument(widget(other, second: 3, unique: "client-1"))
            try await tx.insertDocument(widget(owner, second: 4))
            try await tx.insertDocument(widget(owner, second: 5))
        }
        #expect(try await store.transaction { tx in try await tx.countDocuments(Widget.self, query: .init(owner: owner)) } == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func test_pages_walkForwardAndBack_inBothOrders(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        try await store.transaction { tx in
            for second in 1...7 { try await tx.insertDocument(widget(owner, second: second)) }
            try await tx.insertDocument(widget(.generate(), second: 8))
        }
        for order in [PageRequest.Order.asc, .desc] {
            let expected = order == .asc ? Array(1...7) : Array((1...7).reversed())
            var seen: [Int] = []
            var request = PageRequest(limit: 3, order: order)
            var pages: [Page<Widget>] = []
            while true {
                let query = DocumentQuery(owner: owner, page: request)
                let page = try await store.transaction { tx in try await tx.page(Widget.self, query: query) }
                pages.append(page)
                seen += page.items.map { Int($0.id.dropFirst(2))! }
                guard let next = page.next else { break }
                request.direction = .after(next)
            }
            #expect(seen == expected)
            #expect(pages.map(\.items.count) == [3, 3, 1])
            #expect(pages[0].previous == nil)
            // Walking back from the last page returns the middle page.
            let back = DocumentQuery(
                owner: owner, page: PageRequest(limit: 3, order: order, direction: .before(try #require(pages[2].previous))))
            let middle = try await store.transaction { tx in try await tx.page(Widget.self, query: back) }
            #expect(middle.items.map(\.id) == pages[1].items.map(\.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func test_filters_byParentLookupAndStatus_andOwnerless(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = EntityID.generate(), b = EntityID.generate()
        try await store.transaction { tx in
            try await tx.insertDocument(widget(a, second: 1, parent: "e1", reference: "ref", status: "REVIEW"))
            try await tx.insertDocument(widget(a, second: 2, parent: "e2", reference: "ref"))
            try await tx.insertDocument(widget(b, second: 3, parent: "e1", status: "REVIEW"))
        }
        #expect(try await store.widgetIDs(.init(owner: a, parentID: "e1")) == ["w-0001"])
        #expect(try await store.widgetIDs(.init(owner: a, lookupKey: "ref")) == ["w-0001", "w-0002"])
        #expect(try await store.widgetIDs(.init(owner: b, lookupKey: "ref")) == [])
        #expect(try await store.widgetIDs(.init(owner: nil, statusKey: "REVIEW")) == ["w-0001", "w-0003"])
    }

    @Test(arguments: StoreKind.allCases)
    func test_anyOfFilters_matchEveryListedValue_andPageInTheStore(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = EntityID.generate(), b = EntityID.generate()
        try await store.transaction { tx in
            try await tx.insertDocument(widget(a, second: 1, parent: "p1", reference: "acct", status: "A"))
            try await tx.insertDocument(widget(a, second: 2, parent: "p2", reference: "acct", status: "B"))
            try await tx.insertDocument(widget(a, second: 3, parent: "p3", reference: "acct", status: "C"))
            try await tx.insertDocument(widget(a, second: 4, parent: "p1", reference: "other", status: "C"))
            try await tx.insertDocument(widget(b, second: 5, parent: "p1", status: "A"))
        }
        #expect(try await store.widgetIDs(.init(owner: a, parentIDs: ["p1", "p3"])) == ["w-0001", "w-0003", "w-0004"])
        #expect(try await store.widgetIDs(.init(owner: a, parentIDs: ["p1", "p3"], lookupKey: "acct")) == ["w-0001", "w-0003"])
        #expect(try await store.widgetIDs(.init(owner: nil, statusKeys: ["A", "C"])) == ["w-0001", "w-0003", "w-0004", "w-0005"])
        #expect(try await store.widgetIDs(.init(owner: nil, parentIDs: ["p1"], statusKeys: ["A"])) == ["w-0001", "w-0005"])
        #expect(try await store.widgetIDs(.init(owner: a, parentIDs: [])) == [], "an empty list matches nothing")
        #expect(try await store.widgetIDs(.init(owner: nil, statusKeys: [])) == [])
        let count = try await store.transaction { tx in
            try await tx.countDocuments(Widget.self, query: .init(owner: nil, statusKeys: ["B", "C"]))
        }
        #expect(count == 3)
        // The page is cut after filtering: two full pages, newest first, then the rest.
        var query = DocumentQuery(owner: nil, statusKeys: ["A", "C"], page: PageRequest(limit: 2, order: .desc))
        var pages: [[String]] = []
        while true {
            let page = try await store.transaction { [query] tx in try await tx.page(Widget.self, query: query) }
            pages.append(page.items.map(\.id))
            guard let next = page.next else { break }
            query.page.direction = .after(next)
        }
        #expect(pages == [["w-0005", "w-0004"], ["w-0003", "w-0001"]])
    }

    @Test(arguments: StoreKind.allCases)
    func test_blobs_areWriteOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let bytes: [UInt8] = [0, 1, 2, 255, 0]
        try await store.transaction { tx in try await tx.insertBlob(id: "b1", bytes: bytes) }
        #expect(try await store.transaction { tx in try await tx.blob(id: "b1") } == bytes)
        #expect(try await store.transaction { tx in try await tx.blob(id: "missing") } == nil)
        await #expect(throws: (any Error).self) {
            try await store.transaction { tx in try await tx.insertBlob(id: "b1", bytes: [9]) }
        }
        #expect(try await store.transaction { tx in try await tx.blob(id: "b1") } == bytes)
    }

    /// The writes that must find or create exactly one row say so when they change none (on
    /// SQLite they count changed rows instead of reading a RETURNING clause): a second
    /// insert of an id, an update of a document or hold that was never stored. Each fails
    /// its transaction and leaves what is stored as it was.
    @Test(arguments: StoreKind.allCases)
    func test_writesThatChangeNoRow_fail_andChangeNothing(kind: StoreKind) async throws {
        let (store, owner, original) = try await storedWidget(kind)
        let duplicate = Widget(
            id: original.id, owner: owner, parent: nil, reference: nil, unique: nil, status: nil, note: "again",
            createdAt: contractInstant.addingTimeInterval(2))
        await #expect(throws: (any Error).self) { try await store.transaction { tx in try await tx.insertDocument(duplicate) } }
        let missing = widget(owner, second: 3)
        await #expect(throws: (any Error).self) { try await store.transaction { tx in try await tx.updateDocument(missing) } }
        let hold = LedgerHold(
            id: .generate(), account: .customer(.generate(), .usdPlus), amountUnits: 500, postedUnits: 0, status: .pending,
            referenceKind: "order", referenceID: "o-1", createdAt: contractInstant, updatedAt: contractInstant)
        await #expect(throws: (any Error).self) { try await store.transaction { tx in try await tx.updateLedgerHold(hold) } }
        #expect(try await store.read { tx in try await tx.document(Widget.self, id: original.id) } == original)
        #expect(try await store.read { tx in try await tx.document(Widget.self, id: missing.id) } == nil)
        #expect(try await store.read { tx in try await tx.ledgerHold(hold.id) } == nil)
    }

    /// A read of one statement answers as `read` does. On PostgreSQL it is that one round trip;
    /// a body that needs a second statement runs again as `read` (the first try's statement
    /// wasted), and a write inside it fails as inside any read.
    @Test(arguments: StoreKind.allCases)
    func test_aReadInOneStatement_answersAsARead_inOneRoundTripOnPostgreSQL(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = EntityID.generate()
        let (first, second, third) = (widget(owner, second: 1), widget(owner, second: 2), widget(owner, second: 3))
        try await store.transaction { tx in
            try await tx.insertDocument(first)
            try await tx.insertDocument(second)
        }
        let keys = [DocumentKey(Widget.self, id: first.id), DocumentKey(Widget.self, id: second.id)]
        var sent = store.counters.statements
        let prefetched = try await store.readInOneStatement { tx in
            _ = try await tx.prefetchDocuments(keys, andBalancesOf: .generate())
            return [try await tx.document(Widget.self, id: first.id), try await tx.document(Widget.self, id: second.id)]
        }
        #expect(prefetched == [first, second])
        if kind == .postgres { #expect(store.counters.statements - sent == 1) }
        sent = store.counters.statements
        let readOneByOne = try await store.readInOneStatement { tx in
            [try await tx.document(Widget.self, id: first.id), try await tx.document(Widget.self, id: second.id)]
        }
        #expect(readOneByOne == [first, second])
        if kind == .postgres { #expect(store.counters.statements - sent == 5, "the try's first read, then BEGIN, two reads, COMMIT") }
        // A body that swallows the refusal of its second statement still gets its answer.
        let forgiving = try await store.readInOneStatement { tx in
            [try await tx.document(Widget.self, id: first.id), (try? await tx.document(Widget.self, id: second.id)) ?? nil]
        }
        #expect(forgiving == [first, second])
        await #expect(throws: (any Error).self) {
            try await store.readInOneStatement { tx in try await tx.insertDocument(third) }
        }
        #expect(try await store.read { tx in try await tx.document(Widget.self, id: third.id) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_failedTransaction_leavesNoDocument(kind: StoreKind) async throws {
        struct Boom: Error {}
        let store = try await kind.make()
        let item = widget(.generate(), second: 1)
        await #expect(throws: Boom.self) {
            try await store.transaction { tx in
                try await tx.insertDocument(item)
                throw Boom()
            }
        }
        #expect(try await store.transaction { tx in try await tx.document(Widget.self, id: item.id) } == nil)
    }
}
