import BrokerGateCore
import Foundation
import Synchronization

/// The repositories over any SQL connection: the same statements serve SQLite and
/// PostgreSQL, so both stores behave identically under the contract suite.
final class SQLTransaction: StoreTransaction {
    let db: any SQLExecutor
    /// What this attempt already read or wrote (see `TransactionCache`). A Mutex because the
    /// class must be Sendable; a transaction's statements run one at a time, so it is never
    /// contended.
    let cache = Mutex(TransactionCache())
    /// Whether written documents that are read back soon are decoded once this transaction
    /// is over (`decodeWrittenAhead`): only where a read returns the very bytes written (SQLite
    /// keeps the text; PostgreSQL's JSONB gives back its own spelling, which the memo would
    /// never match).
    private let decodesAhead: Bool
    private let toDecode = Mutex<[DocumentKey: @Sendable () -> Void]>([:])

    init(_ db: any SQLExecutor, decodesAhead: Bool = false) {
        self.db = db
        self.decodesAhead = decodesAhead
    }

    /// After an insert or update of `document` as `body`.
    func wrote<D: StoredDocument>(_ document: D, body: [UInt8]) {
        cache.withLock { $0.wrote(D.self, id: document.documentID, body: body) }
        guard decodesAhead, document.isReadBackSoon else { return }
        toDecode.withLock { $0[DocumentKey(D.self, id: document.documentID)] = { _ = try? DocumentCodec.decode(D.self, body) } }
    }

    /// Decodes the last version this transaction wrote of each document read back soon
    /// (`StoredDocument.isReadBackSoon`) into `DocumentCodec`'s memo, so the transaction that
    /// reads it next finds it decoded. For a store whose writes take turns on one thread
    /// (SQLite): called once the transaction committed, off that thread, it takes the decode
    /// off the path every write waits for. The memo is keyed by the exact bytes, so what it
    /// answers is what decoding the row would.
    func decodeWrittenAhead() {
        for decode in toDecode.withLock({ $0.values }) { decode() }
    }

    func one<T>(_ sql: String, _ binds: [SQLValue], _ map: (SQLRow) throws -> T) async throws -> T? {
        try await db.query(sql, binds).first.map(map)
    }

    /// A read of `table`'s row `key` (`HeldWriteScope.rows`).
    func one<T>(
        _ sql: String, _ binds: [SQLValue], row key: String, of table: String, _ map: (SQLRow) throws -> T
    ) async throws -> T? {
        try await db.query(sql, binds, seeing: .rows(table: table, keys: [key])).first.map(map)
    }

    func all<T>(_ sql: String, _ binds: [SQLValue], _ map: (SQLRow) throws -> T) async throws -> [T] {
        try await db.query(sql, binds).map(map)
    }
}

/// Small pieces of SQL text and bookkeeping the repositories below share.
extension SQLTransaction {
    /// "?, ?, ?": `count` placeholders for an `IN (…)` list.
    static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// Of `keys`, in order, each once, those `isWanted` accepts (the prefetches: those the
    /// transaction does not know yet).
    static func eachOnce<Key: Equatable>(_ keys: [Key], where isWanted: (Key) -> Bool) -> [Key] {
        var wanted: [Key] = []
        for key in keys where !wanted.contains(key) && isWanted(key) { wanted.append(key) }
        return wanted
    }
}

extension SQLTransaction {
    func insertOrganization(_ organization: Organization) async throws {
        try await db.execute(
            "INSERT INTO organizations (id, name, role, created_at) VALUES (?, ?, ?, ?)",
            [.text(organization.id.rawValue), .text(organization.name), .text(organization.role.rawValue), .date(organization.createdAt)])
    }

    func organization(_ id: OrganizationID) async throws -> Organization? {
        try await one("SELECT \(Self.organizationColumns) FROM organizations WHERE id = ?", [.text(id.rawValue)], Self.organization)
    }

    func organizations(role: OrganizationRole) async throws -> [Organization] {
        try await all(
            "SELECT \(Self.organizationColumns) FROM organizations WHERE role = ? ORDER BY created_at, id", [.text(role.rawValue)],
            Self.organization)
    }

    /// The columns `organization(_:)` decodes, named rather than `*`: a prepared statement
    /// (PostgreSQL) must keep its result shape when a later migration adds a column.
    static let organizationColumns = "id, name, role, created_at"

    static func organization(_ row: SQLRow) throws -> Organization {
        guard let role = OrganizationRole(rawValue: try row.text("role")) else { throw StoreError("bad role in organizations") }
        return Organization(
            id: EntityID(trusted: try row.text("id")), name: try row.text("name"), role: role, createdAt: try row.date("created_at"))
    }

    func insertAPIKey(_ key: APIKeyRecord) async throws {
        try await db.execute(
            """
            INSERT INTO api_keys (id, organization_id, salt_hex, secret_hash_hex, created_at, revoked_at, name, read_only)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(key.id.rawValue), .text(key.organizationID.rawValue), .text(key.saltHex), .text(key.secretHashHex),
                .date(key.createdAt), .optionalDate(key.revokedAt), key.name.map(SQLValue.text) ?? .null,
                .integer(key.isReadOnly ? 1 : 0),
            ])
    }

    func apiKey(_ id: APIKeyID) async throws -> APIKeyRecord? {
        try await one("SELECT \(Self.apiKeyColumns) FROM api_keys WHERE id = ?", [.text(id.rawValue)], Self.apiKeyRecord)
    }

    func apiKeys(organization: OrganizationID, limit: Int) async throws -> [APIKeyRecord] {
        try await db.query(
            "SELECT \(Self.apiKeyColumns) FROM api_keys WHERE organization_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [.text(organization.rawValue), .integer(Int64(limit))]
        ).map(Self.apiKeyRecord)
    }

    func revokeAPIKey(_ id: APIKeyID, at instant: Date) async throws {
        try await db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.date(instant), .text(id.rawValue)])
    }

    static let apiKeyColumns = "id, organization_id, salt_hex, secret_hash_hex, created_at, revoked_at, name, read_only"

    static func apiKeyRecord(_ row: SQLRow) throws -> APIKeyRecord {
        guard let keyID = APIKeyID(parsing: try row.text("id")) else { throw StoreError("bad key id in api_keys") }
        return APIKeyRecord(
            id: keyID, organizationID: EntityID(trusted: try row.text("organization_id")), saltHex: try row.text("salt_hex"),
            secretHashHex: try row.text("secret_hash_hex"), createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"), name: try row.optionalText("name"), isReadOnly: try row.integer("read_only") != 0
        )
    }

    func idempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws -> IdempotencyRecord? {
        try await one(
            "SELECT request_hash_hex, status, sealed_body, created_at FROM idempotency_records WHERE organization_id = ? AND key_hash_hex = ?",
            [.text(organizationID.rawValue), .text(keyHashHex)]
        ) { row in
            IdempotencyRecord(
                organizationID: organizationID, keyHashHex: keyHashHex, requestHashHex: try row.text("request_hash_hex"),
                status: Int(try row.integer("status")), sealedBody: try row.blob("sealed_body"), createdAt: try row.date("created_at"))
        }
    }

    /// Blind: a record for the same key written meanwhile fails the transaction (a unique
    /// violation, or PostgreSQL's serialization failure, retried) wherever it surfaces.
    func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws {
        try await db.write(
            BlindWrite(
                head: "INSERT INTO idempotency_records (organization_id, key_hash_hex, request_hash_hex, status, sealed_body, created_at)",
                row: "(?, ?, ?, ?, ?, ?)",
                binds: [
                    .text(record.organizationID.rawValue), .text(record.keyHashHex), .text(record.requestHashHex),
                    .integer(Int64(record.status)), .blob(record.sealedBody), .date(record.createdAt),
                ], key: record.organizationID.rawValue + "/" + record.keyHashHex))
    }

    func deleteIdempotencyRecords(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        // The batch is chosen by the created_at index and deleted by primary key; both
        // dialects take the row-value IN.
        let rows = try await db.query(
            """
            DELETE FROM idempotency_records WHERE (organization_id, key_hash_hex) IN (
                SELECT organization_id, key_hash_hex FROM idempotency_records WHERE created_at < ? ORDER BY created_at LIMIT ?
            ) RETURNING key_hash_hex
            """, [.date(cutoff), .integer(Int64(limit))])
        return rows.count
    }

    func deleteIdempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws {
        try await db.execute(
            "DELETE FROM idempotency_records WHERE organization_id = ? AND key_hash_hex = ?",
            [.text(organizationID.rawValue), .text(keyHashHex)])
    }
}
