import BrokerGateCore

/// The tables `migrate-store` copies, in an order that satisfies their foreign keys
/// (organizations before the keys and idempotency records that name them). Every table of
/// `Migrations` but `schema_migrations`, which the target gets by being migrated to the same
/// version. A migration that adds a table must add it here: until then `migrate-store`
/// refuses to run rather than leave the table behind (`requireExactly`).
enum CopiedTables {
    static let names = [
        "organizations", "api_keys", "idempotency_records", "documents", "blobs", "ledger_balances", "ledger_transfers",
        "ledger_holds", "ledger_house_slots", "events",
        // Empty on SQLite (the one-process stores keep rate limits in memory); copied so the list is the schema's.
        "rate_buckets",
    ]

    static let schemaTable = "schema_migrations"

    /// Refuses `found` (a store's table names) unless it is exactly `names` and the schema table.
    static func requireExactly(_ found: Set<String>, in side: String) throws {
        let expected = Set(names + [schemaTable])
        guard found == expected else {
            let missing = expected.subtracting(found).sorted(), unknown = found.subtracting(expected).sorted()
            throw StoreToolError(
                "\(side) has tables this build does not copy (\(unknown.joined(separator: ", "))) or lacks some "
                    + "(\(missing.joined(separator: ", "))): use the brokergate build that wrote the store")
        }
    }

    /// The SQLite source's table names (its own `sqlite_*` bookkeeping left out).
    static func sqliteTables(in db: any SQLExecutor) async throws -> Set<String> {
        let rows = try await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", [])
        return Set(try rows.map { try $0.text("name") })
    }

    /// Rows in `table`, one of `names` (a constant, never input, is spliced into the SQL).
    static func count(_ table: String, in db: any SQLExecutor) async throws -> Int64 {
        precondition(names.contains(table), "count of a table that is not copied: \(table)")
        return try await db.query("SELECT COUNT(*) AS n FROM \(table)", []).first?.integer("n") ?? 0
    }
}
