import BrokerGateCore
import Logging

/// Applies `Migrations` not yet recorded in `schema_migrations`, each in its own
/// transaction together with its record, so a crash mid-way leaves a clean version.
struct MigrationRunner {
    let dialect: SQLDialect
    let logger: Logger

    /// `inTransaction` runs a body inside one store transaction. `through` stops at a version
    /// (tests build a store as an older release left it, then let this build migrate it).
    func apply(
        through lastVersion: Int = .max, inTransaction: (@Sendable (any SQLExecutor) async throws -> Void) async throws -> Void
    ) async throws {
        try await inTransaction { db in
            try await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                [])
        }
        for migration in Migrations.all(dialect) where migration.version <= lastVersion {
            try await inTransaction { db in
                // Re-checked inside the transaction: another process may have applied it.
                let done = try await db.query(
                    "SELECT version FROM schema_migrations WHERE version = ?", [.integer(Int64(migration.version))])
                guard done.isEmpty else { return }
                for statement in migration.statements { try await db.execute(statement, []) }
                // Operational metadata, not business time: the wall clock is right here.
                try await db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(migration.name), .date(.now)])
            }
        }
        logger.info("store schema ready", metadata: ["version": "\(Migrations.latestVersion)"])
    }
}
