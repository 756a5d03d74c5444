import BrokerGateCore
import Tracing

/// The store with a span around each transaction and read, so a trace shows where a request
/// waited on the database. The spans name the kind of access only: no SQL, no values.
///
/// Installed by the composition root when traces are exported (`tracingTransactions(of:)`);
/// Core and the stores know nothing of it. Generic over the store it wraps so the optional
/// capabilities found by casting (`SharedRateBuckets`, `StoreRetryCounting`,
/// `StoreCheckpointCounting`) stay visible.
struct TracedStore<Base: Store>: Store {
    let base: Base

    /// Only inside a traced operation (a request, an outgoing call's job): the background
    /// passes poll the store every second, and a trace of its own per poll would bury the
    /// traces that matter.
    func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        guard ServiceContext.current != nil else { return try await base.transaction(body) }
        return try await withSpan("store.transaction", ofKind: .client) { _ in try await base.transaction(body) }
    }

    func transaction<T: Sendable>(
        queuingFor accounts: [AccountID], _ body: @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> T {
        guard ServiceContext.current != nil else { return try await base.transaction(queuingFor: accounts, body) }
        return try await withSpan("store.transaction", ofKind: .client) { _ in try await base.transaction(queuingFor: accounts, body) }
    }

    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        guard ServiceContext.current != nil else { return try await base.read(body) }
        return try await withSpan("store.read", ofKind: .client) { _ in try await base.read(body) }
    }

    func readInOneStatement<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        guard ServiceContext.current != nil else { return try await base.readInOneStatement(body) }
        return try await withSpan("store.read", ofKind: .client) { _ in try await base.readInOneStatement(body) }
    }

    var counters: StoreCounters { base.counters }
    func checkReady() async throws { try await base.checkReady() }
    func close() async throws { try await base.close() }
    var displayName: String { base.displayName }
}

extension TracedStore: SharedRateBuckets where Base: SharedRateBuckets {
    func takeRateTokens(_ key: String, upTo wanted: Int, refill: RateRefill, burst: Int, nowMicros: Int64) async throws -> RateGrant {
        try await base.takeRateTokens(key, upTo: wanted, refill: refill, burst: burst, nowMicros: nowMicros)
    }

    func drainedRateBuckets(prefix: String, refill: RateRefill, nowMicros: Int64, limit: Int) async throws -> [DrainedBucket] {
        try await base.drainedRateBuckets(prefix: prefix, refill: refill, nowMicros: nowMicros, limit: limit)
    }

    func rateBucketTouchedMicros(_ key: String) async throws -> Int64? { try await base.rateBucketTouchedMicros(key) }

    func pruneRateBuckets(idleBeforeMicros: Int64) async throws -> Int {
        try await base.pruneRateBuckets(idleBeforeMicros: idleBeforeMicros)
    }
}

extension TracedStore: StoreRetryCounting where Base: StoreRetryCounting {
    var transactionRetries: [String: Int] { base.transactionRetries }
}

extension TracedStore: StoreCheckpointCounting where Base: StoreCheckpointCounting {
    var walCheckpoints: (background: Int, byWriter: Int) { base.walCheckpoints }
}

/// `store` with a span around every transaction and read (`TracedStore`).
public func tracingTransactions(of store: any Store) -> any Store {
    func wrap<Base: Store>(_ base: Base) -> any Store { TracedStore(base: base) }
    return wrap(store)
}
