import BrokerGateCore
import Foundation

/// Documents over SQL: one `documents` table keyed by (kind, id) with index columns and the
/// body as JSON an operator can query (text on SQLite, JSONB on PostgreSQL; see
/// `Migrations` version 7 and README's "Querying the store"), and write-once `blobs`.
/// Every value is bound; only fixed fragments are concatenated.
extension SQLTransaction {
    /// A document without a unique key can only collide on its id, which is a bug whenever it
    /// surfaces, so where the executor holds blind writes it is held with them (one round trip
    /// for the order, its hold, events and audit record); so is one whose unique key the
    /// system made (`uniqueKeyIsSystemMade`: a fill's transaction hash). One with a caller's
    /// unique key is inserted at once, so a duplicate is told to the caller as
    /// `DocumentCodec.duplicate`.
    func insertDocument<D: StoredDocument>(_ document: D) async throws {
        let body = try DocumentCodec.encode(document)
        let write = BlindWrite(
            head: Self.insertHead, row: "(?, ?, ?, ?, ?, ?, ?, ?, \(db.jsonPlaceholder))",
            binds: [.text(D.kind), .text(document.documentID)] + Self.indexColumns(document) + [Self.bodyValue(body)],
            key: Self.rowKey(D.self, id: document.documentID))
        if document.uniqueKey == nil || D.uniqueKeyIsSystemMade, db.holdsBlindWrites {
            try await db.write(write)
        } else if try await db.changedRowCount(
            write.sql + " ON CONFLICT DO NOTHING", returning: "id", write.binds,
            seeing: .prefixed(table: "documents", keyPrefix: D.kind + "/")
        ) == 0 {
            // Nothing inserted: tell a duplicate unique key (the caller's rule) from a duplicate id (a bug).
            if let unique = document.uniqueKey,
                try await self.document(D.self, owner: document.ownerOrganizationID, uniqueKey: unique) != nil
            {
                throw DocumentCodec.duplicate
            }
            throw StoreError("duplicate \(D.kind) id \(document.documentID)")
        }
        wrote(document, body: body)
    }

    private static let insertHead =
        "INSERT INTO documents (kind, id, organization_id, parent_id, lookup_key, unique_key, status_key, created_at, body)"

    /// A document's key among held writes (`BlindWrite.key`): kind and id.
    private static func rowKey<D: StoredDocument>(_ type: D.Type, id: String) -> String { rowKey(DocumentKey(type, id: id)) }
    private static func rowKey(_ key: DocumentKey) -> String { key.kind + "/" + key.id }

    /// The documents at `keys` this transaction does not know yet, in one statement, into its
    /// cache: each as its stored bytes, or absent. A single one is left to `document(_:id:)`,
    /// which reads it as cheaply, and so is every one where a statement is no round trip.
    func prefetchDocuments(_ keys: [DocumentKey]) async throws {
        try await prefetchDocuments(keys, parents: [])
    }

    /// As `prefetchDocuments(_:)`, with each parent of `parents` this transaction has not asked
    /// for yet found through its child by a subquery in the same statement. A parent found is
    /// kept like any document read, unless the transaction knows it already; one not found is
    /// not kept (its id is not known here), so a read of it asks the store as before.
    func prefetchDocuments(_ keys: [DocumentKey], parents: [ParentKey]) async throws {
        guard db.statementIsRoundTrip else { return }
        let wanted = unknownDocuments(keys)
        let wantedParents = Self.eachOnce(parents) { parent in !cache.withLock { $0.asked(parent) } }
        guard wanted.count + wantedParents.count > 1 else { return }
        let parentTerms = Array(
            repeating: "(kind = ? AND id = (SELECT parent_id FROM documents WHERE kind = ? AND id = ?))", count: wantedParents.count)
        let rows = try await db.query(
            "SELECT kind, id, \(Self.bodyColumn) FROM documents WHERE "
                + ((wanted.isEmpty ? [] : [Self.anyOfKeys(wanted)]) + parentTerms).joined(separator: " OR "),
            Self.keyBinds(wanted) + wantedParents.flatMap { [SQLValue.text($0.kind), .text($0.child.kind), .text($0.child.id)] },
            // A parent's id is not known before the statement: it sees every held document.
            seeing: wantedParents.isEmpty
                ? .rows(table: "documents", keys: wanted.map(Self.rowKey)) : .prefixed(table: "documents", keyPrefix: ""))
        var found: [DocumentKey: [UInt8]] = [:]
        for row in rows { found[DocumentKey(kind: try row.text("kind"), id: try row.text("id"))] = try row.blob("body") }
        keepPrefetched(found, of: wanted)
        cache.withLock { cache in
            // A parent this transaction knows already keeps what it knows (what it wrote last).
            for (key, body) in found where !wanted.contains(key) && cache.document(key) == nil { cache.fetched(body, at: key) }
            for parent in wantedParents { cache.ask(parent) }
        }
    }

    /// Of `keys`, each once, those this transaction does not know yet.
    private func unknownDocuments(_ keys: [DocumentKey]) -> [DocumentKey] {
        Self.eachOnce(keys) { key in cache.withLock { $0.document(key) == nil } }
    }

    /// What a prefetch of `wanted` read, into the cache: each body found, the others as absent.
    private func keepPrefetched(_ found: [DocumentKey: [UInt8]], of wanted: [DocumentKey]) {
        cache.withLock { cache in
            for key in wanted { cache.fetched(found[key], at: key) }
        }
    }

    /// "(kind = ? AND id = ?) OR …", one per key, and its binds (`keyBinds`).
    private static func anyOfKeys(_ keys: [DocumentKey]) -> String {
        Array(repeating: "(kind = ? AND id = ?)", count: keys.count).joined(separator: " OR ")
    }

    private static func keyBinds(_ keys: [DocumentKey]) -> [SQLValue] {
        keys.flatMap { [SQLValue.text($0.kind), .text($0.id)] }
    }

    /// The documents at `keys` this transaction does not know yet and the customer's balance
    /// rows (`ledgerBalances(customer:)`, the same range on the balances' key), in one
    /// statement: on PostgreSQL one round trip instead of two, on SQLite one statement instead
    /// of one per document and one for the balances.
    func prefetchDocuments(_ keys: [DocumentKey], andBalancesOf account: AccountID) async throws -> [LedgerBalance] {
        let wanted = unknownDocuments(keys)
        guard !wanted.isEmpty else { return try await ledgerBalances(customer: account) }
        let (from, to) = SQLTransaction.customerBalanceRange(account)
        let rows = try await db.query(
            "SELECT kind, id, \(Self.bodyColumn), NULL AS account, NULL AS organization_id, NULL AS balance_units, NULL AS held_units "
                + "FROM documents WHERE " + Self.anyOfKeys(wanted)
                + " UNION ALL SELECT NULL, NULL, NULL, account, organization_id, balance_units, held_units "
                + "FROM ledger_balances WHERE account >= ? AND account < ?",
            Self.keyBinds(wanted) + [.text(from), .text(to)])
        var found: [DocumentKey: [UInt8]] = [:]
        var balances: [LedgerBalance] = []
        for row in rows {
            if let kind = try row.optionalText("kind") {
                found[DocumentKey(kind: kind, id: try row.text("id"))] = try row.blob("body")
            } else {
                balances.append(try SQLTransaction.balance(row))
            }
        }
        keepPrefetched(found, of: wanted)
        return balances.sorted { $0.id.rawValue < $1.id.rawValue }
    }

    /// A document this transaction read or wrote is known to exist; where the executor holds
    /// blind writes its update is held with them (`BlindWrite.update`). Otherwise one
    /// `UPDATE` that must find it.
    ///
    /// Only the index columns that changed are set when the transaction holds the previous
    /// version decoded (read it before changing it, as every state change does): SQLite
    /// rewrites the entries of every index on a column an `UPDATE` sets, changed or not, and
    /// an order's fill set all six: as dear as an insert (10.3 µs against 5.5 µs setting only
    /// the status and body, on a bench store's orders; stop 40).
    func updateDocument<D: StoredDocument>(_ document: D) async throws {
        let body = try DocumentCodec.encode(document)
        let previous = cache.withLock { cache -> D? in
            guard case .decoded(let known as D) = cache.document(D.self, id: document.documentID) else { return nil }
            return known
        }
        let columns = Self.indexColumns(document)
        let before = previous.map(Self.indexColumns)
        let changed = Self.indexColumnNames.indices.filter { before?[$0] != columns[$0] }
        let sql =
            "UPDATE documents SET " + changed.map { Self.indexColumnNames[$0] + " = ?, " }.joined()
            + "body = \(db.jsonPlaceholder) WHERE kind = ? AND id = ?"
        let binds = changed.map { columns[$0] } + [Self.bodyValue(body), .text(D.kind), .text(document.documentID)]
        if db.holdsBlindWrites, cache.withLock({ $0.knowsPresent(D.self, id: document.documentID) }) {
            try await db.write(.update(sql, table: "documents", binds: binds, key: Self.rowKey(D.self, id: document.documentID)))
        } else {
            let updated = try await db.changedRowCount(sql, returning: "id", binds, seeing: nil)
            guard updated > 0 else { throw StoreError("update of missing \(D.kind) \(document.documentID)") }
        }
        wrote(document, body: body)
    }

    func writtenBody(of key: DocumentKey) -> [UInt8]? {
        cache.withLock { $0.writtenBody(of: key) }
    }

    /// By id, from this transaction's cache when it read or wrote the document already.
    func document<D: StoredDocument>(_ type: D.Type, id: String) async throws -> D? {
        let document: D?
        switch cache.withLock({ $0.document(type, id: id) }) {
        case .absent: return nil
        case .decoded(let known as D): return known
        case .stored(let body), .written(let body): document = try DocumentCodec.decode(type, body)
        case .decoded, nil:
            document = try await one(
                "SELECT \(Self.bodyColumn) FROM documents WHERE kind = ? AND id = ?", [.text(D.kind), .text(id)],
                row: Self.rowKey(D.self, id: id), of: "documents"
            ) { row in try DocumentCodec.decode(type, try row.blob("body")) }
        }
        cache.withLock { $0.read(document, type, id: id) }
        return document
    }

    func document<D: StoredDocument>(_ type: D.Type, owner: OrganizationID, uniqueKey: String) async throws -> D? {
        try await one(
            "SELECT \(Self.bodyColumn) FROM documents WHERE kind = ? AND organization_id = ? AND unique_key = ?",
            [.text(D.kind), .text(owner.rawValue), .text(uniqueKey)]
        ) { row in try DocumentCodec.decode(type, try row.blob("body")) }
    }

    func fetchDocuments<D: StoredDocument>(
        _ type: D.Type, query: DocumentQuery, ascending: Bool, cursor: PageCursor?, limit: Int
    ) async throws -> [D] {
        var (sql, binds) = Self.filter(D.kind, query)
        if let cursor {
            // A row-value comparison, not the equivalent `a > ? OR (a = ? AND b > ?)`: both
            // SQLite and PostgreSQL seek an index on (…, created_at, id) with it, where the OR
            // form made SQLite walk the index from the start and filter, so page n cost O(n).
            sql += ascending ? " AND (created_at, id) > (?, ?)" : " AND (created_at, id) < (?, ?)"
            binds += [.integer(cursor.createdAtMicros), .text(cursor.id)]
        }
        // With a list of values (`IN`), no index yields the rows in (created_at, id) order,
        // and SQLite, given the order as is, walks every row of the kind by documents_kind
        // to skip the sort: every pass over the few open orders read all 100k orders
        // (25 ms). With `+created_at` no index can give the order, so it seeks each value's
        // range (documents_status, …) and sorts the few rows found (0.8 ms).
        let sorted = Self.isAnyOfList(query) ? "+created_at" : "created_at"
        sql += ascending ? " ORDER BY \(sorted) ASC, id ASC LIMIT ?" : " ORDER BY \(sorted) DESC, id DESC LIMIT ?"
        binds.append(.integer(Int64(limit)))
        return try await all("SELECT \(Self.bodyColumn) FROM documents WHERE " + sql, binds) { row in
            try DocumentCodec.decode(type, try row.blob("body"))
        }
    }

    func countDocuments<D: StoredDocument>(_ type: D.Type, query: DocumentQuery) async throws -> Int {
        let (sql, binds) = Self.filter(D.kind, query)
        let rows = try await db.query("SELECT COUNT(*) AS n FROM documents WHERE " + sql, binds)
        return Int(try rows.first?.integer("n") ?? 0)
    }

    func insertBlob(id: String, bytes: [UInt8]) async throws {
        try await db.execute("INSERT INTO blobs (id, bytes) VALUES (?, ?)", [.text(id), .blob(bytes)])
    }

    func blob(id: String) async throws -> [UInt8]? {
        try await one("SELECT bytes FROM blobs WHERE id = ?", [.text(id)]) { try $0.blob("bytes") }
    }

    func deleteDocuments<D: StoredDocument>(_ type: D.Type, createdBefore cutoff: Date, limit: Int) async throws -> Int {
        // A range of documents_kind (kind, created_at, id), deleted by primary key.
        let rows = try await db.query(
            """
            DELETE FROM documents WHERE kind = ? AND id IN (
                SELECT id FROM documents WHERE kind = ? AND created_at < ? ORDER BY created_at, id LIMIT ?
            ) RETURNING id
            """, [.text(D.kind), .text(D.kind), .integer(PageCursor.micros(cutoff)), .integer(Int64(limit))])
        cache.withLock { $0.forget(D.self) }
        return rows.count
    }

    /// The body as JSON text on both engines (a no-op on SQLite; JSONB's text form on
    /// PostgreSQL, which the driver hands back as a string).
    private static let bodyColumn = "CAST(body AS TEXT) AS body"

    private static func isAnyOfList(_ query: DocumentQuery) -> Bool {
        (query.parentIDs?.count ?? 0) > 1 || (query.statusKeys?.count ?? 0) > 1
    }

    /// The WHERE clause for a query: fixed fragments, every value bound.
    private static func filter(_ kind: String, _ query: DocumentQuery) -> (String, [SQLValue]) {
        var sql = "kind = ?"
        var binds: [SQLValue] = [.text(kind)]
        let anyOf: [(String, [String]?)] = [
            ("organization_id", query.owner.map { [$0.rawValue] }), ("parent_id", query.parentIDs),
            ("lookup_key", query.lookupKey.map { [$0] }),
            ("status_key", query.statusKeys),
        ]
        for case (let column, let values?) in anyOf {
            if values.isEmpty {
                sql += " AND 1 = 0"
            } else if values.count == 1 {
                sql += " AND \(column) = ?"
            } else {
                sql += " AND \(column) IN (\(Self.marks(values.count)))"
            }
            binds += values.map(SQLValue.text)
        }
        return (sql, binds)
    }

    /// The names of `indexColumns`' values, in their order.
    private static let indexColumnNames = ["organization_id", "parent_id", "lookup_key", "unique_key", "status_key", "created_at"]

    /// What the index columns hold for `document`: derived from it alone, at every write.
    private static func indexColumns<D: StoredDocument>(_ document: D) -> [SQLValue] {
        [
            .text(document.ownerOrganizationID.rawValue), .optionalText(document.parentID), .optionalText(document.lookupKey),
            .optionalText(document.uniqueKey), .optionalText(document.statusKey), .integer(PageCursor.micros(document.createdAt)),
        ]
    }

    /// The `body` column's value: the encoded document as JSON text.
    private static func bodyValue(_ body: [UInt8]) -> SQLValue {
        .text(String(decoding: body, as: UTF8.self))
    }
}
