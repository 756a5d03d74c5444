import BrokerGateCore
import Foundation
import PostgresNIO

/// The store URL's options:
/// `postgres://USER[:PASSWORD]@HOST:PORT/DATABASE?pool_size=N&write_concurrency=M&prepared_statements=off`.
extension PostgresStore {
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
        if try usesPreparedStatements(url: url) {
            // Only a connection that keeps its session takes settings at start-up: PgBouncer
            // in transaction mode, the reason for `prepared_statements=off`, refuses them; the
            // README asks for them on the database (`ALTER DATABASE … SET`) in that case.
            configuration.options.additionalStartupParameters = sessionSettings
        }
        return configuration
    }

    /// Settings every connection starts with (when it keeps its session, see above).
    ///
    /// `enable_seqscan=off`: a sequential scan inside a SERIALIZABLE transaction takes a
    /// predicate lock on the whole table, so it conflicts with every other transaction that
    /// writes any row of it (PostgreSQL's manual, "Serializable Isolation Level", advises
    /// encouraging index scans for this reason). Once autovacuum has analyzed a table that is
    /// still small (the customer balances of a young deployment, the idempotency records,
    /// the events), the planner prefers scanning its one or two pages to an index lookup:
    /// measured with the order load after an `ANALYZE`, 4.7 retries per market buy and 86
    /// buys/s, against 0.45 and 154/s with this setting (BENCHMARKS.md). Off only penalizes
    /// the plan: a query with no usable index still scans, and what reads whole tables (the
    /// ledger's sums, the migrations, `migrate-store`'s copy) switches it back on for itself
    /// (`SQLExecutor.readingWholeTables`).
    ///
    /// The plan cache is left to the server (`plan_cache_mode=auto`): a named statement may be
    /// planned once for any values after five runs. That tripled read/write-dependency aborts
    /// while sequential scans were allowed (a generic plan chosen while a table was small
    /// scanned it); with them off, the keyed statements' generic plans are the index lookups
    /// their custom plans are, and planning every execution was a quarter of the server's CPU
    /// on the order path (BENCHMARKS.md, stop 37). Statements whose best plan does depend on
    /// their values are sent unnamed, so planned for them each time
    /// (`PostgresPreparedStatements.isPreparable`).
    static let sessionSettings: [(String, String)] = [("enable_seqscan", "off")]

    /// `?pool_size=N` on the store URL, 1...256.
    static func poolSize(in components: URLComponents) throws -> Int {
        try wholeNumber("pool_size", in: components, range: poolSizeRange) ?? poolSizeDefault
    }

    /// `?write_concurrency=N` on the store URL, 1...256 (capped at the pool size by the caller).
    static func writeConcurrency(url: String) throws -> Int {
        guard let components = URLComponents(string: url) else { return writeConcurrencyDefault }
        return try wholeNumber("write_concurrency", in: components, range: writeConcurrencyRange) ?? writeConcurrencyDefault
    }

    /// `?prepared_statements=on|off` on the store URL, on when absent. Off sends every
    /// statement unnamed, for a connection pooler that does not keep sessions
    /// (PgBouncer's transaction mode) or to measure what naming them saves.
    static func usesPreparedStatements(url: String) throws -> Bool {
        guard let components = URLComponents(string: url), let text = option("prepared_statements", in: components) else { return true }
        switch text {
        case "on": return true
        case "off": return false
        default: throw StoreError("prepared_statements in the PostgreSQL URL must be on or off, got \(text.prefix(20))")
        }
    }

    private static func option(_ name: String, in components: URLComponents) -> String? {
        components.queryItems?.first(where: { $0.name == name })?.value
    }

    private static func wholeNumber(_ name: String, in components: URLComponents, range: ClosedRange<Int>) throws -> Int? {
        guard let text = option(name, in: components) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw StoreError("\(name) in the PostgreSQL URL must be a whole number in \(range), got \(text.prefix(20))")
        }
        return number
    }
}
