import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore
@testable import BrokerGateStores

/// The stores' memo of decoded documents answers only for the exact bytes it decoded, per
/// type, and stays within its limit.
struct DecodedDocumentsTests {
    private func lease(_ holder: String) -> SchedulerLeaseRecord {
        let instant = Date(timeIntervalSince1970: 1_796_050_800)
        return SchedulerLeaseRecord(holder: holder, expiresAt: instant, acquiredAt: instant, createdAt: instant)
    }

    @Test func test_aHit_isWhatDecodingTheSameBytesGives_andOtherBytesMiss() throws {
        let memo = DecodedDocuments(byteLimit: 1 << 20)
        let bytes = try DocumentCodec.encode(lease("a"))
        #expect(memo.value(SchedulerLeaseRecord.self, bytes) == nil)
        memo.keep(lease("a"), bytes)
        #expect(memo.value(SchedulerLeaseRecord.self, bytes) == lease("a"))
        #expect(memo.value(SchedulerLeaseRecord.self, try DocumentCodec.encode(lease("b"))) == nil, "changed: other bytes")
        var edited = bytes
        edited[edited.count - 2] ^= 1
        #expect(memo.value(SchedulerLeaseRecord.self, edited) == nil, "one bit changed misses")
        #expect(memo.value(InterestAccrualState.self, bytes) == nil, "same bytes, another type: misses")
    }

    @Test func test_pastItsLimit_itStartsOver_andKeepsNoLargeDocument() throws {
        func bytes(_ holder: String) throws -> [UInt8] { try DocumentCodec.encode(lease(holder)) }
        let size = try bytes("replica-00").count
        let memo = DecodedDocuments(byteLimit: 64 * (size + 1))
        let holders = (10..<75).map { "replica-\($0)" }
        for holder in holders { memo.keep(lease(holder), try bytes(holder)) }
        #expect(memo.count == 1, "64 fit; the 65th starts over")
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes("replica-74")) == lease("replica-74"))
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes("replica-10")) == nil)
        let large = String(repeating: "x", count: size * 2)
        memo.keep(lease(large), try bytes(large))
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes(large)) == nil, "larger than a 64th of the limit")
        #expect(memo.count == 1)
    }
}

/// What the SQLite store decodes ahead once a transaction commits
/// (`SQLTransaction.decodeWrittenAhead`): the last version written of each document that is
/// read back soon, and nothing else.
struct DecodeAheadTests {
    /// A document whose `isReadBackSoon` the test sets.
    struct Note: StoredDocument, Equatable {
        static let kind = "test_note"
        let id: String
        var text: String
        var isOpen: Bool
        let createdAt: Date
        var documentID: String { id }
        var ownerOrganizationID: OrganizationID { .house }
        var isReadBackSoon: Bool { isOpen }

        init(_ text: String, isOpen: Bool) {
            id = UUID().uuidString
            self.text = text
            self.isOpen = isOpen
            createdAt = Date(timeIntervalSince1970: 1_796_050_800)
        }
    }

    private func isDecoded(_ note: Note) throws -> Bool {
        DocumentCodec.recentlyDecoded.value(Note.self, try DocumentCodec.encode(note)) != nil
    }

    @Test func test_onSQLite_theLastVersionWrittenOfAnOpenDocument_isDecodedOnceCommitted() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("ahead.sqlite").path)
        var open = Note("first", isOpen: true)
        let closed = Note("closed", isOpen: false)
        let first = open
        open.text = "second"
        let written = open
        try await store.transaction { tx in
            try await tx.insertDocument(first)
            try await tx.updateDocument(written)
            try await tx.insertDocument(closed)
        }
        #expect(try isDecoded(written), "the open document's last version, ready for the read that comes next")
        #expect(try !isDecoded(first), "an earlier version in the same transaction is not decoded")
        #expect(try !isDecoded(closed), "a document not read back soon is not decoded")
    }

    @Test func test_aPlacedOrder_isDecodedAhead_forItsSettlement() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("order.sqlite").path)
        let fixture = TradingFixture(store: store)
        let account = try await fixture.customer(dollars: 1_000)
        let commands = OrderCommands(clock: fixture.clock, market: MarketDataService(clock: fixture.clock))
        let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!.id.rawValue
        let input = OrderRequestInput(side: .buy, type: .market, stockID: aapl, paymentAmount: Amount(units: 10_000, scale: 2))
        let order = try await store.transaction { tx in
            try await commands.create(input, accountID: account, for: fixture.principal, in: tx)
        }
        #expect(order.isReadBackSoon)
        #expect(DocumentCodec.recentlyDecoded.value(OrderRecord.self, try DocumentCodec.encode(order)) == order)
        var filled = order
        try filled.move(to: .filled, at: fixture.clock.now())
        #expect(!filled.isReadBackSoon, "a closed order is not read back by the order path")
    }

    @Test func test_aFailedTransaction_decodesNothingAhead() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("failed.sqlite").path)
        let note = Note("rolled back", isOpen: true)
        await #expect(throws: StoreError.self) {
            try await store.transaction { tx in
                try await tx.insertDocument(note)
                throw StoreError("the caller's failure")
            }
        }
        #expect(try !isDecoded(note))
    }

    @Test func test_aTransactionThatDoesNotDecodeAhead_leavesTheMemoAlone() async throws {
        // PostgreSQL's transactions: JSONB answers in its own spelling, so the written bytes
        // would never be looked up.
        let path = TemporaryFolder.make().appendingPathComponent("plain.sqlite").path
        _ = try await SQLiteStore(path: path)
        let tx = SQLTransaction(SQLiteDatabase(connection: try SQLiteConnection(path: path)))
        let note = Note("plain", isOpen: true)
        try await tx.insertDocument(note)
        tx.decodeWrittenAhead()
        #expect(try !isDecoded(note))
    }
}
