import BrokerGateCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The PostgreSQL store (`--store postgres://…`): several gateway replicas share one
/// database. Transactions run at SERIALIZABLE and are retried on serialization failures
/// and deadlocks, so every replica sees the same serial history the single-writer stores
/// give; balance rows are additionally read `FOR UPDATE` so hot accounts queue instead of
/// failing. Migrations take a cluster-wide advisory lock, so replicas starting together
/// apply each version once.
public final class PostgresStore: Store {
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger
    public let displayName: String

    /// How often a transaction is retried after a serialization failure or deadlock.
    static let retriesMax = 30
    /// One advisory lock id for all of BrokerGate's migrations, held to commit.
    static let migrationLockID: Int64 = 7_215_398_113

    public init(url: String, poolSize: Int = 16, logger: Logger = Logger(label: "brokergate.postgres")) async throws {
        let configuration = try Self.configuration(url: url, poolSize: poolSize)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runTask = Task { await client.run() }
        self.logger = logger
        displayName = StoreSpec.postgres(url: url).description
        do {
            try await migrate()
        } catch {
            runTask.cancel()
            throw error
        }
    }

    /// Applies pending migrations on one connection holding a session advisory lock. Each
    /// migration is its own READ COMMITTED transaction begun after the lock is held, so it
    /// sees what a replica that migrated first committed (a SERIALIZABLE snapshot taken
    /// while waiting for the lock would not, and would apply the version again).
    private func migrate() async throws {
        let logger = logger
        try await client.withConnection { connection in
            let db = PostgresExecutor(connection: connection, logger: logger)
            try await db.execute("SELECT pg_advisory_lock(\(Self.migrationLockID))", [])
            do {
                try await MigrationRunner(dialect: .postgres, logger: logger).apply { body in
                    try await db.execute("BEGIN ISOLATION LEVEL READ COMMITTED", [])
                    do {
                        try await body(db)
                        try await db.execute("COMMIT", [])
                    } catch {
                        try? await db.execute("ROLLBACK", [])
                        throw error
                    }
                }
            } catch {
                try? await db.execute("SELECT pg_advisory_unlock(\(Self.migrationLockID))", [])
                throw error
            }
            try await db.execute("SELECT pg_advisory_unlock(\(Self.migrationLockID))", [])
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await rawTransaction { db in try await body(SQLTransaction(db)) }
    }

    /// BEGIN SERIALIZABLE … COMMIT on one pooled connection, retried with jittered backoff
    /// when PostgreSQL reports a serialization failure or deadlock (the body is re-run from
    /// the start on a fresh snapshot, which is why bodies touch nothing but the store).
    private func rawTransaction<T: Sendable>(_ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    let db = PostgresExecutor(connection: connection, logger: logger)
                    try await db.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", [])
                    do {
                        let result = try await body(db)
                        try await db.execute("COMMIT", [])
                        return result
                    } catch {
                        try? await db.execute("ROLLBACK", [])
                        throw error
                    }
                }
            } catch where PostgresExecutor.isRetryable(error) && attempt < Self.retriesMax {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(3 * attempt))))
            }
        }
    }

    public func checkReady() async throws {
        let version = try await rawTransaction { db in
            try await db.query("SELECT MAX(version) AS v FROM schema_migrations", []).first?.optionalInteger("v")
        }
        guard version == Int64(Migrations.latestVersion) else {
            throw DomainError(
                .unavailable, code: "store_not_migrated",
                message: "PostgreSQL schema is at version \(version ?? 0), expected \(Migrations.latestVersion)")
        }
    }

    public func close() async throws {
        runTask.cancel()
    }

    static func configuration(url: String, poolSize: Int) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw StoreError("expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
        }
        let database = String(components.path.dropFirst())
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}

/// One connection inside a transaction, as the shared SQL layer's executor. Converts the
/// `?` placeholders of the shared statements to PostgreSQL's `$n` and binds every value.
final class PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    var lockForUpdateSuffix: String { " FOR UPDATE" }
    var jsonPlaceholder: String { "CAST(? AS JSONB)" }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try await query(sql, binds)
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let statement = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: try Self.bindings(binds))
        var rows: [SQLRow] = []
        for try await row in try await connection.query(statement, logger: logger) {
            var columns: [String: SQLValue] = [:]
            for cell in row { columns[cell.columnName] = try Self.value(cell) }
            rows.append(SQLRow(columns: columns))
        }
        return rows
    }

    /// `?` → `$1, $2, …`. The shared statements never contain a literal `?`.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func bindings(_ values: [SQLValue]) throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): try bindings.append(number)
            case .text(let text): try bindings.append(text)
            case .blob(let bytes): try bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// Serialization failure (40001) or deadlock (40P01): safe to run the transaction again.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}
