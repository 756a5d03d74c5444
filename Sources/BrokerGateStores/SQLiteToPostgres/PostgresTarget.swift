import BrokerGateCore

/// What `migrate-store` requires of and does to the PostgreSQL side beyond the rows.
enum PostgresTarget {
    /// Refuses a target that holds anything to lose: a table BrokerGate does not use, a
    /// schema at another version, or any row. Accepted: a new database, or one a failed
    /// copy or an earlier build's first start left migrated to this version with no rows.
    static func requireEmpty(_ db: any SQLExecutor) async throws {
        let rows = try await db.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            [])
        let tables = Set(try rows.map { try $0.text("table_name") })
        guard !tables.isEmpty else { return }
        let known = Set(CopiedTables.names + [CopiedTables.schemaTable])
        let unknown = tables.subtracting(known).sorted()
        guard unknown.isEmpty else {
            throw StoreToolError(
                "the target database has tables BrokerGate does not use (\(unknown.prefix(5).joined(separator: ", "))): "
                    + "point --to at a new, empty database; nothing was written")
        }
        let version =
            tables.contains(CopiedTables.schemaTable)
            ? try await db.query(Migrations.versionQuery, []).first?.optionalInteger("v") : nil
        guard version == Int64(Migrations.latestVersion) else {
            throw StoreToolError(
                "the target database holds a BrokerGate schema at version \(version ?? 0), not this build's "
                    + "\(Migrations.latestVersion): point --to at a new, empty database; nothing was written")
        }
        var filled: [String] = []
        // Each name is one of `known` (checked above), so it is safe to splice.
        for table in CopiedTables.names where tables.contains(table) {
            if try await !db.query("SELECT 1 AS found FROM \(table) LIMIT 1", []).isEmpty { filled.append(table) }
        }
        guard filled.isEmpty else {
            throw StoreToolError(
                "the target database is not empty (rows in \(filled.joined(separator: ", "))): migrate-store copies "
                    + "into an empty database only (was a gateway started on it?); nothing was written")
        }
    }

    /// Sets each serial column's sequence of `table` (ledger_transfers.sequence,
    /// events.written) past every value the source used, so the first write on PostgreSQL
    /// does not collide with a copied row. "Used" includes what SQLite's AUTOINCREMENT
    /// recorded in `sqlite_sequence`: a deleted last row's number is not handed out again.
    static func advanceSequences(of table: String, source: any SQLExecutor, target: any SQLExecutor) async throws {
        let serials = try await target.query(
            """
            SELECT column_name, pg_get_serial_sequence(table_name, column_name) AS sequence_name
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ? AND column_default LIKE 'nextval(%'
            """, [.text(table)])
        guard !serials.isEmpty else { return }
        let recorded = try await source.query("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(table)]).first?.integer("seq") ?? 0
        for serial in serials {
            let column = try serial.text("column_name")
            let copied =
                try await target.query("SELECT COALESCE(MAX(\"\(column)\"), 0) AS used FROM \(table)", []).first?.integer("used") ?? 0
            // is_called false: the next nextval() returns exactly this value.
            try await target.execute(
                "SELECT setval(CAST(? AS regclass), ?, false)",
                [.text(try serial.text("sequence_name")), .integer(max(recorded, copied) + 1)])
        }
    }
}
