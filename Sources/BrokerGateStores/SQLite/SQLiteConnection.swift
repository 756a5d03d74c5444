import BrokerGateCore
import CSQLite
import Foundation

/// A thin, owned wrapper over one sqlite3 connection. Not thread-safe by itself: the
/// SQLite store touches the writer only during a writer's turn and each reader only while
/// a read holds it.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Kept alive as long as the handle that reports to it.
    private var walWatcher: WALCheckpointer?

    /// Opens (creating if needed) the database at `path` and applies our pragmas
    /// explicitly rather than trusting build defaults (STYLE.md).
    convenience init(path: String, readOnly: Bool = false) throws {
        // WAL: readers never block the writer. synchronous=FULL: a committed transaction
        // survives power loss, not only a process crash (README, "Durability").
        // busy_timeout: a second process on the same file waits instead of failing.
        // A reader needs none of the write pragmas (the file is in WAL mode for good once
        // the writer set it); query_only makes a write through it fail loudly.
        // temp_store=MEMORY: each member of a group commit runs in a SAVEPOINT, and SQLite
        // copies every page a savepoint first touches into a sub-journal so it can roll that
        // member back alone. On disk that was about 8 page writes (pwrite) per market buy on
        // the writer's thread, for a file no crash recovery reads (the WAL is what survives);
        // in memory it is a memcpy, freed at RELEASE.
        // cache_size = 32 MiB (the default is 2 MiB): the writer's page cache survives its
        // own commits in WAL mode, and at 2 MiB the indexes' pages kept falling out of it:
        // 75.6 `pread`s per market buy from the WAL or the file at 64 connections, 27.8 at
        // 32 MiB (perf stat on the pread64 tracepoint). 32 MiB holds the indexes' hot pages;
        // 64 MiB measured no better. It is a ceiling, filled only as pages are touched, and
        // only the writer has it (a reader's cache is dropped whenever the file changes, so it
        // would not keep one).
        try self.init(
            path: path, flags: readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
            pragmas: readOnly
                ? ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000"]
                : [
                    "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000",
                    "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -32768",
                ])
    }

    /// Process-wide settings, made once before the first connection opens (SQLite takes
    /// them only before it initializes): memory statistics off (`CSQLite/shim.h` says why).
    static let processSettings: Int32 = brokergate_sqlite3_disable_memory_statistics()

    /// Opens with exactly these open flags and pragmas (the store tools' connections).
    init(path: String, flags: Int32, pragmas: [String]) throws {
        _ = Self.processSettings
        let rc = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StoreError("cannot open SQLite database at \(path): \(message)")
        }
        sqlite3_extended_result_codes(handle, 1)
        for pragma in pragmas {
            _ = try query(pragma, [])
        }
    }

    /// After each commit, SQLite hands `checkpointer` the WAL's size in pages, on this
    /// connection's thread. This hook replaces SQLite's automatic checkpoint (the two share
    /// one slot per connection), so the connection no longer checkpoints by itself.
    func reportWALSize(to checkpointer: WALCheckpointer) {
        walWatcher = checkpointer
        let context = Unmanaged.passUnretained(checkpointer).toOpaque()
        sqlite3_wal_hook(
            handle,
            { context, database, _, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walHolds(pages: Int(frames), writer: database)
                return SQLITE_OK
            }, context)
    }

    /// Copies what it can of the WAL into the database file without waiting for any lock.
    func checkpointPassive() throws {
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, "wal_checkpoint(PASSIVE)") }
    }

    /// Copies every WAL frame into the database file and empties the WAL, waiting for open
    /// reads (busy_timeout). Throws when it could not: `PRAGMA wal_checkpoint(TRUNCATE)`
    /// would answer a row saying "busy" instead, which is easy to miss.
    func checkpointTruncate() throws {
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, "wal_checkpoint(TRUNCATE)") }
    }

    /// True between BEGIN and COMMIT/ROLLBACK. SQLite itself rolls a whole transaction back
    /// on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM…); this tells the store so.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one statement with binds; returns its rows (empty for DDL/DML without RETURNING).
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try step(sql, binds) { rows.append(row($0)) }
        return rows
    }

    /// Runs one INSERT, UPDATE or DELETE with binds; returns how many rows it changed
    /// (`sqlite3_changes`: that statement's own rows, none a trigger changed).
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        try step(sql, binds) { _ in }
        return Int(sqlite3_changes64(handle))
    }

    /// Prepares (once) and runs `sql` to its end, handing each row to `eachRow`.
    private func step(_ sql: String, _ binds: [SQLValue], eachRow: (OpaquePointer) -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(binds, to: statement)
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            eachRow(statement)
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, sql) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ binds: [SQLValue], to statement: OpaquePointer) throws {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let number): rc = sqlite3_bind_int64(statement, index, number)
            case .text(let text): rc = sqlite3_bind_text(statement, index, text, -1, Self.transient)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard rc == SQLITE_OK else { throw error(rc, "bind #\(index)") }
        }
    }

    private func row(_ statement: OpaquePointer) -> SQLRow {
        var columns: [String: SQLValue] = [:]
        for index in 0..<sqlite3_column_count(statement) {
            let name = String(cString: sqlite3_column_name(statement, index))
            switch sqlite3_column_type(statement, index) {
            case SQLITE_INTEGER: columns[name] = .integer(sqlite3_column_int64(statement, index))
            case SQLITE_TEXT: columns[name] = .text(String(cString: sqlite3_column_text(statement, index)))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(statement, index))
                let bytes = sqlite3_column_blob(statement, index).map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
                columns[name] = .blob(bytes ?? [])
            case SQLITE_NULL: columns[name] = .null
            default:
                // REAL is never written by this code base (money is exact); read it as text
                // so a hand-edited database shows up loudly instead of being rounded.
                columns[name] = .text(String(cString: sqlite3_column_text(statement, index)))
            }
        }
        return SQLRow(columns: columns)
    }

    private func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: "\(String(cString: sqlite3_errmsg(handle))) [\(context.prefix(120))]")
    }

    /// SQLITE_TRANSIENT: SQLite copies bound text/blobs before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A failed SQLite call with its (extended) result code.
struct SQLiteError: Error, CustomStringConvertible, StoreFailure {
    let code: Int32
    let message: String
    var primaryCode: Int32 { code & 0xff }
    var description: String { "SQLite error \(code): \(message)" }

    /// A NOT NULL column was given NULL (SQLITE_CONSTRAINT_NOTNULL, a macro Swift does not import).
    var isNotNullViolation: Bool { code == SQLITE_CONSTRAINT | (5 << 8) }

    /// Busy or locked (another process holds the file), out of memory, read-only or I/O
    /// failures, a full disk, a file that cannot be opened: the database, not the request.
    var isUnavailability: Bool {
        [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN].contains(primaryCode)
    }
}
