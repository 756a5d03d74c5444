import BrokerGateCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The PostgreSQL store (`--store postgres://…`): several gateway replicas share one
/// database. Transactions run at SERIALIZABLE and are retried on serialization failures
/// and deadlocks, so every replica sees the same serial history the single-writer stores
/// give; customer balance rows are additionally read `FOR UPDATE` so a hot customer queues
/// instead of failing. House balances are split into slots (`HouseSlots`) and each pooled
/// connection owns one (`PostgresSlotClaims`), so the orders that all credit the house's
/// fee, cash and custody accounts never write the same row at once. A gateway runs at most
/// `write_concurrency` write transactions at once (`writers`; reads are not limited), because
/// SERIALIZABLE's aborts grow faster than the parallelism more writers buy. Migrations take a
/// cluster-wide advisory lock, so replicas starting together apply each version once.
///
/// Every driver error leaves this store as a `PostgresStoreError`, whose description names
/// the SQLSTATE and the server's message (the driver's own hides both).
public final class PostgresStore: Store, StoreRetryCounting {
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger
    public let displayName: String
    public let counters = StoreCounters()
    let slotClaims: PostgresSlotClaims
    /// Admits `writeConcurrency` write transaction attempts at a time (`writeConcurrencyDefault`).
    let writers: AsyncSemaphore
    /// Statements prepared once per connection (`PostgresPreparedStatements`); nil when the
    /// URL says `prepared_statements=off`.
    let prepared: PostgresPreparedStatements?
    private let retries = Mutex<[String: Int]>([:])
    /// Customer rows whose writers failed each other lately (`ContendedRows`).
    let contendedRows = ContendedRows()
    /// This replica's own writers of one account, in turn (`LocalRowTurns`).
    let localTurns = LocalRowTurns()
    /// When a wait for a connection last ran out, until a connection arrives again.
    private let unreachableSince = Mutex<ContinuousClock.Instant?>(nil)
    /// When a pooled connection was last handed out or given back: the database answers.
    private let lastPoolActivity = Mutex(ContinuousClock.now)

    /// How long and how many times one transaction is tried at most before the caller gets
    /// a 503. Most retries on a young database are false conflicts: SERIALIZABLE locks btree
    /// pages, and while a table is small every order shares a few pages with every other, so
    /// a transaction can lose several times in a row through no real conflict. Each retry
    /// makes progress (PostgreSQL never fails a retry for the same pair again), so a
    /// transaction gives up only after both `attemptsMin` tries and `retryBudget` (a slow,
    /// busy machine gets its tries, a fast one its time), or after `attemptsMax`. 30 tries
    /// in about 1.5 s gave up under the two-replica money load in CI; 5 s alone gave up
    /// before 30 tries when the machine was busy.
    static let retryBudget = Duration.seconds(5)
    static let attemptsMin = 30
    static let attemptsMax = 100
    /// Backoff before retry n is random in 0...min(cap, base × 2^n): full jitter, so
    /// transactions that collided once do not collide again in lockstep, and bounded, so
    /// the worst case (all attempts) waits about 1.5 s in total.
    static let backoffBaseMicros = 500
    static let backoffCapMicros = 64_000
    /// One advisory lock id for all of BrokerGate's migrations, held to commit.
    static let migrationLockID: Int64 = 7_215_398_113
    /// Pool size when the URL does not say (`?pool_size=N`): enough connections that 64
    /// concurrent requests rarely wait for one, few enough that three replicas stay well
    /// under PostgreSQL's default `max_connections` of 100.
    public static let poolSizeDefault = 24
    static let poolSizeRange = 1...256
    /// Write transactions one gateway runs at once when the URL does not say
    /// (`?write_concurrency=N`); read snapshots are not limited and use the whole pool.
    ///
    /// Why a limit: under SERIALIZABLE, every open write transaction is a chance for a
    /// "read/write dependency" pivot with every other, so aborts grow faster than the
    /// parallelism they buy. With 24 writers at once a market buy at 64 clients was retried
    /// 7 to 11 times (about 2 with 4 writers, which placed 1.5-1.8x the orders); see
    /// BENCHMARKS.md ("PostgreSQL: writers admitted") for the measured curve that chose
    /// this value. Measured again after row turns moved into memory (stop 41): 8 writers
    /// placed ~5 % more market buys in `scripts/bench`'s cell, within the noise, but retried
    /// twice as many transactions, and p99 rose by a third; 4 stays. A waiting writer
    /// holds no connection, no snapshot and no lock: it waits here, in arrival order, before
    /// its attempt leases a connection, and a retry gives its permit back while it backs off.
    public static let writeConcurrencyDefault = 4
    static let writeConcurrencyRange = 1...256

    /// `poolSize` nil: the URL's `pool_size` query item, else `poolSizeDefault`; likewise
    /// `writeConcurrency` and `write_concurrency`, never more than the pool. `migrating`
    /// false leaves the schema as found: `brokergate migrate-store` inspects the target
    /// before it writes anything, then migrates it inside its own copy transaction.
    public init(
        url: String, poolSize: Int? = nil, writeConcurrency: Int? = nil, logger: Logger = Logger(label: "brokergate.postgres"),
        migrating: Bool = true
    ) async throws {
        let configuration = try Self.configuration(url: url, poolSize: poolSize)
        writers = AsyncSemaphore(
            permits: min(configuration.options.maximumConnections, try writeConcurrency ?? Self.writeConcurrency(url: url)))
        prepared = try Self.usesPreparedStatements(url: url) ? PostgresPreparedStatements() : nil
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runTask = Task { await client.run() }
        self.logger = logger
        slotClaims = PostgresSlotClaims(logger: logger)
        displayName = StoreSpec.postgres(url: url).description
        do {
            // The driver warns ("run() hasn't been called yet") when a lease comes before its
            // run task has started; the lease would wait anyway, but a warning at every start
            // hides the ones that matter. The client exposes no "started" signal to await.
            try await Task.sleep(for: .milliseconds(20))
            if migrating { try await PostgresStoreError.converting { try await migrate() } }
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
                    // A migration copies or rewrites whole tables, alone under the migration lock.
                    try await db.inTransaction(isolation: "READ COMMITTED") { try await db.readingWholeTables { try await body(db) } }
                }
            } catch {
                try? await db.execute("SELECT pg_advisory_unlock(\(Self.migrationLockID))", [])
                throw error
            }
            try await db.execute("SELECT pg_advisory_unlock(\(Self.migrationLockID))", [])
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await transaction(queuingFor: [], body)
    }

    /// Writers of a named account take turns in this replica (`LocalRowTurns`), without a
    /// statement. One that was contended lately, by another replica, has its turn taken in
    /// PostgreSQL before `BEGIN` (`ContendedRows`); the others queue inside the transaction
    /// as always.
    public func transaction<T: Sendable>(
        queuingFor accounts: [AccountID], _ body: @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> T {
        let keys = accounts.map(SQLTransaction.rowQueueKey)
        let result = try await rawTransaction(localTurns: keys) { db in
            try await body(SQLTransaction(db))
        }
        counters.countWrite()
        counters.countCommit()
        return result
    }

    /// A REPEATABLE READ READ ONLY snapshot: it never takes part in serialization
    /// conflicts, so it needs no retry, and a write inside it fails.
    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        counters.countRead()
        return try await snapshot { db in try await body(SQLTransaction(db)) }
    }

    /// The body's one statement on a pooled connection, outside any transaction: a statement
    /// sees one snapshot of what has committed. A second statement, or a write, ends the try
    /// (`OneStatement.Refusal`), and the body runs again in `read`'s snapshot; so does a body
    /// that caught the refusal and returned anyway.
    public func readInOneStatement<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        do {
            let result = try await onReadOnlyConnection { executor in
                let db = OneStatement(executor)
                let result = try await body(SQLTransaction(db))
                if db.refusedAny { throw OneStatement.Refusal.needsSnapshot }
                return result
            }
            counters.countRead()
            return result
        } catch OneStatement.Refusal.needsSnapshot {
            return try await read(body)
        }
    }

    /// The snapshot `read` runs in, on any pooled connection: not admitted by `writers`.
    private func snapshot<T: Sendable>(_ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        try await onReadOnlyConnection { db in
            try await db.inTransaction(isolation: "REPEATABLE READ READ ONLY") { try await body(db) }
        }
    }

    /// `body` on a pooled connection as a read-only executor (nothing locked for update),
    /// the driver's errors converted: what `snapshot` and `readInOneStatement` share.
    private func onReadOnlyConnection<T: Sendable>(_ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        try await PostgresStoreError.converting {
            try await withLeasedConnection { connection in
                try await body(
                    PostgresExecutor(connection: connection, logger: logger, isReadOnly: true, prepared: prepared, counters: counters))
            }
        }
    }

    /// BEGIN SERIALIZABLE … COMMIT on one pooled connection, run again after a jittered
    /// backoff when PostgreSQL reports a serialization failure or deadlock (the body is
    /// re-run from the start on a fresh snapshot, which is why bodies touch nothing but the
    /// store). No global lock of ours around it, only an admission limit: up to
    /// `writeConcurrency` attempts run at once (`writers`); among them, this replica's
    /// writers of one named account take turns (`localTurns`), and PostgreSQL decides who
    /// waits otherwise. A retry after a row conflict first waits its turn on the hot rows
    /// the failed attempt touched (`PostgresRowQueues`), and so does a first attempt on those
    /// of `keys` that are contended (`ContendedRows`). Past the retry budget the caller gets a
    /// `PostgresStoreError` that the API answers 503 with Retry-After.
    private func rawTransaction<T: Sendable>(
        localTurns keys: [String] = [], _ body: @Sendable (PostgresExecutor) async throws -> T
    ) async throws -> T {
        var attempts = 0
        var turns: Set<String>? = nil
        let started = ContinuousClock.now
        while true {
            attempts += 1
            var queues = PostgresRowQueues(held: turns ?? [])
            do {
                return try await writers.withPermit {
                    try await localTurns.holding(keys) {
                        // A first attempt asks which of its rows are contended once it holds
                        // their local turns, not when it was called: this replica's writer that
                        // went before it may just have learned it. A burst asked on arrival, so
                        // the whole burst on one replica, queued behind its first failure, took
                        // no turns and failed once each (CI: 16 of 32).
                        if turns == nil { queues = PostgresRowQueues(held: contendedRows.contended(among: keys)) }
                        do {
                            return try await attempt(body, queues: queues)
                        } catch let error as PostgresStoreError where error.isRetryable && !error.isDependencyConflict {
                            // Only a row conflict makes the rows contended: a dependency conflict
                            // among transactions of different accounts (this replica's writers of
                            // one account already take turns in memory) is not cured by a turn,
                            // which would cost this account's next writers two round trips each.
                            // Noted while this attempt still holds the local turns, so the writer
                            // that takes them next already knows.
                            contendedRows.note(queues.keys)
                            throw error
                        }
                    }
                }
            } catch let error as PostgresStoreError where error.isRetryable {
                let state = error.sqlState ?? "?"
                retries.withLock { $0[state, default: 0] += 1 }
                let exhausted = attempts >= Self.attemptsMin && ContinuousClock.now - started >= Self.retryBudget
                guard !exhausted, attempts < Self.attemptsMax else {
                    logger.warning(
                        "store transaction gave up after retries",
                        metadata: ["attempts": "\(attempts)", "sqlstate": "\(state)", "error": "\(error)"])
                    throw error
                }
                // The retry takes its turns before BEGIN: after a row conflict on every row the
                // failed attempt queued for, after a dependency conflict on those it held.
                let retryTurns = error.isDependencyConflict ? queues.held : queues.keys
                turns = retryTurns
                logger.debug(
                    "store transaction retried",
                    metadata: ["attempt": "\(attempts)", "sqlstate": "\(state)", "rows_queued": "\(retryTurns.count)", "error": "\(error)"])
                try await Task.sleep(for: .microseconds(Self.backoffMicros(attempt: attempts)))
            }
        }
    }

    /// One attempt: a pooled connection, the retry's row turns, BEGIN SERIALIZABLE, the body, COMMIT.
    private func attempt<T: Sendable>(
        _ body: @Sendable (PostgresExecutor) async throws -> T, queues: PostgresRowQueues
    ) async throws -> T {
        try await PostgresStoreError.converting {
            try await withLeasedConnection { connection in
                let slot = try await slotClaims.slot(of: connection)
                let db = PostgresExecutor(
                    connection: connection, logger: logger, houseSlot: slot, rowQueues: queues, prepared: prepared, counters: counters)
                return try await db.holdingTurns(on: queues.held) {
                    try await db.inTransaction(isolation: "SERIALIZABLE") { try await body(db) }
                }
            }
        }
    }

    /// Runs `body` on a pooled connection. The driver's own wait has no bound short of its
    /// one-minute circuit breaker, so with the server down every request hung until its
    /// client gave up. Now a caller gives up when no connection was handed out or given
    /// back for `leaseWaitMax` (the database does not answer; a pool that is merely busy
    /// keeps moving, and its callers keep their place in the queue) and gets a
    /// `PostgresStoreError` the API answers 503. Only the wait is bounded: once `body` has
    /// its connection it runs to the end (cutting a transaction short could hide whether it
    /// committed), and a connection that arrives after the caller gave up goes back unused.
    ///
    /// While the database is known unreachable (a wait ran out and nothing moved since),
    /// callers fail at once for `unreachableRecheck` instead of each waiting in turn: one
    /// request makes several store calls (rate limit, key, command, audit record).
    func withLeasedConnection<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        if let since = unreachableSince.withLock({ $0 }), ContinuousClock.now - since < Self.unreachableRecheck {
            throw PostgresStoreError(code: "connectionUnavailable", message: "the database did not answer in the last \(Self.leaseWaitMax)")
        }
        let lease = LeaseWait()
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: R?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        guard lease.begin() else { throw CancellationError() }
                        self.poolMoved()
                        defer { self.poolMoved() }
                        return try await withTaskExecutorPreference(EventLoopExecutor(connection.eventLoop)) { try await body(connection) }
                    }
                }
                // The give-up waits are the process's deadline watcher's, not a Dispatch timer
                // each: arming one per transaction made Dispatch's timer thread 5 % of the
                // gateway's CPU under market buys (`DeadlineWatcher`).
                group.addTask {
                    await DeadlineWatcher.shared.sleep(until: .now + Self.leaseWaitMax)
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                    let idle = ContinuousClock.now - lastPoolActivity.withLock { $0 }
                    if idle < Self.leaseWaitMax {
                        group.addTask {
                            await DeadlineWatcher.shared.sleep(until: .now + Self.leaseWaitMax - idle)
                            return nil
                        }
                        continue
                    }
                    if lease.giveUp() {
                        unreachableSince.withLock { $0 = .now }
                        group.cancelAll()
                        throw PostgresStoreError(
                            code: "connectionUnavailable",
                            message: "no database connection was handed out or given back for \(Self.leaseWaitMax) (is PostgreSQL up?)")
                    }
                }
                throw CancellationError()
            }
        }
    }

    private func poolMoved() {
        lastPoolActivity.withLock { $0 = .now }
        unreachableSince.withLock { $0 = nil }
    }

    /// How long the pool may stand still before a waiting transaction's request gets a 503.
    static let leaseWaitMax = Duration.seconds(5)
    /// How long callers fail fast after a wait ran out, before one waits again.
    static let unreachableRecheck = Duration.seconds(2)

    /// Full jitter over an exponentially growing, capped window.
    static func backoffMicros(attempt: Int) -> Int {
        let window = min(backoffCapMicros, backoffBaseMicros << min(attempt, 16))
        return Int.random(in: 0...window)
    }

    /// Retries so far by SQLSTATE ("40001", "40P01"), for `/metrics`.
    public var transactionRetries: [String: Int] { retries.withLock { $0 } }

    /// A read snapshot, so `/ready` answers from any free connection instead of queuing
    /// behind the write transactions `writers` admits a few at a time.
    public func checkReady() async throws {
        let version = try await snapshot { db in try await db.query(Migrations.versionQuery, []).first?.optionalInteger("v") }
        try Migrations.requireCurrent(version, engine: "PostgreSQL")
    }

    public func close() async throws {
        runTask.cancel()
    }
}

/// Whether a transaction got its connection in time or gave up waiting, decided once.
private final class LeaseWait: Sendable {
    private enum State { case waiting, running, gaveUp }
    private let state = Mutex(State.waiting)

    /// The connection arrived: true if the caller still waits for it.
    func begin() -> Bool { state.withLock { if $0 == .waiting { $0 = .running; return true } else { return false } } }

    /// The wait is over: true if no connection arrived before it.
    func giveUp() -> Bool { state.withLock { if $0 == .waiting { $0 = .gaveUp; return true } else { return false } } }
}
