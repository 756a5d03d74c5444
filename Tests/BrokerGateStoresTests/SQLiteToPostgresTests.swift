import BrokerGateBroker
import BrokerGateCore
import BrokerGateTesting
import CSQLite
import Foundation
import Testing

@testable import BrokerGateStores

/// `brokergate migrate-store`: a SQLite store with every kind of row, copied into an empty
/// PostgreSQL database, reads back the same row for row and reconciles the same; new writes
/// on PostgreSQL continue the sequences; anything but a stopped, current, clean source and
/// an empty target is refused with nothing written.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] != nil, "needs PostgreSQL"))
struct SQLiteToPostgresTests {
    /// A stopped SQLite store holding organizations, a key, an idempotency record, a blob,
    /// events, two funded customers with filled market buys and an open limit order (a hold).
    static func stoppedTradingStore() async throws -> String {
        let path = TemporaryFolder.make().appendingPathComponent("live.sqlite").path
        let store = try await SQLiteStore(path: path)
        try await trade(in: store, customers: 2)
        let organization = makeOrganization()
        try await store.transaction { tx in
            try await tx.insertOrganization(organization)
            try await tx.insertAPIKey(
                .hashing(secret: "s3cret-s3cret-s3cret", id: .generate(), organizationID: organization.id, createdAt: contractInstant))
            try await tx.insertIdempotencyRecord(RetentionContractTests.record(organization.id, second: 1))
            try await tx.insertBlob(id: "kyc-document-1", bytes: [0, 255, 1, 254])
            for second in 0..<3 { try await tx.appendEvent(storedEvent(organization.id, second: second)) }
        }
        _ = try await store.transaction { tx in try await tx.sequenceEvents(limit: 100) }
        try await store.close()
        return path
    }

    /// Funded customers, each with a filled market buy, and one limit order left open.
    static func trade(in store: any Store, customers: Int) async throws {
        let fixture = TradingFixture(store: store)
        let clock = fixture.clock, principal = fixture.principal
        let commands = OrderCommands(clock: clock, market: MarketDataService(clock: clock))
        let engine = OrderEngine(clock: clock, broker: SimulatedBroker(store: store, clock: clock))
        let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!.id.rawValue
        let low = Amount(units: 100, scale: 2)  // $1: never marketable, so the order stays open with its hold
        for index in 0..<customers {
            let account = try await fixture.customer(dollars: 1_000)
            // The fixture mints USD+ without its USDC: put the reserve behind it, as a deposit does.
            _ = try await store.transaction { tx in
                try await Ledger(clock: clock).transfer(
                    1_000_000_000, from: .house(.usdcOnChain, .usdc), to: .house(.usdcReserve, .usdc), reason: .deposit,
                    reference: ("test", "reserve"), in: tx)
            }
            let inputs = [
                OrderRequestInput(side: .buy, type: .market, stockID: aapl, paymentAmount: Amount(units: 10_000, scale: 2)),
                OrderRequestInput(side: .buy, type: .limit, stockID: aapl, assetQuantity: Amount(units: 10_000, scale: 4), limitPrice: low),
            ]
            for input in inputs.prefix(index == 0 ? 2 : 1) {
                let order = try await store.transaction { tx in try await commands.create(input, accountID: account, for: principal, in: tx)
                }
                try await engine.advance(order.id, store: store)
            }
        }
    }

    @Test func test_migrateStore_copiesEveryRowExactly_andTheBooksReconcileTheSame() async throws {
        let source = try await Self.stoppedTradingStore()
        let target = try await PostgresTestDatabase.create()
        let report = try await SQLiteToPostgres.copy(from: source, to: target, batchRows: 2)
        #expect(report.matches)
        #expect(report.tables.map(\.table) == CopiedTables.names)
        for table in CopiedTables.names where table != "rate_buckets" {
            #expect(report.tables.first { $0.table == table }?.sourceRows ?? 0 > 0, "\(table) was exercised")
        }
        let postgres = try await PostgresStore(url: target, poolSize: 2)
        let sqlite = try SQLiteReadOnlyStore(path: source)
        for table in CopiedTables.names {
            let copied = try await TableRows.read(table, from: postgres), original = try await TableRows.read(table, from: sqlite)
            #expect(copied == original, "\(table) differs: \(copied.difference(original))")
        }
        let verified = try await StoreVerification.run(postgres, checkedAt: Date())
        #expect(verified.isClean, "\(verified.lines.filter { !$0.passed })")
        #expect(verified.ledgerSequence == report.source.ledgerSequence)
    }

    @Test func test_afterMigration_newWritesOnPostgres_continueTheSequences() async throws {
        let source = try await Self.stoppedTradingStore()
        let target = try await PostgresTestDatabase.create()
        let report = try await SQLiteToPostgres.copy(from: source, to: target)
        let postgres = try await PostgresStore(url: target, poolSize: 2)
        try await Self.trade(in: postgres, customers: 1)
        let owner = makeOrganization()
        try await postgres.transaction { tx in
            try await tx.insertOrganization(owner)
            try await tx.appendEvent(storedEvent(owner.id, second: 99))
        }
        _ = try await postgres.transaction { tx in try await tx.sequenceEvents(limit: 100) }
        let sequence = try await postgres.read { tx in try await tx.ledgerSequence() }
        #expect(sequence > report.source.ledgerSequence ?? .max)
        let events = try await postgres.read { tx in try await tx.events(owner: nil, after: 0, types: nil, limit: 1_000) }
        let positions = events.compactMap(\.position)
        #expect(Set(positions).count == events.count, "every event numbered once")
        let added = try #require(events.first { $0.id == "e-000099" })
        #expect(added.position == positions.max(), "the new event is numbered after every copied one")
        #expect(try await StoreVerification.run(postgres, checkedAt: Date()).isClean)
    }
}

/// Every row of one table as canonical text (columns by name, JSON bodies with sorted
/// keys), sorted: JSONB keeps a document's meaning, not its spelling (key order, spaces),
/// so bodies compare as JSON values.
struct TableRows: Equatable {
    let rows: [String]

    static func read(_ table: String, from store: any Store) async throws -> TableRows {
        let rows = try await store.read { tx in
            try await (tx as! SQLTransaction).db.query("SELECT * FROM \(table)", [])
        }
        return TableRows(rows: try rows.map(canonical).sorted())
    }

    /// What one side has that the other lacks, for a short failure message.
    func difference(_ other: TableRows) -> [String] {
        Array(Set(rows).symmetricDifference(other.rows).sorted().prefix(4))
    }

    static func canonical(_ row: SQLRow) throws -> String {
        try row.columns.sorted { $0.key < $1.key }.map { name, value in
            switch value {
            case .null: return "\(name)=null"
            case .integer(let number): return "\(name)=int:\(number)"
            case .blob(let bytes): return "\(name)=bytes:\(bytes)"
            case .text(let text):
                guard text.hasPrefix("{"), let data = text.data(using: .utf8) else { return "\(name)=text:\(text)" }
                let json = try JSONSerialization.jsonObject(with: data)
                let sorted = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
                return "\(name)=json:" + String(decoding: sorted, as: UTF8.self)
            }
        }.joined(separator: ";")
    }
}
