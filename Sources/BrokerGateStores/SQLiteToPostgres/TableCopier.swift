import BrokerGateCore

/// Copies one table from the SQLite source to the PostgreSQL target in batches of at most
/// `batchRows` rows (one multi-row INSERT each), in rowid order, so memory stays bounded
/// whatever the store's size. Values are copied as they are stored: integers as integers
/// (autoincrement keys included), text as text, blobs as bytes; a JSON body goes in as
/// JSONB, as the PostgreSQL store writes it.
struct TableCopier {
    let source: any SQLExecutor
    let target: any SQLExecutor
    let batchRows: Int

    /// PostgreSQL's limit on bound parameters in one statement.
    static let bindsMax = 65_535

    /// A target column and how a source value is bound to it.
    struct Column {
        let name: String
        let type: String

        var placeholder: String { type == "jsonb" ? "CAST(? AS JSONB)" : "?" }

        /// SQLite may hand back text for bytes and bytes for text (its columns are loosely
        /// typed); PostgreSQL's bytea and jsonb take exactly one of the two.
        func bound(_ value: SQLValue) -> SQLValue {
            switch (type, value) {
            case ("bytea", .text(let text)): .blob(Array(text.utf8))
            case ("jsonb", .blob(let bytes)), ("text", .blob(let bytes)): .text(String(decoding: bytes, as: UTF8.self))
            default: value
            }
        }
    }

    func copy(_ table: String) async throws {
        let columns = try await matchingColumns(table)
        let quoted = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let rowsPerBatch = min(batchRows, Self.bindsMax / columns.count)
        let select = "SELECT rowid AS bg_rowid, \(quoted) FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?"
        let rowPlaceholders = "(" + columns.map(\.placeholder).joined(separator: ", ") + ")"
        var after = Int64.min
        while true {
            let rows = try await source.query(select, [.integer(after), .integer(Int64(rowsPerBatch))])
            guard let last = rows.last else { return }
            let binds = rows.flatMap { row in columns.map { column in column.bound(row.columns[column.name] ?? .null) } }
            let values = Array(repeating: rowPlaceholders, count: rows.count).joined(separator: ", ")
            try await target.execute("INSERT INTO \(table) (\(quoted)) VALUES \(values)", binds)
            after = try last.integer("bg_rowid")
            if rows.count < rowsPerBatch { return }
        }
    }

    /// The target's columns of `table`, refused unless the source has exactly the same names
    /// (both were migrated to the same version, so a difference is a bug to stop on).
    func matchingColumns(_ table: String) async throws -> [Column] {
        let targetRows = try await target.query(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
            """, [.text(table)])
        let columns = try targetRows.map { Column(name: try $0.text("column_name"), type: try $0.text("data_type")) }
        let sourceNames = try await source.query("SELECT name FROM pragma_table_info(?)", [.text(table)]).map { try $0.text("name") }
        guard !columns.isEmpty, Set(sourceNames) == Set(columns.map(\.name)) else {
            throw StoreToolError(
                "table \(table) has columns (\(sourceNames.joined(separator: ", "))) on SQLite but "
                    + "(\(columns.map(\.name).joined(separator: ", "))) on PostgreSQL; nothing was copied")
        }
        return columns
    }
}
