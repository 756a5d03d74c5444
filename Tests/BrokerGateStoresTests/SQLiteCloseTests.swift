import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// `SQLiteStore.close()` at shutdown: whatever was acknowledged is in the database file
/// itself, the WAL empty, so a copy of the file alone (a seeded bench store, an operator's
/// `cp`) is whole; and when that cannot be done, close says so.
struct SQLiteCloseTests {
    /// Under background checkpoints on every page (the race that left 19 MB of WAL behind a
    /// seeded bench store, which read as "database disk image is malformed" once copied
    /// without it), the WAL ends empty and the file alone holds every row.
    @Test func test_close_leavesEveryCommitInTheFile_andTheWALEmpty() async throws {
        let folder = TemporaryFolder.make()
        let path = folder.appendingPathComponent("closing.sqlite").path
        let store = try await SQLiteStore(path: path, checkpointPages: 1, writerCheckpointPages: 1)
        let organizations = (0..<200).map { makeOrganization(name: "closing \($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for organization in organizations {
                group.addTask { try await store.transaction { tx in try await tx.insertOrganization(organization) } }
            }
            try await group.waitForAll()
        }
        try await store.close()
        let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
        #expect(walBytes == 0)
        let copy = folder.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let copied = try await SQLiteStore(path: copy)
        #expect(try await copied.read { tx in try await tx.organizations(role: .partner) }.count == organizations.count)
    }

    /// A transaction that finished while close was waiting for the writer handed its turn
    /// on with its batch still open (others were waiting); close commits it, and its caller
    /// hears so, rather than waiting for a commit nobody makes.
    @Test func test_close_commitsTheBatchLeftOpenForIt() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("handed-on.sqlite").path
        let store = try await SQLiteStore(path: path)
        let organization = makeOrganization(name: "last before close")
        let last = await SQLiteGroupCommitTests.holdingTheTurn(store, inserting: organization, untilWaiting: 1)
        try await store.close()
        let outcome = try await Self.within(.seconds(10)) { try await last.value }
        #expect(outcome != nil, "the transaction before close was never told its batch committed")
        let reopened = try await SQLiteStore(path: path)
        #expect(try await reopened.read { tx in try await tx.organization(organization.id) } == organization)
    }

    /// A read still open when close runs keeps the WAL from being emptied: close waits
    /// (busy_timeout), then throws, and nothing is lost, since the WAL keeps what the file lacks.
    @Test func test_close_throwsWhenTheWALCannotBeEmptied_andLosesNothing() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("read-open.sqlite").path
        let store = try await SQLiteStore(path: path)
        let organization = makeOrganization(name: "kept in the WAL")
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        let reading = try SQLiteConnection(path: path, readOnly: true)
        _ = try reading.query("BEGIN", [])
        _ = try reading.query("SELECT count(*) AS n FROM organizations", [])
        let refusal = await #expect(throws: StoreError.self) { try await store.close() }
        #expect(refusal?.message.contains("read-open.sqlite-wal") == true)
        _ = try reading.query("COMMIT", [])
        let reopened = try await SQLiteStore(path: path)
        #expect(try await reopened.read { tx in try await tx.organization(organization.id) } == organization)
    }

    /// `body`'s value, or nil when it has not finished within `limit`.
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
