import BrokerGateCore
import CSQLite
import Foundation
import Logging
import Synchronization

/// Copies the WAL's pages into the database file on a thread and a connection of its own,
/// so the writer's thread does not.
///
/// Why: left to itself, SQLite checkpoints on the connection that commits, inside the
/// COMMIT, whenever the WAL holds more than 1,000 pages. For the SQLite store that is the
/// writer, the one thread every write waits for: 8 % of its time under 64 connections of
/// market buys went to copying pages and fsyncing the database file (perf, DWARF call
/// graphs, stop 42), and each checkpoint held up the batch behind it.
///
/// How: the writer's connection reports the WAL's size after each commit (a WAL hook,
/// which replaces SQLite's automatic checkpoint). Past `pages`, this thread runs a PASSIVE
/// checkpoint: it takes no lock the writer needs, so the writer goes on committing while
/// pages are copied, and it copies only what no open read still needs.
///
/// Durability does not change: a commit is durable once its WAL frames are synced
/// (`synchronous=FULL`); a checkpoint only moves committed pages, and syncs the database
/// file before SQLite may reuse the WAL. A crash mid-checkpoint is recovered from the WAL
/// as before.
///
/// The WAL starts over from its beginning only when a write begins with every frame
/// already copied, which a busy writer rarely finds after a checkpoint on another thread.
/// So past `writerPages` the writer checkpoints itself (what is left is small: this thread
/// has copied the rest) and its next write restarts the WAL. That bounds the WAL's size.
final class WALCheckpointer: Sendable {
    /// The WAL's size (pages) past which this thread checkpoints.
    let pages: Int
    /// The WAL's size past which the writer checkpoints itself, so that the WAL restarts.
    let writerPages: Int
    private let connection: Mutex<SQLiteConnection>
    private let state = Mutex(State())
    /// Within the kernel's 15 bytes, so `top -H` and `perf` show its name whole.
    private let thread = ThreadExecutor(name: "sqlite-wal-ckpt")
    private let logger: Logger
    private let background = Atomic<Int>(0)
    private let byWriter = Atomic<Int>(0)

    private struct State {
        var isRequested = false
        var isStopped = false
        /// The WAL's size when the writer last asked for a checkpoint.
        var requestedAtPages = 0
    }

    /// Opens a connection to the (WAL-mode) database at `path` and starts the thread.
    init(path: String, pages: Int = 1000, writerPages: Int = 8000, logger: Logger) throws {
        precondition(pages > 0 && writerPages >= pages)
        self.pages = pages
        self.writerPages = writerPages
        self.logger = logger
        // A checkpoint writes the database file, so not read-only. Reading the schema version
        // makes the connection read the file's header and find it in WAL mode: until it has,
        // a checkpoint through it is a no-op that reports success.
        connection = Mutex(
            try SQLiteConnection(
                path: path, flags: SQLITE_OPEN_READWRITE, pragmas: ["PRAGMA busy_timeout = 5000", "PRAGMA schema_version"]))
    }

    /// Checkpoints this thread has run, and the writer has run itself (tests).
    var checkpointsInBackground: Int { background.load(ordering: .relaxed) }
    var checkpointsByWriter: Int { byWriter.load(ordering: .relaxed) }

    /// Called on the writer's thread, inside its COMMIT, with the WAL's size in pages
    /// (`SQLiteConnection.reportWALSize(to:)`).
    func walHolds(pages frames: Int, writer database: OpaquePointer?) {
        if frames >= writerPages {
            // Whatever SQLite answers, the commit stands. BUSY means this thread is copying
            // right now: the writer tries again after its next commit.
            if sqlite3_wal_checkpoint_v2(database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
                byWriter.add(1, ordering: .relaxed)
            }
            return
        }
        let isNew = state.withLock { state in
            // The WAL restarted since the last request: count from its start again.
            if frames < state.requestedAtPages { state.requestedAtPages = 0 }
            // Once per `pages` new pages, not after every commit: each checkpoint ends with
            // an fsync of the database file, worth paying for many pages, not for a few.
            guard frames >= state.requestedAtPages + pages else { return false }
            state.requestedAtPages = frames
            defer { state.isRequested = true }
            return !state.isRequested && !state.isStopped
        }
        if isNew { Task(executorPreference: thread) { self.checkpoint() } }
    }

    /// Stops the thread once a checkpoint under way has finished.
    func stop() {
        state.withLock { $0.isStopped = true }
        thread.shutdown()
    }

    /// Stops, and returns once no checkpoint of this thread runs or will: the store's closing
    /// checkpoint needs the WAL's checkpoint lock, which one under way would hold.
    func stopAndWait() {
        stop()
        connection.withLock { _ in }
    }

    /// On the checkpoint thread: one PASSIVE checkpoint for every request made before it starts.
    private func checkpoint() {
        state.withLock { $0.isRequested = false }
        do {
            // Asked under the connection's lock, so that `stopAndWait` holding it once after
            // stopping is enough: nothing starts after.
            let ran = try connection.withLock { connection in
                guard !state.withLock({ $0.isStopped }) else { return false }
                try connection.checkpointPassive()
                return true
            }
            if ran { background.add(1, ordering: .relaxed) }
        } catch let error as SQLiteError where error.primaryCode == SQLITE_BUSY {
            // Another checkpoint is running (the writer's, a backup's): it does the work.
        } catch {
            // The WAL keeps the pages and the writer's bound still holds; an operator
            // should see a database file that cannot be written.
            logger.warning("background WAL checkpoint failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
