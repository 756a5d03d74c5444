import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// The SQLite store's WAL reaches the database file through `WALCheckpointer`: on its own
/// thread while the WAL is small, by the writer only past the bound.
struct WALCheckpointerTests {
    @Test func test_theWAL_isCopiedIntoTheFile_onAThreadOfItsOwn_notByTheWriter() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("background.sqlite").path
        let store = try await SQLiteStore(path: path, checkpointPages: 8, writerCheckpointPages: 1_000_000)
        try await writeUntil(store, "a checkpoint in the background") { $0.background > 0 }
        #expect(store.walCheckpoints.byWriter == 0)
        #expect(try accountsInTheFileAlone(path) > 0, "the database file, without its WAL, holds what was checkpointed")
    }

    @Test func test_pastTheBound_theWriterCheckpointsItself() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("bound.sqlite").path
        let store = try await SQLiteStore(path: path, checkpointPages: 8, writerCheckpointPages: 8)
        try await writeUntil(store, "a checkpoint by the writer") { $0.byWriter > 0 }
        #expect(store.walCheckpoints.background == 0, "past the bound the writer does it, not the thread")
        #expect(try accountsInTheFileAlone(path) > 0)
    }

    /// Makes customers (a few pages of WAL each) until `done`; SQLite's own automatic
    /// checkpoint, at 1,000 pages, would not run within these few.
    private func writeUntil(
        _ store: SQLiteStore, _ what: String, _ done: ((background: Int, byWriter: Int)) -> Bool
    ) async throws {
        let fixture = TradingFixture(store: store)
        for _ in 0..<40 {
            _ = try await fixture.customer(dollars: 10)
            if done(store.walCheckpoints) { break }
        }
        // The background thread runs after the commit that asked for it.
        for _ in 0..<200 where !done(store.walCheckpoints) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(done(store.walCheckpoints), "expected \(what): \(store.walCheckpoints)")
        // Let a checkpoint under way finish before the file is copied.
        var seen = store.walCheckpoints
        repeat {
            seen = store.walCheckpoints
            try await Task.sleep(for: .milliseconds(100))
        } while store.walCheckpoints != seen
    }

    /// Accounts in a copy of the database file made without its WAL: only what a
    /// checkpoint has copied there.
    private func accountsInTheFileAlone(_ path: String) throws -> Int64 {
        let copy = TemporaryFolder.make().appendingPathComponent("file-alone.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let connection = try SQLiteConnection(path: copy)
        return try connection.query("SELECT COUNT(*) AS n FROM documents WHERE kind = 'account'", []).first?.integer("n") ?? 0
    }
}
