import Foundation
import Synchronization

/// The persistence boundary. Core states what it needs; `BrokerGateStores` provides the
/// memory, SQLite and PostgreSQL implementations, all held to one contract test suite.
///
/// Every business write runs inside `transaction`: the body sees a consistent snapshot,
/// its writes commit together when it returns, and nothing is written when it throws.
/// A transaction that returned is durable (DESIGN.md rule 5) on durable stores.
public protocol Store: Sendable {
    /// Runs `body` as one serializable transaction; commits on return, rolls back on throw.
    func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T

    /// `transaction`, told up front which customer accounts' balances `body` moves (an order's
    /// placement and settlement name the order's account). A store whose writers of one
    /// account take turns (PostgreSQL, `PostgresRowQueues`) may have the transaction wait its
    /// turn before its snapshot is taken when the account is busy, instead of finding the
    /// turn mid-transaction with a snapshot already too old to write the row. Only a hint:
    /// the body may move other accounts too; the default ignores it.
    func transaction<T: Sendable>(
        queuingFor accounts: [AccountID], _ body: @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> T

    /// Runs `body` on a consistent read-only snapshot of what has committed, without
    /// waiting for writers where the store can (SQLite's WAL readers, PostgreSQL's pool).
    /// For queries: a write inside it fails.
    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T

    /// `read`, for a body that sends at most one statement (one
    /// `prefetchDocuments(_:andBalancesOf:)`, then what it put in the transaction's cache):
    /// where a statement is a round trip and a snapshot of its own (PostgreSQL), it runs
    /// without BEGIN and COMMIT, one round trip instead of three. A body that sends a second
    /// statement is run again as `read` does, so what it returns never depends on the count;
    /// only what it costs does.
    func readInOneStatement<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T

    /// Counts of transactions and durable commits, for `/metrics` and the tests that pin
    /// how many each request costs.
    var counters: StoreCounters { get }

    /// Readiness probe: the store answers and its schema is at the version this build
    /// expects. Throws a `DomainError` of kind `.unavailable` otherwise.
    func checkReady() async throws

    /// Releases connections and flushes; called once on shutdown.
    func close() async throws

    /// A short human name for logs and `/ready`: "memory", "sqlite:./data/x.sqlite", ….
    var displayName: String { get }
}

extension Store {
    public func readInOneStatement<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await read(body)
    }

    public func transaction<T: Sendable>(
        queuingFor accounts: [AccountID], _ body: @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> T {
        try await transaction(body)
    }
}

/// How much work a store has done since it opened. A durable commit may hold several write
/// transactions (group commit), so `commits` ≤ `writeTransactions`.
public final class StoreCounters: Sendable {
    private let writes = Atomic<Int>(0)
    private let durableCommits = Atomic<Int>(0)
    private let readOnly = Atomic<Int>(0)
    private let sentStatements = Atomic<Int>(0)

    public init() {}

    public var writeTransactions: Int { writes.load(ordering: .relaxed) }
    public var commits: Int { durableCommits.load(ordering: .relaxed) }
    public var readTransactions: Int { readOnly.load(ordering: .relaxed) }
    /// Statements sent to a database server, each a round trip (PostgreSQL: transactions,
    /// reads and rate limits, BEGIN and COMMIT included); 0 on an in-process store.
    public var statements: Int { sentStatements.load(ordering: .relaxed) }

    public func countWrite() { writes.add(1, ordering: .relaxed) }
    public func countCommit() { durableCommits.add(1, ordering: .relaxed) }
    public func countRead() { readOnly.add(1, ordering: .relaxed) }
    public func countStatement() { sentStatements.add(1, ordering: .relaxed) }
}

/// Everything a transaction can read and write, one protocol per aggregate so each
/// concept's persistence reads in one place.
public protocol StoreTransaction: OrganizationRepository, IdempotencyRepository, DocumentRepository, LedgerRepository, EventRepository {
    /// `prefetchDocuments(keys)`, then `ledgerBalances(customer: account)`, in one statement
    /// on the SQL stores: what an account's portfolio reads, in one query.
    func prefetchDocuments(_ keys: [DocumentKey], andBalancesOf account: AccountID) async throws -> [LedgerBalance]
}

extension StoreTransaction {
    public func prefetchDocuments(_ keys: [DocumentKey], andBalancesOf account: AccountID) async throws -> [LedgerBalance] {
        try await prefetchDocuments(keys)
        return try await ledgerBalances(customer: account)
    }
}

/// Organizations and their API keys.
public protocol OrganizationRepository: Sendable {
    func insertOrganization(_ organization: Organization) async throws
    func organization(_ id: OrganizationID) async throws -> Organization?
    func organizations(role: OrganizationRole) async throws -> [Organization]
    func insertAPIKey(_ key: APIKeyRecord) async throws
    func apiKey(_ id: APIKeyID) async throws -> APIKeyRecord?
    /// The organization's keys, revoked ones included, newest first, at most `limit`.
    func apiKeys(organization: OrganizationID, limit: Int) async throws -> [APIKeyRecord]
    /// Marks the key revoked at `instant` (a key revoked already keeps its first instant).
    func revokeAPIKey(_ id: APIKeyID, at instant: Date) async throws
}

/// Recorded outcomes of idempotent requests.
public protocol IdempotencyRepository: Sendable {
    func idempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws -> IdempotencyRecord?
    func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws
    /// Deletes at most `limit` records created before `cutoff`, oldest first; returns how
    /// many were removed (fewer than `limit`: none older are left).
    func deleteIdempotencyRecords(createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// Deletes one record, if present: an expired key being used again.
    func deleteIdempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws
}

/// A store-level failure that is not the caller's fault; mapped to 503 by the API.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An error a store implementation throws from its database or driver. The API answers
/// those that are unavailability 503 `store_unavailable` with Retry-After (the request is
/// fine and may succeed when sent again); the rest (a constraint the code broke, a row it
/// cannot decode) are bugs and stay 500.
public protocol StoreFailure: Error {
    /// The database is unreachable, out of space or memory, shutting down or busy, or the
    /// transaction kept losing to concurrent ones past its retries.
    var isUnavailability: Bool { get }
}

extension StoreError: StoreFailure {
    /// A batch that could not commit, a store that is closed: not the request's fault.
    public var isUnavailability: Bool { true }
}
