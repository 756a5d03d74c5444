import BrokerGateCore
import CSQLite
import Foundation
import Testing

@testable import BrokerGateStores

/// What `migrate-store` refuses, each time with a message that says what to do and with
/// nothing written to the target: a target with rows or with tables that are not
/// BrokerGate's, a source a gateway still has open, a source at another schema version or
/// whose books do not reconcile.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] != nil, "needs PostgreSQL"))
struct SQLiteToPostgresRefusalTests {
    /// The refusal's message; fails the test when the copy does not refuse.
    func refusal(from source: String, to target: String) async throws -> String {
        do {
            _ = try await SQLiteToPostgres.copy(from: source, to: target)
        } catch let error as StoreToolError {
            return error.message
        }
        Issue.record("migrate-store copied when it should have refused")
        return ""
    }

    /// Runs statements on the target outside of any gateway (as an operator's psql would).
    func onTarget(_ url: String, _ statements: [String]) async throws -> [SQLRow] {
        let store = try await PostgresStore(url: url, poolSize: 1, migrating: false)
        defer { Task { try? await store.close() } }
        return try await store.inOneTransaction { db in
            var rows: [SQLRow] = []
            for statement in statements { rows = try await db.query(statement, []) }
            return rows
        }
    }

    @Test func test_aTargetWithRows_isRefused_andKeepsOnlyItsOwnRows() async throws {
        let target = try await PostgresTestDatabase.create()
        _ = try await SQLiteToPostgres.copy(from: try await SQLiteToPostgresTests.stoppedTradingStore(), to: target)
        let before = try await onTarget(target, ["SELECT COUNT(*) AS n FROM documents"]).first?.integer("n")
        let message = try await refusal(from: try await SQLiteToPostgresTests.stoppedTradingStore(), to: target)
        #expect(message.contains("not empty") && message.contains("documents"), "\(message)")
        #expect(try await onTarget(target, ["SELECT COUNT(*) AS n FROM documents"]).first?.integer("n") == before)
    }

    @Test func test_aTargetWithOtherTables_isRefused_andGetsNoSchema() async throws {
        let target = try await PostgresTestDatabase.create()
        _ = try await onTarget(target, ["CREATE TABLE invoices (id TEXT PRIMARY KEY)"])
        let message = try await refusal(from: try await SQLiteToPostgresTests.stoppedTradingStore(), to: target)
        #expect(message.contains("invoices") && message.contains("new, empty database"), "\(message)")
        let tables = try await onTarget(
            target, ["SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()"])
        #expect(try tables.first?.integer("n") == 1, "nothing was written")
    }

    @Test func test_aSourceAGatewayHasOpen_isRefused() async throws {
        let path = try await SQLiteToPostgresTests.stoppedTradingStore()
        let running = try await SQLiteStore(path: path)
        _ = try await running.read { tx in try await tx.ledgerSequence() }
        let message = try await refusal(from: path, to: try await PostgresTestDatabase.create())
        #expect(message.contains("stop the gateway first"), "\(message)")
        try await running.close()
    }

    /// Hand edits of a stopped source, and what the refusal must name.
    static let brokenSources: [(statement: String, named: String)] = [
        ("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)", "schema version"),
        (
            "UPDATE ledger_balances SET balance_units = balance_units + 1 WHERE account = (SELECT MIN(account) FROM ledger_balances WHERE is_customer = 1)",
            "ledger_balanced"
        ),
    ]

    @Test(arguments: 0..<brokenSources.count)
    func test_aSourceAtAnotherVersionOrOutOfBalance_isRefused(broken index: Int) async throws {
        let path = try await SQLiteToPostgresTests.stoppedTradingStore()
        do {
            let connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE, pragmas: [])
            _ = try connection.query(Self.brokenSources[index].statement, [])
        }
        let message = try await refusal(from: path, to: try await PostgresTestDatabase.create())
        #expect(message.contains(Self.brokenSources[index].named), "\(message)")
    }
}
