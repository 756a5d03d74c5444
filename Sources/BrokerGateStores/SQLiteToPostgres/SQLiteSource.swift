import BrokerGateCore
import CSQLite
import Foundation

/// The SQLite store `migrate-store` copies, opened under SQLite's exclusive lock.
///
/// A gateway keeps its WAL connections open, and each holds a shared lock on the file for
/// as long as it is open, even idle; an exclusive lock is therefore granted only when no
/// other process has the store open. That makes the lock the test for "the gateway is
/// stopped" (a `BEGIN EXCLUSIVE` alone is not: in WAL mode it waits only for writers), and
/// holding it keeps a gateway from starting on the store while it is being copied.
/// `query_only` makes any write through this connection fail. When it closes, SQLite
/// checkpoints a leftover `-wal` into the file, as a clean gateway shutdown would.
final class SQLiteSource {
    let path: String
    private let database: SQLiteDatabase

    init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreToolError("no SQLite store at \(path)") }
        self.path = path
        // busy_timeout: a lock held for an instant (a backup ending) is waited for; a gateway's is not released.
        database = SQLiteDatabase(
            connection: try SQLiteConnection(
                path: path, flags: SQLITE_OPEN_READWRITE,
                pragmas: ["PRAGMA busy_timeout = 2000", "PRAGMA locking_mode = EXCLUSIVE", "PRAGMA query_only = ON"]))
    }

    /// Runs `body` on one read transaction holding the exclusive lock; refuses when another
    /// process has the store open.
    func whileLocked<T: Sendable>(_ body: (any SQLExecutor) async throws -> T) async throws -> T {
        do {
            try database.run("BEGIN")
            // The lock is taken by the first read.
            _ = try database.query("SELECT COUNT(*) AS n FROM sqlite_master")
        } catch let error as SQLiteError where error.primaryCode == SQLITE_BUSY {
            try? database.run("ROLLBACK")
            throw StoreToolError(
                "sqlite:\(path) is open in another process (a running gateway, a backup, an sqlite3 shell): stop the gateway first; nothing was copied"
            )
        }
        do {
            let result = try await body(database)
            try database.run("COMMIT")
            return result
        } catch {
            try? database.run("ROLLBACK")
            throw error
        }
    }
}
