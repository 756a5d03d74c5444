/// A store whose transactions can fail for concurrency alone and are run again (the
/// PostgreSQL store: serialization failures, deadlocks). `/metrics` publishes the counts,
/// so an operator sees contention before it shows as latency.
public protocol StoreRetryCounting: Sendable {
    /// Retries since start, by SQLSTATE.
    var transactionRetries: [String: Int] { get }
}
