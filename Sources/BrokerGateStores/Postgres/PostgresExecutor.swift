import BrokerGateCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

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
    /// Blind writes not sent yet (`write(_:)`).
    private let held = Mutex(HeldWrites())
    /// The first statement error of the open transaction (`inTransaction`).
    private let failure = Mutex<(any Error)?>(nil)
    /// The store's named statements; nil sends every statement unnamed.
    let prepared: PostgresPreparedStatements?
    /// The store's counts, where this connection does the store's work (`StoreCounters.statements`).
    let counters: StoreCounters?

    init(
        connection: PostgresConnection, logger: Logger, houseSlot: Int = 0, isReadOnly: Bool = false,
        rowQueues: PostgresRowQueues? = nil, prepared: PostgresPreparedStatements? = nil, counters: StoreCounters? = nil
    ) {
        self.counters = counters
        self.connection = connection
        self.logger = logger
        self.houseSlot = houseSlot
        self.isReadOnly = isReadOnly
        self.rowQueues = rowQueues
        self.prepared = prepared
    }

    var lockForUpdateSuffix: String { isReadOnly ? "" : " FOR UPDATE" }

    func turn(forRow key: String) -> (sql: String, binds: [SQLValue]) {
        guard !isReadOnly, let rowQueues, rowQueues.needsTurn(key) else { return ("", []) }
        return (" AND " + PostgresRowQueues.transactionTurnCondition, [.text(key)])
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
    ///
    /// A body that returns although one of its statements failed (it caught the error, e.g.
    /// `try?` around a read that also sent held blind writes) is rolled back and the failure
    /// thrown: PostgreSQL answers COMMIT in an aborted transaction with a rollback and no
    /// error, so the caller would otherwise be told its writes were kept.
    func inTransaction<T: Sendable>(isolation: String, _ body: () async throws -> T) async throws -> T {
        failure.withLock { $0 = nil }
        try await execute("BEGIN ISOLATION LEVEL \(isolation)", [])
        do {
            let result = try await body()
            try await sendHeldWrites()
            if let failed = failure.withLock({ $0 }) { throw failed }
            try await execute("COMMIT", [])
            return result
        } catch {
            held.withLock { $0 = HeldWrites() }
            try? await execute("ROLLBACK", [])
            throw error
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try await query(sql, binds)
    }

    /// Every statement sends the held blind writes first, so whatever it reads includes them.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await sendHeldWrites()
        return try await send(sql, binds)
    }

    func query(_ sql: String, _ binds: [SQLValue], seeing scope: HeldWriteScope) async throws -> [SQLRow] {
        if held.withLock({ $0.holds(scope) }) { try await sendHeldWrites() }
        return try await send(sql, binds)
    }

    var holdsBlindWrites: Bool { true }
    var statementIsRoundTrip: Bool { true }

    /// `SET LOCAL` lasts until the transaction ends; the second one (back to the session's
    /// value) ends it sooner, so the statements after `read` plan as the session does. After
    /// a `read` that throws, the setting stays on until the transaction ends: slower plans
    /// at worst, nothing else.
    func readingWholeTables<T: Sendable>(_ read: () async throws -> T) async throws -> T {
        try await execute("SET LOCAL enable_seqscan = on", [])
        let result = try await read()
        try await execute("SET LOCAL enable_seqscan TO DEFAULT", [])
        return result
    }

    /// Holds `write` for the next statement. One whose key is held already, or that would
    /// pass `HeldWrites.bindsMax`, first sends what is held.
    func write(_ write: BlindWrite) async throws {
        if held.withLock({ !$0.accepts(write) }) { try await sendHeldWrites() }
        held.withLock { $0.add(write) }
    }

    private func sendHeldWrites() async throws {
        let batch = held.withLock { held in
            defer { held = HeldWrites() }
            return held
        }
        guard let statement = batch.statement else { return }
        _ = try await send(statement.sql, statement.binds)
    }

    /// Sends one statement; a failure is also kept for `inTransaction`'s check.
    private func send(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        counters?.countStatement()
        do {
            return try await sendStatement(sql, binds)
        } catch {
            failure.withLock { $0 = $0 ?? error }
            throw error
        }
    }

    private func sendStatement(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let text = Self.numbered(sql)
        let bindings = Self.bindings(binds)
        return try await PostgresStoreError.converting {
            if let prepared, case let types = binds.map(Self.dataType),
                let name = prepared.name(for: text, types: types, on: connection.id)
            {
                return try await sendNamed(name, text, types, bindings, prepared)
            }
            var rows: [SQLRow] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger) {
                rows.append(try Self.row(row))
            }
            return rows
        }
    }

    private func sendNamed(
        _ name: String, _ text: String, _ types: [PostgresDataType], _ bindings: PostgresBindings, _ prepared: PostgresPreparedStatements
    ) async throws -> [SQLRow] {
        do {
            let rows = try await PostgresPreparedStatements.run(
                name: name, sql: text, types: types, bindings: bindings, on: connection, logger: logger, row: Self.row)
            prepared.succeeded(name, on: connection.id)
            return rows
        } catch {
            prepared.failed(name, on: connection.id, sqlState: (error as? PSQLError)?.serverInfo?[.sqlState])
            throw error
        }
    }

    @Sendable static func row(_ row: PostgresRow) throws -> SQLRow {
        var columns: [String: SQLValue] = [:]
        for cell in row { columns[cell.columnName] = try value(cell) }
        return SQLRow(columns: columns)
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

    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// The type `bindings(_:)` gives `value`, which a named statement is prepared with.
    static func dataType(_ value: SQLValue) -> PostgresDataType {
        switch value {
        case .null: .null
        case .integer: .int8
        case .text: .text
        case .blob: .bytea
        }
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

/// Blind writes held by a transaction: per statement shape (head and tail), its rows in the
/// order written, sent as one multi-row `INSERT`; each `UPDATE` as a statement of its own;
/// several as one statement of `WITH … AS (…)` parts, one round trip for all. No row is
/// written twice by one statement: a second write of a held row is refused (`accepts`) and
/// makes the executor send what is held first, unless it restates the whole row in the same
/// shape (`BlindWrite.isWholeRow`), which then takes the first one's place.
struct HeldWrites {
    private struct Shape {
        let head: String
        let tail: String
        let isUpdate: Bool
        var rows: [(row: String, binds: [SQLValue])] = []
    }

    private var shapes: [Shape] = []
    /// Where each held row is: its shape and its place among the shape's rows.
    private var places: [String: (shape: Int, row: Int)] = [:]
    private var bindCount = 0

    /// PostgreSQL takes at most 65,535 binds per statement; far fewer keep one flush small.
    static let bindsMax = 2_000

    private static func heldKey(_ write: BlindWrite) -> String { heldKey(table: write.table, key: write.key) }
    private static func heldKey(table: String, key: String) -> String { table + "|" + key }

    /// Whether a held write is in `scope`.
    func holds(_ scope: HeldWriteScope) -> Bool {
        switch scope {
        case .rows(let table, let keys): keys.contains { places[Self.heldKey(table: table, key: $0)] != nil }
        case .prefixed(let table, let keyPrefix):
            places.keys.contains { $0.hasPrefix(Self.heldKey(table: table, key: keyPrefix)) }
        case .either(let one, let other): holds(one) || holds(other)
        }
    }

    func accepts(_ write: BlindWrite) -> Bool {
        if let place = places[Self.heldKey(write)] {
            guard write.isWholeRow, !write.isUpdate, shapes[place.shape].head == write.head, shapes[place.shape].tail == write.tail
            else { return false }
            return bindCount - shapes[place.shape].rows[place.row].binds.count + write.binds.count <= Self.bindsMax
        }
        return bindCount + write.binds.count <= Self.bindsMax
    }

    mutating func add(_ write: BlindWrite) {
        let key = Self.heldKey(write)
        if let place = places[key] {
            bindCount += write.binds.count - shapes[place.shape].rows[place.row].binds.count
            shapes[place.shape].rows[place.row] = (write.row, write.binds)
            return
        }
        bindCount += write.binds.count
        let index =
            write.isUpdate ? nil : shapes.firstIndex { !$0.isUpdate && $0.head == write.head && $0.tail == write.tail }
        if let index {
            places[key] = (index, shapes[index].rows.count)
            shapes[index].rows.append((write.row, write.binds))
        } else {
            places[key] = (shapes.count, 0)
            shapes.append(Shape(head: write.head, tail: write.tail, isUpdate: write.isUpdate, rows: [(write.row, write.binds)]))
        }
    }

    /// The statement sending every held write, its binds in placeholder order; nil when none is held.
    var statement: (sql: String, binds: [SQLValue])? {
        guard !shapes.isEmpty else { return nil }
        let parts = shapes.map { $0.isUpdate ? $0.head : BlindWrite.insert(head: $0.head, rows: $0.rows.map(\.row), tail: $0.tail) }
        let binds = shapes.flatMap { $0.rows.flatMap(\.binds) }
        guard parts.count > 1 else { return (parts[0], binds) }
        let named = parts.enumerated().map { index, part in "w\(index) AS (\(part))" }
        return ("WITH " + named.joined(separator: ", ") + " SELECT 1", binds)
    }
}
