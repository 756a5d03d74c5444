import BrokerGateCore
import Foundation
import Logging
import Synchronization

/// The embedded default store (`--store sqlite:PATH`): one file, WAL, versioned
/// migrations, every committed transaction durable (`synchronous=FULL`).
///
/// - Writes: one writer connection on a thread of its own (`ThreadExecutor`), so neither
///   its statements nor its fsyncs block Swift's cooperative pool. Transactions take turns
///   on it and share commits (`GroupCommit`): each runs inside a SAVEPOINT of the open
///   batch, a failing one rolls back alone, and every member returns only after the COMMIT
///   that holds its change. `BEGIN IMMEDIATE` takes the file's write lock up front, so a
///   second process (a backup) waits (busy_timeout) rather than deadlocking.
/// - Reads: a pool of read-only connections, each on its own thread, reading WAL
///   snapshots of what has committed without waiting for the writer.
/// - Checkpoints: a thread and connection of their own copy the WAL into the database file
///   (`WALCheckpointer`), so the writer's commits never do.
/// - Bounds: at most `queueMax` transactions wait for the writer (and as many for a
///   reader); past that, callers get 503 `store_busy`. A batch holds at most `batchMax`.
public final class SQLiteStore: Store, StoreCheckpointCounting {
    private let writer: SQLiteDatabase
    private let writerThread: ThreadExecutor
    private let group: GroupCommit
    private let readers: [(database: SQLiteDatabase, thread: ThreadExecutor)]
    private let readerSlots: SlotQueue
    private let checkpointer: WALCheckpointer?
    public let counters = StoreCounters()
    public let path: String

    /// Opens the file (creating its folder) and applies pending migrations. The WAL is
    /// checkpointed in the background past `checkpointPages` pages, and by the writer
    /// itself past `writerCheckpointPages` (`WALCheckpointer`).
    public init(
        path: String, readers readerCount: Int = 2, queueMax: Int = 1024, batchMax: Int = 256,
        checkpointPages: Int = 1000, writerCheckpointPages: Int = 8000,
        logger: Logger = Logger(label: "brokergate.sqlite")
    ) async throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let isFile = path != ":memory:"
        if isFile {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create folder \(folder.path) for the SQLite store: \(error.localizedDescription)")
            }
        }
        writer = SQLiteDatabase(connection: try SQLiteConnection(path: path))
        writerThread = ThreadExecutor(name: "sqlite-writer")
        group = GroupCommit(queueMax: queueMax, batchMax: batchMax)
        // The writer has put the file in WAL mode, so readers may open now. An in-memory
        // database is private to its connection: reads then go through the writer.
        readers = try (isFile ? 0..<readerCount : 0..<0).map { index in
            (SQLiteDatabase(connection: try SQLiteConnection(path: path, readOnly: true)), ThreadExecutor(name: "sqlite-reader-\(index)"))
        }
        readerSlots = SlotQueue(slots: max(readers.count, 1), queueMax: queueMax)
        if isFile {
            let checkpointer = try WALCheckpointer(path: path, pages: checkpointPages, writerPages: writerCheckpointPages, logger: logger)
            try writer.withConnection { $0.reportWALSize(to: checkpointer) }
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil  // a database in memory has no WAL to copy
        }
        try await MigrationRunner(dialect: .sqlite, logger: logger).apply { body in
            try await self.transaction { _ in try await body(self.writer) }
        }
    }

    deinit {
        checkpointer?.stop()
        writerThread.shutdown()
        for reader in readers { reader.thread.shutdown() }
    }

    public var displayName: String { "sqlite:\(path)" }

    /// Transactions waiting for the writer's turn now (tests use it to line up a batch).
    var writersWaiting: Int { group.turns.waitingCount }

    /// WAL checkpoints run so far in the background and by the writer itself.
    public var walCheckpoints: (background: Int, byWriter: Int) {
        (checkpointer?.checkpointsInBackground ?? 0, checkpointer?.checkpointsByWriter ?? 0)
    }

    /// The whole turn runs on the writer's thread: a waiter that is handed the turn resumes
    /// there, right after the holder's job, with no wake-up of another thread on the path
    /// from one transaction to the next.
    ///
    /// Once committed, back on the caller's executor, the transaction decodes what it wrote
    /// that is read back soon (`SQLTransaction.decodeWrittenAhead`), off the writer's thread.
    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        let tx = SQLTransaction(writer, decodesAhead: true)
        let value = try await withTaskExecutorPreference(writerThread) {
            _ = try await group.turns.acquire()
            counters.countWrite()
            let outcome = await runMember(tx, body)
            let ticket: CommitTicket? = if case .success = outcome { group.join() } else { nil }
            // Transactions that arrived meanwhile are jobs queued on this thread, not yet
            // waiting for the turn: let them queue up first, so they join this batch.
            await Task.yield()
            if !group.shouldHandOn() { commitBatch() }
            group.turns.release(0)
            try await ticket?.wait()
            return try outcome.get()
        }
        tx.decodeWrittenAhead()
        return value
    }

    /// Runs one member of the open batch (opening it if needed) inside its own SAVEPOINT.
    private func runMember<T: Sendable>(
        _ tx: SQLTransaction, _ body: @Sendable (any StoreTransaction) async throws -> T
    ) async -> Result<T, any Error> {
        do {
            if !writer.isInTransaction { try writer.run("BEGIN IMMEDIATE") }
            try writer.run("SAVEPOINT member")
        } catch {
            abandonBatch(error)
            return .failure(error)
        }
        do {
            let value = try await body(tx)
            try writer.run("RELEASE member")
            return .success(value)
        } catch {
            do {
                // SQLite may have rolled the whole batch back itself (I/O error, disk full).
                guard writer.isInTransaction else { throw error }
                try writer.run("ROLLBACK TO member")
                try writer.run("RELEASE member")
            } catch {
                abandonBatch(error)
            }
            return .failure(error)
        }
    }

    /// Makes the open batch durable and tells each member the outcome.
    private func commitBatch() {
        let tickets = group.takeTickets()
        guard writer.isInTransaction else {
            // Only when the batch was abandoned, which already failed and took its tickets.
            for ticket in tickets { ticket.resolve(.failure(StoreError("the SQLite batch was rolled back"))) }
            return
        }
        do {
            try writer.run("COMMIT")
            if !tickets.isEmpty { counters.countCommit() }
            for ticket in tickets { ticket.resolve(.success(())) }
        } catch {
            // Not the caller's fault and nothing of theirs was kept: 503, safe to retry.
            try? writer.run("ROLLBACK")
            let failure = StoreError("the SQLite batch could not commit: \(error)")
            for ticket in tickets { ticket.resolve(.failure(failure)) }
        }
    }

    /// The batch cannot commit (SQLite rolled it back, or a savepoint could not be undone):
    /// none of its members' changes will be durable, so each of them fails.
    private func abandonBatch(_ cause: any Error) {
        if writer.isInTransaction { try? writer.run("ROLLBACK") }
        let failure = StoreError("the SQLite batch was rolled back: \(cause)")
        for ticket in group.takeTickets() { ticket.resolve(.failure(failure)) }
    }

    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await onReader { database in try await body(SQLTransaction(database)) }
    }

    /// Runs `body` in one snapshot on a free reader connection, on that reader's thread.
    private func onReader<T: Sendable>(_ body: @Sendable (SQLiteDatabase) async throws -> T) async throws -> T {
        guard !readers.isEmpty else { return try await transaction { _ in try await body(self.writer) } }
        let slot = try await readerSlots.acquire()
        defer { readerSlots.release(slot) }
        counters.countRead()
        let reader = readers[slot]
        return try await withTaskExecutorPreference(reader.thread) {
            try reader.database.run("BEGIN")
            do {
                let result = try await body(reader.database)
                try reader.database.run("COMMIT")
                return result
            } catch {
                try? reader.database.run("ROLLBACK")
                throw error
            }
        }
    }

    public func checkReady() async throws {
        let version = try await onReader { database in try database.query(Migrations.versionQuery).first?.optionalInteger("v") }
        try Migrations.requireCurrent(version, engine: "SQLite")
    }

    /// Commits the open batch, then copies the whole WAL into the database file and empties
    /// it, so the file alone holds every commit (a copy of it made after shutdown is whole).
    /// Throws when the WAL could not be emptied (a read still open after busy_timeout): nothing
    /// is lost then, the WAL beside the file still holds what the file lacks.
    public func close() async throws {
        let slot = try await group.turns.acquire()
        defer { group.turns.release(slot) }
        try await withTaskExecutorPreference(writerThread) {
            // The holder before us handed the turn on without committing, since we waited:
            // its batch is still open, and its members wait for the commit.
            commitBatch()
            checkpointer?.stopAndWait()
            do {
                try writer.withConnection { try $0.checkpointTruncate() }
            } catch {
                throw StoreError(
                    "the WAL of \(path) could not be copied into it at close (\(error)); "
                        + "nothing is lost, but keep \(path)-wal beside the file: it holds what the file lacks")
            }
        }
    }
}

/// A connection behind a Mutex: each statement runs with exclusive access (the store's
/// turns make whole transactions exclusive; the Mutex makes that honest to the compiler).
final class SQLiteDatabase: SQLExecutor {
    private let connection: Mutex<SQLiteConnection>

    init(connection: sending SQLiteConnection) {
        self.connection = Mutex(connection)
    }

    var isInTransaction: Bool { connection.withLock { $0.isInTransaction } }

    /// Runs `body` with exclusive use of the connection (the store tools' pragmas).
    func withConnection<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { try body($0) }
    }

    func run(_ sql: String) throws {
        _ = try connection.withLock { try $0.query(sql, []) }
    }

    func query(_ sql: String) throws -> [SQLRow] {
        try connection.withLock { try $0.query(sql, []) }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try connection.withLock { try $0.query(sql, binds) }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try connection.withLock { try $0.query(sql, binds) }
    }

    /// Without RETURNING: SQLite would gather the rows in a temporary B-tree first.
    func changedRowCount(_ sql: String, returning: String, _ binds: [SQLValue], seeing scope: HeldWriteScope?) async throws -> Int {
        try connection.withLock { try $0.execute(sql, binds) }
    }
}
