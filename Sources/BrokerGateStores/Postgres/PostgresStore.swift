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
/// fee, cash and custody accounts never write the same row at once. Migrations take a
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
    private let retries = Mutex<[String: Int]>([:])
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

    /// `poolSize` nil: the URL's `pool_size` query item, else `poolSizeDefault`. `migrating`
    /// false leaves the schema as found: `brokergate migrate-store` inspects the target
    /// before it writes anything, then migrates it inside its own copy transaction.
    public init(
        url: String, poolSize: Int? = nil, logger: Logger = Logger(label: "brokergate.postgres"), migrating: Bool = true
    ) async throws {
        let configuration = try Self.configuration(url: url, poolSize: poolSize)
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
        let result = try await rawTransaction { db in try await body(SQLTransaction(db)) }
        counters.countWrite()
        counters.countCommit()
        return result
    }

    /// A REPEATABLE READ READ ONLY snapshot: it never takes part in serialization
    /// conflicts, so it needs no retry, and a write inside it fails.
    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        counters.countRead()
        return try await PostgresStoreError.converting {
            try await withLeasedConnection { connection in
                let db = PostgresExecutor(connection: connection, logger: logger, isReadOnly: true)
                try await db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [])
                do {
                    let result = try await body(SQLTransaction(db))
                    try await db.execute("COMMIT", [])
                    return result
                } catch {
                    try? await db.execute("ROLLBACK", [])
                    throw error
                }
            }
        }
    }

    /// BEGIN SERIALIZABLE … COMMIT on one pooled connection, run again after a jittered
    /// backoff when PostgreSQL reports a serialization failure or deadlock (the body is
    /// re-run from the start on a fresh snapshot, which is why bodies touch nothing but the
    /// store). No lock of ours around it: transactions run on as many connections as the
    /// pool has, and PostgreSQL alone decides who waits. A retry first waits its turn on the
    /// hot rows the failed attempt touched (`PostgresRowQueues`). Past the retry budget the
    /// caller gets a `PostgresStoreError` that the API answers 503 with Retry-After.
    private func rawTransaction<T: Sendable>(_ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        var attempt = 0
        var turns = Set<String>()
        let started = ContinuousClock.now
        while true {
            attempt += 1
            let queues = PostgresRowQueues(held: turns)
            do {
                return try await PostgresStoreError.converting {
                    try await withLeasedConnection { connection in
                        let slot = try await slotClaims.slot(of: connection)
                        let db = PostgresExecutor(connection: connection, logger: logger, houseSlot: slot, rowQueues: queues)
                        return try await db.holdingTurns(on: queues.held) {
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
                    }
                }
            } catch let error as PostgresStoreError where error.isRetryable {
                let state = error.sqlState ?? "?"
                retries.withLock { $0[state, default: 0] += 1 }
                let exhausted = attempt >= Self.attemptsMin && ContinuousClock.now - started >= Self.retryBudget
                guard !exhausted, attempt < Self.attemptsMax else {
                    logger.warning(
                        "store transaction gave up after retries",
                        metadata: ["attempts": "\(attempt)", "sqlstate": "\(state)", "error": "\(error)"])
                    throw error
                }
                turns = queues.keys
                logger.debug(
                    "store transaction retried",
                    metadata: ["attempt": "\(attempt)", "sqlstate": "\(state)", "rows_queued": "\(turns.count)", "error": "\(error)"])
                try await Task.sleep(for: .microseconds(Self.backoffMicros(attempt: attempt)))
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
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: Self.leaseWaitMax)
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
                            try? await Task.sleep(for: Self.leaseWaitMax - idle)
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

    public func checkReady() async throws {
        let version = try await rawTransaction { db in try await db.query(Migrations.versionQuery, []).first?.optionalInteger("v") }
        try Migrations.requireCurrent(version, engine: "PostgreSQL")
    }

    public func close() async throws {
        runTask.cancel()
    }

    static func configuration(url: String, poolSize: Int?) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw StoreError("expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
        }
        let database = String(components.path.dropFirst())
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.maximumConnections = try poolSize ?? Self.poolSize(in: components)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// `?pool_size=N` on the store URL, 1...256.
    static func poolSize(in components: URLComponents) throws -> Int {
        guard let text = components.queryItems?.first(where: { $0.name == "pool_size" })?.value else { return poolSizeDefault }
        guard let size = Int(text), poolSizeRange.contains(size) else {
            throw StoreError("pool_size in the PostgreSQL URL must be a whole number in \(poolSizeRange), got \(text.prefix(20))")
        }
        return size
    }
}

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
