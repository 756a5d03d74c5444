/// A store that copies its write-ahead log into its database file itself (the SQLite
/// store: `WALCheckpointer`). `/metrics` publishes the counts: checkpoints run by the writer
/// mean the background thread fell behind the WAL's bound, which an operator should see.
public protocol StoreCheckpointCounting: Sendable {
    /// Checkpoints since start, on the checkpoint thread and by the writer itself.
    var walCheckpoints: (background: Int, byWriter: Int) { get }
}
