import BrokerGateCore
import Foundation
import Logging
import Synchronization

/// The embedded default store (`--store sqlite:PATH`): one file, WAL, versioned
/// migrations, every committed transaction durable.
///
/// One connection serves all transactions, serialized by an async lock: SQLite allows one
/// writer at a time anyway, and `BEGIN IMMEDIATE` takes the write lock up front so a
/// second process on the same file waits (busy_timeout) rather than deadlocking.
public final class SQLiteStore: Store {
    private let database: SQLiteDatabase
    private let writer = AsyncLock()
    public let path: String

    /// Opens the file (creating its folder) and applies pending migrations.
    public init(path: String, logger: Logger = Logger(label: "brokergate.sqlite")) async throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        if path != ":memory:" {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create folder \(folder.path) for the SQLite store: \(error.localizedDescription)")
            }
        }
        database = SQLiteDatabase(connection: try SQLiteConnection(path: path))
        try await MigrationRunner(dialect: .sqlite, logger: logger).apply { body in
            try await self.transaction { _ in try await body(self.database) }
        }
    }

    public var displayName: String { "sqlite:\(path)" }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await writer.withLock {
            try await database.execute("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(SQLTransaction(database))
                try await database.execute("COMMIT", [])
                return result
            } catch {
                try? await database.execute("ROLLBACK", [])
                throw error
            }
        }
    }

    public func checkReady() async throws {
        let version = try await writer.withLock {
            try await database.query("SELECT MAX(version) AS v FROM schema_migrations", []).first?.optionalInteger("v")
        }
        guard version == Int64(Migrations.latestVersion) else {
            throw DomainError(.unavailable, code: "store_not_migrated", message: "SQLite schema is at version \(version ?? 0), expected \(Migrations.latestVersion)")
        }
    }

    public func close() async throws {
        try await writer.withLock {
            _ = try await database.query("PRAGMA wal_checkpoint(TRUNCATE)", [])
        }
    }
}

/// The connection behind a Mutex: each statement runs with exclusive access; the store's
/// async lock makes whole transactions exclusive.
final class SQLiteDatabase: SQLExecutor {
    private let connection: Mutex<SQLiteConnection>

    init(connection: sending SQLiteConnection) {
        self.connection = Mutex(connection)
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try connection.withLock { try $0.query(sql, binds) }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try connection.withLock { try $0.query(sql, binds) }
    }
}
