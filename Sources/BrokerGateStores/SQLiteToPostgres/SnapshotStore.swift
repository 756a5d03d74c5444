import BrokerGateCore

/// A `Store` over one connection that is already inside a transaction, so `StoreVerification`
/// can check each side of `migrate-store` on the very snapshot being copied (the source's
/// locked read, the target's uncommitted copy). Reads only.
final class SnapshotStore: Store {
    private let db: any SQLExecutor
    private let engine: String
    let counters = StoreCounters()

    /// `engine` names the store in messages ("SQLite", "PostgreSQL").
    init(_ db: any SQLExecutor, engine: String) {
        self.db = db
        self.engine = engine
    }

    var displayName: String { "\(engine) (being copied)" }

    func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        throw StoreToolError("the \(engine) side of migrate-store is only read through this store")
    }

    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        counters.countRead()
        return try await body(SQLTransaction(db))
    }

    func checkReady() async throws {
        try Migrations.requireCurrent(try await db.query(Migrations.versionQuery, []).first?.optionalInteger("v"), engine: engine)
    }

    func close() async throws {}
}
