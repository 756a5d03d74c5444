import BrokerGateTesting
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import BrokerGateCore
@testable import BrokerGateStores

/// What an operator can ask the SQL stores with plain SQL (README, "Querying the store"),
/// run as written there on SQLite and PostgreSQL, and migration 6 converting documents
/// stored in the old shape (JSON bytes, every open order under status `OPEN`).
struct QueryableDocumentsTests {
    static var sqlKinds: [StoreKind] { StoreKind.allCases.filter { $0 != .memory } }

    static func order(
        _ account: AccountID, client: String?, status: BrokerageOrderStatus, second: Int, id: OrderID = .generate()
    ) -> OrderRecord {
        let at = contractInstant.addingTimeInterval(TimeInterval(second))
        return OrderRecord(
            id: id, requestID: .generate(), accountID: account, entityID: .generate(), organizationID: .generate(),
            stockID: .generate(), symbol: "AAPL", side: .buy, type: .market, tif: .day, paymentAmount: Amount(units: 12_345, scale: 2),
            assetQuantity: nil, limitPrice: nil, quotedFeeUnits: 25, holdID: .generate(), clientOrderID: client, status: status,
            requestStatus: .submitted, filledQuantityUnits: 0, paymentUnits: 0, feeUnits: 0, expiresAt: nil, cancelMessage: nil,
            createdAt: at, updatedAt: at)
    }

    static func fill(of order: OrderRecord) -> FulfillmentRecord {
        FulfillmentRecord(
            id: .generate(), orderID: order.id, accountID: order.accountID, organizationID: order.organizationID, stockID: order.stockID,
            side: .buy, quantityUnits: 500_000, paymentUnits: 123_450_000, feeUnits: 25, price: Amount(units: 24_690, scale: 2),
            transactionHash: "0x" + String(repeating: "ab", count: 32), createdAt: order.createdAt.addingTimeInterval(1))
    }

    /// Runs raw SQL in one transaction of a SQL store.
    static func sql(_ store: any Store, _ text: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await store.transaction { tx in
            guard let sql = tx as? SQLTransaction else { throw StoreError("not a SQL store") }
            return try await sql.db.query(text, binds)
        }
    }

    @Test(arguments: QueryableDocumentsTests.sqlKinds)
    func test_readmeQueries_answerOpenOrdersFillsAndClientOrderIDs(kind: StoreKind) async throws {
        let store = try await kind.make()
        let account = AccountID.generate()
        let open = Self.order(account, client: "my-1", status: .partiallyFilled, second: 1)
        let done = Self.order(account, client: "my-2", status: .filled, second: 2)
        let elsewhere = Self.order(.generate(), client: nil, status: .pendingSubmit, second: 3)
        let fill = Self.fill(of: open)
        try await store.transaction { tx in
            for order in [open, done, elsewhere] { try await tx.insertDocument(order) }
            try await tx.insertDocument(fill)
        }
        let openStatuses = OrderRecord.openStatusKeys.map(SQLValue.text)
        let marks = Array(repeating: "?", count: openStatuses.count).joined(separator: ", ")
        let openRows = try await Self.sql(
            store, "SELECT id, status, payment_amount FROM orders WHERE account_id = ? AND status IN (\(marks)) ORDER BY created_at",
            [.text(account.rawValue)] + openStatuses)
        #expect(try openRows.map { try $0.text("id") } == [open.id.rawValue])
        #expect(try openRows.first?.text("status") == "PARTIALLY_FILLED")
        #expect(try openRows.first?.text("payment_amount") == "123.45")

        let fills = try await Self.sql(
            store, "SELECT id, quantity_units, price, transaction_hash FROM fulfillments WHERE order_id = ?", [.text(open.id.rawValue)])
        #expect(try fills.map { try $0.text("id") } == [fill.id.rawValue])
        #expect(try fills.first?.integer("quantity_units") == 500_000)
        #expect(try fills.first?.text("price") == "246.9")

        let byClient = try await Self.sql(store, "SELECT id, account_id FROM orders WHERE client_order_id = ?", [.text("my-2")])
        #expect(try byClient.map { try $0.text("id") } == [done.id.rawValue])
        let symbol = try await Self.sql(
            store, "SELECT body ->> 'symbol' AS symbol FROM documents WHERE kind = 'order' AND id = ?", [.text(done.id.rawValue)])
        #expect(try symbol.first?.text("symbol") == "AAPL")
        // The JSON the database holds reads back as the same document.
        #expect(try await store.transaction { tx in try await tx.document(OrderRecord.self, id: open.id.rawValue) } == open)
    }

    @Test(arguments: QueryableDocumentsTests.sqlKinds)
    func test_migration6_convertsOldDocumentsInPlace(kind: StoreKind) async throws {
        let account = AccountID.generate()
        let open = Self.order(account, client: "c-1", status: .pendingFill, second: 1)
        let done = Self.order(account, client: nil, status: .cancelled, second: 2)
        let note = widget(.generate(), second: 3, parent: "p", reference: "r", unique: "u", status: "REVIEW")
        // What version 5 stored: the JSON as bytes, every open order under `OPEN`.
        let oldRows: [(kind: String, id: String, statusKey: String?, body: [UInt8], document: any StoredDocument)] = [
            ("order", open.id.rawValue, "OPEN", try DocumentCodec.encode(open), open),
            ("order", done.id.rawValue, "CANCELLED", try DocumentCodec.encode(done), done),
            (Widget.kind, note.id, note.status, try DocumentCodec.encode(note), note),
        ]
        let store = try await OldShapeStore.make(kind) { db in
            for row in oldRows {
                try await db.execute(
                    """
                    INSERT INTO documents (kind, id, organization_id, parent_id, lookup_key, unique_key, status_key, created_at, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(row.kind), .text(row.id), .text(row.document.ownerOrganizationID.rawValue),
                        .optionalText(row.document.parentID),
                        .optionalText(row.document.lookupKey), .optionalText(row.document.uniqueKey), .optionalText(row.statusKey),
                        .integer(PageCursor.micros(row.document.createdAt)), .blob(row.body),
                    ])
            }
        }
        let read = try await store.transaction { tx in
            (
                try await tx.document(OrderRecord.self, id: open.id.rawValue), try await tx.document(Widget.self, id: note.id),
                try await tx.page(OrderRecord.self, query: .openOrders()).items.map(\.id),
                try await tx.document(Widget.self, owner: note.owner, uniqueKey: "u")
            )
        }
        #expect(read.0 == open && read.1 == note && read.3 == note)
        #expect(read.2 == [open.id], "the open order is found by its real status")
        let statuses = try await Self.sql(store, "SELECT id, status FROM orders ORDER BY created_at", [])
        #expect(try statuses.map { try $0.text("status") } == ["PENDING_FILL", "CANCELLED"])
        let widgetStatus = try await Self.sql(store, "SELECT status_key FROM documents WHERE kind = ?", [.text(Widget.kind)])
        #expect(try widgetStatus.first?.text("status_key") == "REVIEW", "other kinds keep their status key")
        try await store.close()
    }
}

/// A store whose schema stops at version 5, filled by `fill`, then opened by this build
/// (which applies versions 6 and 7).
enum OldShapeStore {
    static let logger = Logger(label: "test.migrations")

    static func make(_ kind: StoreKind, fill: @Sendable (any SQLExecutor) async throws -> Void) async throws -> any Store {
        switch kind {
        case .memory:
            throw StoreError("the memory store has no schema")
        case .sqlite:
            let path = TemporaryFolder.make().appendingPathComponent("v5.sqlite").path
            do {
                let db = SQLiteDatabase(connection: try SQLiteConnection(path: path))
                try await MigrationRunner(dialect: .sqlite, logger: logger).apply(through: 5) { body in try await body(db) }
                try await fill(db)
            }
            return try await SQLiteStore(path: path)
        case .postgres:
            let url = try await PostgresTestDatabase.create()
            let client = PostgresClient(configuration: try PostgresStore.configuration(url: url, poolSize: 1))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                try await client.withConnection { connection in
                    let db = PostgresExecutor(connection: connection, logger: logger)
                    try await MigrationRunner(dialect: .postgres, logger: logger).apply(through: 5) { body in try await body(db) }
                    try await fill(db)
                }
                group.cancelAll()
            }
            return try await PostgresStore(url: url, poolSize: 2)
        }
    }
}
