import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One connection inside a transaction, as the shared SQL layer's executor. Converts the
/// `?` placeholders of the shared statements to PostgreSQL's `$n` and binds every value.
final class PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    /// The house slot this connection owns; no other running transaction writes it.
    let houseSlot: Int
    /// In a READ ONLY snapshot nothing is written, so nothing is locked for update (and
    /// PostgreSQL refuses `FOR UPDATE` there).
    let isReadOnly: Bool

    /// The row turns of this transaction attempt; nil outside write transactions.
    let rowQueues: PostgresRowQueues?

    init(
        connection: PostgresConnection, logger: Logger, houseSlot: Int = 0, isReadOnly: Bool = false, rowQueues: PostgresRowQueues? = nil
    ) {
        self.connection = connection
        self.logger = logger
        self.houseSlot = houseSlot
        self.isReadOnly = isReadOnly
        self.rowQueues = rowQueues
    }

    var lockForUpdateSuffix: String { isReadOnly ? "" : " FOR UPDATE" }

    func queue(forRow key: String) async throws {
        guard !isReadOnly, let rowQueues, rowQueues.needsTurn(key) else { return }
        try await execute(PostgresRowQueues.transactionLockSQL, [.text(key)])
    }

    /// Runs `body` (a whole transaction) holding session-level turns on `keys`, taken
    /// before it begins and given back after it ends, whatever the outcome.
    func holdingTurns<T>(on keys: Set<String>, _ body: () async throws -> T) async throws -> T {
        guard !keys.isEmpty else { return try await body() }
        let binds = keys.sorted().map { SQLValue.text($0) }
        let outcome: Result<T, any Error>
        do {
            try await execute(PostgresRowQueues.sessionSQL(count: binds.count, release: false), binds)
            outcome = .success(try await body())
        } catch {
            // Also when taking the turns failed half-way (a deadlock with a transaction that
            // queues mid-body): session locks survive a failed statement, so the ones taken
            // must be given back before the connection returns to the pool. Giving back one
            // that was never taken is a no-op (false and a server notice).
            outcome = .failure(error)
        }
        do {
            try await execute(PostgresRowQueues.sessionSQL(count: binds.count, release: true), binds)
        } catch {
            // Only a broken connection fails here, and the server drops its locks with it;
            // the transaction's own outcome stands (it may have committed).
            logger.warning("could not give back row turns", metadata: ["error": "\(error)"])
        }
        return try outcome.get()
    }
    var jsonPlaceholder: String { "CAST(? AS JSONB)" }

    /// `BEGIN ISOLATION LEVEL <isolation>`, `body`, then COMMIT, or ROLLBACK when it throws:
    /// every transaction this store opens, whatever its isolation.
    func inTransaction<T: Sendable>(isolation: String, _ body: () async throws -> T) async throws -> T {
        try await execute("BEGIN ISOLATION LEVEL \(isolation)", [])
        do {
            let result = try await body()
            try await execute("COMMIT", [])
            return result
        } catch {
            try? await execute("ROLLBACK", [])
            throw error
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try await query(sql, binds)
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let statement = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: try Self.bindings(binds))
        return try await PostgresStoreError.converting {
            var rows: [SQLRow] = []
            for try await row in try await connection.query(statement, logger: logger) {
                var columns: [String: SQLValue] = [:]
                for cell in row { columns[cell.columnName] = try Self.value(cell) }
                rows.append(SQLRow(columns: columns))
            }
            return rows
        }
    }

    /// `?` → `$1, $2, …`. The shared statements never contain a literal `?`. Walks UTF-8
    /// bytes, not characters: "?" is one byte that no multi-byte sequence contains, and
    /// grapheme breaking cost 3 % of the gateway's CPU on the order path.
    static func numbered(_ sql: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "?") {
                index += 1
                out.append(UInt8(ascii: "$"))
                out += String(index).utf8
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
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

}
