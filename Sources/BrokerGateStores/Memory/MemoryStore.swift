import BrokerGateCore
import Foundation
import Synchronization

/// The in-memory store (`--store memory`, tests). Transactions are serialized and run on a
/// copy of the tables that replaces the committed tables only when the body returns, so a
/// throwing body leaves nothing behind, exactly like the durable stores.
public final class MemoryStore: Store {
    private let committed = Mutex(MemoryTables())
    private let writer = AsyncLock()
    public let counters = StoreCounters()

    public init() {}

    public var displayName: String { "memory" }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await writer.withLock {
            let tx = MemoryTransaction(tables: committed.withLock { $0 })
            let result = try await body(tx)
            let changed = tx.finish()
            committed.withLock { $0 = changed }
            counters.countWrite()
            counters.countCommit()
            return result
        }
    }

    /// A copy of the committed tables, taken without the writer lock; a write in it throws,
    /// as it does on the durable stores' read-only connections.
    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        counters.countRead()
        return try await body(MemoryTransaction(tables: committed.withLock { $0 }, isReadOnly: true))
    }

    public func checkReady() async throws {}

    public func close() async throws {}
}

/// All rows, as plain values: copying it is the snapshot a transaction works on.
struct MemoryTables: Sendable {
    var organizations: [OrganizationID: Organization] = [:]
    var apiKeys: [APIKeyID: APIKeyRecord] = [:]
    var idempotency: [IdempotencyKey: IdempotencyRecord] = [:]
    /// kind → id → row.
    var documents: [String: [String: MemoryDocumentRow]] = [:]
    var blobs: [String: [UInt8]] = [:]
    var ledger = MemoryLedgerTables()
    var events = MemoryEventTables()

    struct IdempotencyKey: Hashable, Sendable {
        let organizationID: OrganizationID
        let keyHashHex: String
    }
}

/// One transaction's working copy. Used only inside `MemoryStore.transaction`, which holds
/// the writer lock for its whole life; the Mutex makes it honestly Sendable anyway.
final class MemoryTransaction: StoreTransaction {
    private let tables: Mutex<MemoryTables>
    private let isReadOnly: Bool

    init(tables: MemoryTables, isReadOnly: Bool = false) {
        self.tables = Mutex(tables)
        self.isReadOnly = isReadOnly
    }

    func finish() -> MemoryTables { tables.withLock { $0 } }

    func read<T>(_ body: (MemoryTables) throws -> T) rethrows -> T {
        try tables.withLock { try body($0) }
    }

    func write<T>(_ body: (inout MemoryTables) throws -> T) throws -> T {
        guard !isReadOnly else { throw StoreError("a write inside a read-only transaction") }
        return try tables.withLock { try body(&$0) }
    }
}
