import Synchronization

/// Turns for hot rows across every replica: writers of one customer balance wait for each
/// other instead of failing each other over and over.
///
/// Why: under SERIALIZABLE, `SELECT … FOR UPDATE` does not make a second writer of a row
/// wait its turn and then go on. It waits, and when the first commits it fails (40001,
/// "concurrent update"), because its snapshot predates that commit. Retrying does not
/// help by itself: the retry takes a new snapshot at once and races the next writer, so
/// under load one busy account's transactions failed each other 30 times in a row and the
/// request got a 500 (CI, two replicas, six accounts).
///
/// How: before a customer balance is read for update, the transaction takes a
/// transaction-level advisory lock on the row's key (`turn(forRow:)`), and remembers the
/// key. When the attempt fails on a row (not on SERIALIZABLE's dependency tracking,
/// `PostgresStoreError.isDependencyConflict`) and is retried, the retry takes
/// session-level advisory locks on every key the failed attempt queued for, in sorted
/// order, *before* `BEGIN`; its snapshot is therefore taken after every earlier writer of
/// those rows committed, and later writers queue behind it. A contended row costs a
/// transaction one retry, not an unbounded number; an uncontended transaction pays a
/// condition in its first read of the row, no statement of its own. One replica's own
/// writers of an account named up front take turns in memory first (`LocalRowTurns`), so
/// these locks order writers of different replicas.
/// The locks share PostgreSQL's (int, int) advisory key space with `PostgresSlotClaims`,
/// under a class id of their own; keys are `hashtext` of the row key, so two rows whose
/// hashes collide just share a queue.
final class PostgresRowQueues: Sendable {
    static let lockClassID: Int32 = 72_153_982

    /// Keys taken before `BEGIN` (a retry's): queuing for them again is a no-op.
    let held: Set<String>
    private let queued = Mutex<Set<String>>([])

    init(held: Set<String> = []) {
        self.held = held
    }

    /// Whether this attempt still has to queue for `key` (and records that it will).
    func needsTurn(_ key: String) -> Bool {
        !held.contains(key) && queued.withLock { $0.insert(key).inserted }
    }

    /// Every key this attempt queued for or held: what a retry takes before `BEGIN`.
    var keys: Set<String> { queued.withLock { $0 }.union(held) }

    /// Takes a transaction-level turn as part of the statement it is ANDed into. It refers to
    /// no column, so PostgreSQL runs it once, as the plan's "one-time filter", before it
    /// scans anything: the turn is taken even when the row does not exist yet, and before
    /// the statement's `FOR UPDATE` locks the row.
    static let transactionTurnCondition =
        "(SELECT 1 FROM (SELECT pg_advisory_xact_lock(\(lockClassID), hashtext(?))) AS turn) = 1"

    /// One statement taking (or releasing) session locks on `count` keys, bound in sorted
    /// order so two retries that want the same rows cannot deadlock.
    static func sessionSQL(count: Int, release: Bool) -> String {
        let call = release ? "pg_advisory_unlock" : "pg_advisory_lock"
        let calls = Array(repeating: "\(call)(\(lockClassID), hashtext(?))", count: count).joined(separator: ", ")
        return "SELECT 1 AS done FROM (SELECT \(calls)) AS q"
    }
}

/// Row keys whose writers recently failed each other: an attempt that queued for them was
/// retried after a row conflict. For `memory` after that, a transaction that names such a
/// row's account up front (`Store.transaction(queuingFor:_:)`) takes its turn before
/// `BEGIN`, as a retry does, so it does not first fail once with a snapshot older than the
/// writer it waited for. A quiet account is not in here and costs nothing extra: its one
/// turn is still taken inside the transaction, one statement, where a turn before `BEGIN`
/// costs two (take, give back).
final class ContendedRows: Sendable {
    static let memory = Duration.seconds(2)
    /// Bounds what a burst over many accounts can leave behind.
    static let capacity = 4_096
    private let lastContended = Mutex<[String: ContinuousClock.Instant]>([:])

    /// `keys` were just contended: an attempt that queued for them failed and is retried.
    func note(_ keys: Set<String>, at now: ContinuousClock.Instant = .now) {
        guard !keys.isEmpty else { return }
        lastContended.withLock { seen in
            for key in keys { seen[key] = now }
            guard seen.count > Self.capacity else { return }
            seen = seen.filter { now - $0.value < Self.memory }
            if seen.count > Self.capacity { seen = Dictionary(uniqueKeysWithValues: keys.map { ($0, now) }) }
        }
    }

    /// Those of `keys` contended within `memory` before `now`.
    func contended(among keys: [String], at now: ContinuousClock.Instant = .now) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return lastContended.withLock { seen in Set(keys.filter { key in seen[key].map { now - $0 < Self.memory } ?? false }) }
    }
}

/// Turns on row keys among one replica's own transactions, taken in memory once a
/// transaction holds its writer permit, before it leases a connection or takes a snapshot.
///
/// Why: the order load's hot accounts (many orders of one customer at once) took their
/// turns in PostgreSQL, with a session lock before `BEGIN` and its release after `COMMIT`:
/// two round trips, each ~0.2 ms of CPU on the two sides together, for a wait between this
/// replica's own requests. Here the wait costs no statement and no connection, and it is
/// FIFO. Turns between replicas still happen in PostgreSQL (`PostgresRowQueues`).
///
/// After the permit, not before: a transaction holding its account's turn while it waited
/// in the permits' queue held every later writer of the account behind that whole queue
/// (p99 of the order load 230 → 420-620 ms, measured). A permit holder waits here only for
/// another permit holder, which is running, so the two cannot wait for each other.
final class LocalRowTurns: Sendable {
    /// The waiters of each key that is held; a key nobody holds has no entry.
    private let queues = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    init() {}

    /// Runs `body` holding the turn of every key, taken one by one in sorted order, so
    /// two transactions that name the same keys cannot deadlock.
    func holding<T>(_ keys: [String], _ body: () async throws -> T) async throws -> T {
        let ordered = Set(keys).sorted()
        for key in ordered { await acquire(key) }
        defer { for key in ordered.reversed() { release(key) } }
        return try await body()
    }

    /// Keys held right now (tests: none is left behind).
    var heldCount: Int { queues.withLock { $0.count } }

    /// Holders waiting for `key` now (tests line arrivals up with it).
    func waitingCount(of key: String) -> Int { queues.withLock { $0[key]?.count ?? 0 } }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = queues.withLock { queues -> Bool in
                guard queues[key] != nil else {
                    queues[key] = []
                    return true
                }
                queues[key]!.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands the turn straight to the next waiter, or frees the key.
    private func release(_ key: String) {
        let next = queues.withLock { queues -> CheckedContinuation<Void, Never>? in
            guard queues[key]?.isEmpty == false else {
                queues[key] = nil
                return nil
            }
            return queues[key]!.removeFirst()
        }
        next?.resume()
    }
}

extension PostgresStore {
    /// Row turns held right now in this database, by every replica: 0 when nothing runs.
    /// A turn held by an idle connection would stall every later writer of its account.
    func rowTurnsHeld() async throws -> Int {
        try await PostgresStoreError.converting {
            try await client.withConnection { connection in
                let db = PostgresExecutor(connection: connection, logger: logger)
                let rows = try await db.query(
                    """
                    SELECT CAST(COUNT(*) AS BIGINT) AS held FROM pg_locks
                    WHERE locktype = 'advisory' AND CAST(classid AS BIGINT) = ? AND granted
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """, [.integer(Int64(PostgresRowQueues.lockClassID))])
                return Int(try rows.first?.integer("held") ?? 0)
            }
        }
    }
}
