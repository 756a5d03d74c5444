import BrokerGateCore
import Foundation
import PostgresNIO
import Testing

@testable import BrokerGateStores

/// Which statements get a name, and when a name stops being used on a connection.
struct PostgresPreparedStatementNamesTests {
    let connection = 7

    @Test func test_dataStatements_areNamed_transactionControlIsNot() {
        let prepared = PostgresPreparedStatements()
        for sql in ["SELECT 1", "INSERT INTO t VALUES ($1)", "UPDATE t SET a = 1", "DELETE FROM t", "WITH a AS (SELECT 1) SELECT 1"] {
            #expect(prepared.name(for: sql, types: [], on: connection) != nil, "\(sql)")
        }
        for sql in ["BEGIN ISOLATION LEVEL SERIALIZABLE", "COMMIT", "ROLLBACK", "SET lock_timeout = 1", "select 1"] {
            #expect(prepared.name(for: sql, types: [], on: connection) == nil, "\(sql)")
        }
    }

    @Test func test_oneNamePerTextAndBindTypes_sameOnEveryConnection_atMostNamesMaxRemembered() {
        let prepared = PostgresPreparedStatements()
        let text = prepared.name(for: "SELECT $1", types: [.text], on: 1)
        #expect(text != nil)
        #expect(prepared.name(for: "SELECT $1", types: [.text], on: 2) == text)
        #expect(prepared.name(for: "SELECT $1", types: [.int8], on: 1) != text)
        #expect(prepared.name(for: "SELECT $1", types: [.null], on: 1) != text)
        // Judged once, remembered unnamed, and counted among what is remembered.
        #expect(prepared.name(for: "SELECT $1 ORDER BY 1", types: [.text], on: 1) == nil)
        #expect(prepared.name(for: "SELECT $1 ORDER BY 1", types: [.text], on: 1) == nil)
        for index in 4..<PostgresPreparedStatements.namesMax { #expect(prepared.name(for: "SELECT \(index)", types: [], on: 1) != nil) }
        #expect(prepared.name(for: "SELECT 'one too many'", types: [], on: 1) == nil)
        #expect(prepared.name(for: "SELECT $1", types: [.text], on: 1) == text)
    }

    @Test func test_aFailureBeforeAnySuccess_retiresTheNameOnThatConnectionOnly() throws {
        let prepared = PostgresPreparedStatements()
        let name = try #require(prepared.name(for: "SELECT 1", types: [], on: connection))
        prepared.failed(name, on: connection, sqlState: "25P02")
        #expect(prepared.name(for: "SELECT 1", types: [], on: connection) == nil)
        #expect(prepared.name(for: "SELECT 1", types: [], on: connection + 1) == name)
    }

    @Test(arguments: ["40001", "23505", "23514"])
    func test_failuresAPreparationNeverRaises_retireNothing(sqlState: String) throws {
        let prepared = PostgresPreparedStatements()
        let name = try #require(prepared.name(for: "SELECT 1", types: [], on: connection))
        prepared.failed(name, on: connection, sqlState: sqlState)
        #expect(prepared.name(for: "SELECT 1", types: [], on: connection) == name)
    }

    @Test func test_aFailureAfterASuccess_isTheStatementsOwn() throws {
        let prepared = PostgresPreparedStatements()
        let name = try #require(prepared.name(for: "SELECT 1", types: [], on: connection))
        prepared.succeeded(name, on: connection)
        prepared.failed(name, on: connection, sqlState: "57014")
        #expect(prepared.name(for: "SELECT 1", types: [], on: connection) == name)
    }

    @Test func test_forgettingConnections_keepsWhatWasRetired() throws {
        let prepared = PostgresPreparedStatements()
        let name = try #require(prepared.name(for: "SELECT 1", types: [], on: 0))
        prepared.failed(name, on: 0, sqlState: nil)
        for other in 1...PostgresPreparedStatements.connectionsRemembered { prepared.succeeded(name, on: other) }
        #expect(prepared.name(for: "SELECT 1", types: [], on: 0) == nil)
    }

    @Test func test_urlOption_onByDefault_offOnRequest_elseRefused() throws {
        #expect(try PostgresStore.usesPreparedStatements(url: "postgres://u@h:5432/db"))
        #expect(try PostgresStore.usesPreparedStatements(url: "postgres://u@h:5432/db?prepared_statements=on"))
        #expect(try !PostgresStore.usesPreparedStatements(url: "postgres://u@h:5432/db?pool_size=2&prepared_statements=off"))
        #expect {
            try PostgresStore.usesPreparedStatements(url: "postgres://u@h:5432/db?prepared_statements=yes")
        } throws: { error in
            "\(error)".contains("prepared_statements in the PostgreSQL URL must be on or off, got yes")
        }
    }
}

/// On a real server: the store's statements are prepared once per connection, survive a
/// migration that adds a column, and a preparation that failed does not break its statement.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] != nil, "needs PostgreSQL"))
struct PostgresPreparedStatementsTests {
    func store(_ options: String = "") async throws -> PostgresStore {
        try await PostgresStore(url: try await PostgresTestDatabase.create() + options, poolSize: 1)
    }

    func preparedNames(_ store: PostgresStore) async throws -> [String] {
        try await store.withLeasedConnection { connection in
            try await PostgresExecutor(connection: connection, logger: store.logger)
                .query("SELECT name FROM pg_prepared_statements ORDER BY name", []).map { try $0.text("name") }
        }
    }

    func organizationRoundTrip(_ store: PostgresStore) async throws -> Organization? {
        let organization = makeOrganization()
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        return try await store.read { tx in try await tx.organization(organization.id) }
    }

    @Test func test_theStoresStatements_arePreparedOncePerConnection() async throws {
        let store = try await store()
        #expect(try await organizationRoundTrip(store) != nil)
        let once = try await preparedNames(store)
        #expect(once.count >= 2)
        #expect(once.allSatisfy { $0.hasPrefix("bg") })
        #expect(try await organizationRoundTrip(store) != nil)
        #expect(try await preparedNames(store) == once)
    }

    @Test func test_off_preparesNothing() async throws {
        let store = try await store("?prepared_statements=off")
        #expect(try await organizationRoundTrip(store) != nil)
        #expect(try await preparedNames(store).isEmpty)
        #expect(try await planCacheMode(store) == "auto")
    }

    /// Statements by key are named, and PostgreSQL may plan them once for any key; those
    /// whose plan depends on their values (walks in order, counts) go unnamed, so planned for
    /// their values every time: a generic plan could walk (and SERIALIZABLE lock) far more of
    /// an index than the values need.
    @Test func test_onlyStatementsByKey_areNamed() async throws {
        #expect(try await planCacheMode(try await store()) == "auto")
        for keyed in [
            "SELECT body FROM documents WHERE kind = $1 AND id = $2", "INSERT INTO t (k) VALUES ($1)",
            "WITH w0 AS (UPDATE t SET v = $1 WHERE k = $2) SELECT 1", "DELETE FROM t WHERE k = $1",
        ] {
            #expect(PostgresPreparedStatements.isPreparable(keyed), "\(keyed)")
        }
        for valueDependent in [
            "SELECT body FROM documents WHERE kind = $1 AND status_key = $2 ORDER BY created_at ASC, id ASC LIMIT $3",
            "SELECT COUNT(*) AS n FROM documents WHERE kind = $1 AND parent_id = $2", "BEGIN ISOLATION LEVEL SERIALIZABLE", "COMMIT",
        ] {
            #expect(!PostgresPreparedStatements.isPreparable(valueDependent), "\(valueDependent)")
        }
    }

    func planCacheMode(_ store: PostgresStore) async throws -> String? {
        try await store.withLeasedConnection { connection in
            try await PostgresExecutor(connection: connection, logger: store.logger)
                .query("SELECT current_setting('plan_cache_mode') AS mode", []).first?.text("mode")
        }
    }

    /// Why reads name their columns: PostgreSQL refuses to run a prepared `SELECT *` once a
    /// column was added (0A000, "cached plan must not change result type").
    @Test func test_aColumnAddedByAMigration_leavesPreparedReadsWorking() async throws {
        let store = try await store()
        let organization = try #require(try await organizationRoundTrip(store))
        let star = try await store.withLeasedConnection { connection in
            let db = PostgresExecutor(connection: connection, logger: store.logger, prepared: store.prepared)
            _ = try await db.query("SELECT * FROM organizations WHERE id = ?", [.text(organization.id.rawValue)])
            try await db.execute("ALTER TABLE organizations ADD COLUMN added_later TEXT", [])
            return await #expect(throws: PostgresStoreError.self) {
                try await db.query("SELECT * FROM organizations WHERE id = ?", [.text(organization.id.rawValue)])
            }
        }
        #expect(star?.sqlState == "0A000")
        #expect(try await store.read { tx in try await tx.organization(organization.id) } == organization)
    }

    /// A statement first sent inside a failed transaction fails its preparation, which the
    /// driver remembers for the connection's life; the store sends it unnamed from then on.
    @Test func test_aFailedPreparation_doesNotBreakItsStatementOnThatConnection() async throws {
        let store = try await store()
        let seen = try await store.withLeasedConnection { connection in
            let db = PostgresExecutor(connection: connection, logger: store.logger, prepared: store.prepared)
            try await db.execute("BEGIN", [])
            await #expect(throws: PostgresStoreError.self) { try await db.query("SELECT 1 / ? AS x", [.integer(0)]) }
            let aborted = await #expect(throws: PostgresStoreError.self) { try await db.query("SELECT ? + 1 AS x", [.integer(41)]) }
            #expect(aborted?.sqlState == "25P02")
            try await db.execute("ROLLBACK", [])
            return try await db.query("SELECT ? + 1 AS x", [.integer(41)]).first?.integer("x")
        }
        #expect(seen == 42)
    }
}
