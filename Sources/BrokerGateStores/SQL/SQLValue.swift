import BrokerGateCore
import Foundation

/// A bound parameter or a column value. Every query binds its inputs; no SQL text is ever
/// built from input (DESIGN.md, STYLE.md).
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    public let columns: [String: SQLValue]

    public init(columns: [String: SQLValue]) {
        self.columns = columns
    }

    public func text(_ name: String) throws -> String {
        guard case .text(let value) = columns[name] else { throw StoreError("column \(name) is not text") }
        return value
    }

    public func optionalText(_ name: String) throws -> String? {
        if case .null? = columns[name] { return nil }
        return try text(name)
    }

    public func integer(_ name: String) throws -> Int64 {
        guard case .integer(let value) = columns[name] else { throw StoreError("column \(name) is not an integer") }
        return value
    }

    public func optionalInteger(_ name: String) throws -> Int64? {
        if case .null? = columns[name] { return nil }
        return try integer(name)
    }

    public func blob(_ name: String) throws -> [UInt8] {
        switch columns[name] {
        case .blob(let value)?: return value
        // SQLite hands back an empty BLOB as NULL-free zero-length; accept text for portability.
        case .text(let value)?: return Array(value.utf8)
        default: throw StoreError("column \(name) is not a blob")
        }
    }

    public func date(_ name: String) throws -> Date { SQLTime.date(try integer(name)) }

    public func optionalDate(_ name: String) throws -> Date? { try optionalInteger(name).map(SQLTime.date) }
}

/// Instants are stored as integer microseconds since the Unix epoch: exact, sortable,
/// and the same in SQLite and PostgreSQL.
public enum SQLTime {
    public static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.toNearestOrEven))
    }

    public static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000)
    }
}

extension SQLValue {
    public static func date(_ date: Date) -> SQLValue { .integer(SQLTime.micros(date)) }
    public static func optionalDate(_ date: Date?) -> SQLValue { date.map { .date($0) } ?? .null }
    public static func optionalText(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
}

/// What the shared SQL repositories need from a connection inside a transaction. SQLite
/// and PostgreSQL each provide one; the SQL they run is written once, with `?` placeholders
/// (the PostgreSQL driver numbers them).
public protocol SQLExecutor: Sendable {
    func execute(_ sql: String, _ binds: [SQLValue]) async throws
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
    /// `query`, for a statement that can see no more of this transaction's held writes
    /// (`write(_:)`) than `scope`: where none of them is in it, they stay held. Otherwise as
    /// `query`, which sends them all first.
    func query(_ sql: String, _ binds: [SQLValue], seeing scope: HeldWriteScope) async throws -> [SQLRow]
    /// How many rows `sql`, an INSERT, UPDATE or DELETE, changed; it sees the held writes in
    /// `scope` as `query(_:_:seeing:)` does, or all of them when nil. PostgreSQL counts the
    /// rows of `sql` plus ` RETURNING <returning>`; SQLite runs `sql` as it is and asks
    /// `sqlite3_changes`, since its RETURNING gathers the rows in a temporary B-tree first
    /// (opened and closed per statement: 2.5 % of the writer's CPU in a market buy, which had
    /// seven such statements).
    func changedRowCount(_ sql: String, returning: String, _ binds: [SQLValue], seeing scope: HeldWriteScope?) async throws -> Int
    /// Appended to row reads that precede a write of the same row: " FOR UPDATE" on
    /// PostgreSQL; empty on SQLite, whose single writer already serializes transactions.
    var lockForUpdateSuffix: String { get }
    /// " AND <condition>" to append to the WHERE clause of the statement that reads a hot row
    /// (a customer balance) for update, with its binds: on PostgreSQL the condition makes the
    /// transaction join a queue for `key` that every replica honours, before the statement
    /// reads anything, so writers of one row take turns instead of failing each other (see
    /// `PostgresRowQueues`); one statement, not a round trip of its own. Empty where no turn
    /// is needed: on SQLite, whose single writer already takes turns, and when this
    /// transaction has its turn already.
    func turn(forRow key: String) -> (sql: String, binds: [SQLValue])
    /// The house slot (`HouseSlots`) transactions on this connection write. Single-writer
    /// stores never run two transactions at once, so slot 0 serves them all.
    var houseSlot: Int { get }
    /// The placeholder for a JSON document bound as text: "?" on SQLite, which keeps JSON as
    /// text; "CAST(? AS JSONB)" on PostgreSQL, whose JSONB column takes no text implicitly.
    var jsonPlaceholder: String { get }
    /// Runs `write` now, or holds it and sends it with the writes held after it, in one
    /// statement, before this transaction's next statement of any other kind (its COMMIT
    /// included): nothing can read the database between, so no read misses it.
    func write(_ write: BlindWrite) async throws
    /// Whether `write(_:)` holds writes: their failures then surface at the next statement,
    /// and a write that checks its own result must not go through it.
    var holdsBlindWrites: Bool { get }
    /// Whether each statement is a round trip to a server (PostgreSQL), so that reading
    /// several rows in one statement (`prefetchDocuments`) saves more than its `OR` costs. On
    /// SQLite a statement is a function call, and reads by key are cheapest one at a time
    /// (prefetching cost the writer 5 % more CPU per market buy).
    var statementIsRoundTrip: Bool { get }
    /// Runs `read`, whose statements read whole tables (the ledger's sums, migrations, the
    /// copy of `migrate-store`), with the plan such a read wants: on PostgreSQL sequential
    /// scans are allowed again for its duration (`PostgresStore.sessionSettings` discourages
    /// them everywhere else; an index walk of a whole table took 8 times as long). As is on
    /// SQLite.
    func readingWholeTables<T: Sendable>(_ read: () async throws -> T) async throws -> T
}

extension SQLExecutor {
    func readingWholeTables<T: Sendable>(_ read: () async throws -> T) async throws -> T {
        try await read()
    }

    public func query(_ sql: String, _ binds: [SQLValue], seeing scope: HeldWriteScope) async throws -> [SQLRow] {
        try await query(sql, binds)
    }

    public func changedRowCount(
        _ sql: String, returning: String, _ binds: [SQLValue], seeing scope: HeldWriteScope?
    ) async throws -> Int {
        let returningSQL = sql + " RETURNING " + returning
        guard let scope else { return try await query(returningSQL, binds).count }
        return try await query(returningSQL, binds, seeing: scope).count
    }
}

/// The rows a statement can see of its transaction's held writes, as `BlindWrite` names
/// them (its table and key). Every other statement is taken to see all of them.
///
/// Why: a settlement reads the stock's balance after writing the cash one, and inserts its
/// fill (checked, so not held) after both; sending the held writes before each of those
/// statements cost PostgreSQL two round trips per market buy that one would do.
public enum HeldWriteScope: Sendable {
    /// Rows by primary key: a read of them (`SELECT … WHERE account = ?`).
    case rows(table: String, keys: [String])
    /// The rows whose keys start with `keyPrefix`: e.g. an insert of one kind of document,
    /// which only a held document of that kind could collide with (`documents` is unique
    /// on (kind, id) and on (kind, organization_id, unique_key)).
    case prefixed(table: String, keyPrefix: String)
    /// What either scope covers: a statement reading rows of two tables.
    indirect case either(HeldWriteScope, HeldWriteScope)
}

/// A write whose result the transaction never reads: one row of an `INSERT` (a journal
/// entry, an event, a balance upsert, a house slot increment) or an `UPDATE` of one row the
/// transaction knows exists. Rows of one `head` and `tail` can go in one multi-row statement,
/// and statements on several tables in one round trip.
public struct BlindWrite: Sendable {
    /// `INSERT INTO <table> (<columns>)`, or a whole `UPDATE` statement (`update(_:table:binds:key:)`).
    public let head: String
    /// One row's placeholders: "(?, ?, ?)"; "" for an update.
    public let row: String
    /// What follows the VALUES list: an `ON CONFLICT …` clause, or "".
    public let tail: String
    public let binds: [SQLValue]
    /// The table written: no two writes of one row (`key`) of it go in one statement, since
    /// every part of a statement sees the database as it was before the statement (an update
    /// would miss the row an insert beside it adds, and PostgreSQL refuses an upsert that
    /// touches a row twice). Found when asked: only a store that holds writes asks, and
    /// splitting every head into words cost the SQLite writer thread 5 % of its time.
    public var table: String { updatedTable ?? Self.table(ofInsert: head) }
    /// The table of an `UPDATE`; nil for an insert, whose table is in its head.
    private let updatedTable: String?
    /// The row's key in its table.
    public let key: String
    /// The row's values are its whole new state (an upsert of absolute values), so a later
    /// write of the same key and shape replaces this one while both are held.
    public let isWholeRow: Bool
    /// `head` is a whole `UPDATE`, which no other write joins.
    public var isUpdate: Bool { updatedTable != nil }

    /// One row of `head` (`INSERT INTO <table> (…)`: the table is its third word).
    public init(head: String, row: String, tail: String = "", binds: [SQLValue], key: String, isWholeRow: Bool = false) {
        self.init(head: head, row: row, tail: tail, binds: binds, updatedTable: nil, key: key, isWholeRow: isWholeRow)
    }

    private init(head: String, row: String, tail: String, binds: [SQLValue], updatedTable: String?, key: String, isWholeRow: Bool) {
        self.head = head
        self.row = row
        self.tail = tail
        self.binds = binds
        self.updatedTable = updatedTable
        self.key = key
        self.isWholeRow = isWholeRow
    }

    /// The third word of `INSERT INTO <table> (…)`.
    static func table(ofInsert head: String) -> String {
        let words = head.utf8.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: true)
        return words.count > 2 ? String(Substring(words[2])) : ""
    }

    /// `sql`, an `UPDATE` of `table`'s row `key`, which the caller knows exists and has
    /// locked or read in this transaction (under PostgreSQL's SERIALIZABLE, an update of a
    /// row another transaction changed or removed since fails to serialize and is retried).
    public static func update(_ sql: String, table: String, binds: [SQLValue], key: String) -> BlindWrite {
        BlindWrite(head: sql, row: "", tail: "", binds: binds, updatedTable: table, key: key, isWholeRow: false)
    }

    /// The write as a statement of its own.
    public var sql: String { isUpdate ? head : Self.insert(head: head, rows: [row], tail: tail) }

    /// `head VALUES row, row, … tail`: one statement writing `rows`.
    static func insert(head: String, rows: [String], tail: String) -> String {
        head + " VALUES " + rows.joined(separator: ", ") + (tail.isEmpty ? "" : " " + tail)
    }
}

extension SQLExecutor {
    public func write(_ write: BlindWrite) async throws { try await execute(write.sql, write.binds) }
    public var holdsBlindWrites: Bool { false }
    public var statementIsRoundTrip: Bool { false }
    public var lockForUpdateSuffix: String { "" }
    public func turn(forRow key: String) -> (sql: String, binds: [SQLValue]) { ("", []) }
    public var houseSlot: Int { 0 }
    public var jsonPlaceholder: String { "?" }
}
