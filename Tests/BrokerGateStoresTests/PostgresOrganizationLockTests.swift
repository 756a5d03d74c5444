import BrokerGateCore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

@testable import BrokerGateStores

/// On PostgreSQL an idempotency record takes no lock on its organization's row (migration 10
/// dropped the foreign key, whose check was `SELECT … FOR KEY SHARE` on that row): every
/// idempotent write of one organization locked the same row, a MultiXact rewritten by each new
/// holder under load.
struct PostgresOrganizationLockTests {
    static let hasServer = ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] != nil

    @Test(.enabled(if: hasServer))
    func test_anIdempotencyRecord_isWritten_whileAnotherSessionHoldsItsOrganizationsRow() async throws {
        let url = try await PostgresTestDatabase.create()
        let store = try await PostgresStore(url: url, poolSize: 2)
        let organization = makeOrganization()
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        let written = Flag()
        let (held, heldSignal) = AsyncStream.makeStream(of: Void.self)
        let writtenWhileHeld = try await withThrowingTaskGroup(of: Bool.self) { group in
            // Another session locks the organization's row FOR UPDATE, which conflicts with
            // FOR KEY SHARE, and holds it until the record is written or 5 s have passed.
            group.addTask {
                try await Self.withConnection(to: url) { connection in
                    try await connection.query("BEGIN", logger: Self.logger)
                    try await connection.query(
                        "SELECT id FROM organizations WHERE id = \(organization.id.rawValue) FOR UPDATE", logger: Self.logger)
                    heldSignal.yield()
                    let deadline = ContinuousClock.now + .seconds(5)
                    while !written.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                    let sawIt = written.isSet
                    try await connection.query("ROLLBACK", logger: Self.logger)
                    return sawIt
                }
            }
            for await _ in held { break }
            try await store.transaction { tx in
                try await tx.insertIdempotencyRecord(
                    IdempotencyRecord(
                        organizationID: organization.id, keyHashHex: "k", requestHashHex: "r", status: 201, sealedBody: [1],
                        createdAt: contractInstant))
            }
            // Set only if the write did not wait for the row: with the foreign key it commits
            // after the holder gives up, and the holder has already looked.
            written.set()
            return try await group.next() ?? false
        }
        #expect(writtenWhileHeld, "the record waited for the lock on its organization's row")
        let constraints = try await Self.withConnection(to: url) { connection in
            try await connection.query(
                "SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'idempotency_records'::regclass AND contype = 'f'",
                logger: Self.logger
            ).collect().first?.decode(Int.self)
        }
        #expect(constraints == 0)
        try await store.close()
    }

    static let logger = Logger(label: "test.postgres-organization-lock")

    final class Flag: Sendable {
        private let state = Atomic<Bool>(false)
        var isSet: Bool { state.load(ordering: .acquiring) }
        func set() { state.store(true, ordering: .releasing) }
    }

    static func withConnection<T: Sendable>(to url: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let components = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(
            host: try #require(components.host), port: components.port ?? 5432, username: try #require(components.user),
            password: components.password, database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
