import BrokerGateCore
import Foundation
import Testing

@testable import BrokerGateStores

/// Driver errors must say what went wrong (SQLSTATE, the server's message) and nothing a
/// log must not hold (the query's bound values, row contents).
struct PostgresStoreErrorTests {
    @Test func test_description_namesSQLStateMessageDetailAndHint() {
        let error = PostgresStoreError(
            code: "server", sqlState: "40001", message: "could not serialize access due to read/write dependencies among transactions",
            detail: "Reason code: Canceled on identification as a pivot, during commit attempt.",
            hint: "The transaction might succeed if retried.")
        #expect(
            error.description
                == "PostgreSQL error 40001 (server): could not serialize access due to read/write dependencies among transactions; "
                + "detail: Reason code: Canceled on identification as a pivot, during commit attempt.; hint: The transaction might succeed if retried."
        )
        #expect(String(reflecting: error) == error.description)
        #expect(error.isRetryable)
        #expect(error.isDependencyConflict)
    }

    /// A row written since the snapshot, or a deadlock, is a row conflict: the retry waits
    /// its turn on the rows (`PostgresStore.rawTransaction`); a dependency "pivot" is not.
    @Test func test_aConcurrentUpdateOrADeadlock_isNotADependencyConflict() {
        let update = PostgresStoreError(code: "server", sqlState: "40001", message: "could not serialize access due to concurrent update")
        let deadlock = PostgresStoreError(code: "server", sqlState: "40P01", message: "deadlock detected", detail: "Process 1 waits for …")
        let translated = PostgresStoreError(
            code: "server", sqlState: "40001", message: "konnte Zugriff nicht serialisieren",
            detail: "Reason code: Canceled on conflict out to pivot 1234, during read.")
        #expect(update.isRetryable && !update.isDependencyConflict)
        #expect(deadlock.isRetryable && !deadlock.isDependencyConflict)
        #expect(translated.isDependencyConflict, "the reason code is never translated")
    }

    @Test func test_rowValuesTheServerQuotes_areWithheld() {
        #expect(PostgresStoreError.withholdingRowValues("Key (id)=(secret-value) already exists.") == "Key (id)=(…) already exists.")
        #expect(
            PostgresStoreError.withholdingRowValues("Key (a, b)=(x (y), z) is not present in table \"t\".")
                == "Key (a, b)=(…) is not present in table \"t\".")
        #expect(PostgresStoreError.withholdingRowValues("Failing row contains (Anna, 1990-04-17, …).") == "Failing row contains (…).")
        #expect(PostgresStoreError.withholdingRowValues("Reason code: Canceled.") == "Reason code: Canceled.")
        let long = PostgresStoreError(code: "server", message: String(repeating: "m", count: 1_000))
        #expect(long.message?.count == PostgresStoreError.fieldLengthMax + 1)
    }

    @Test func test_aDuplicateKeyOnPostgreSQL_isLoggedWithItsSQLState_andWithoutTheValue() async throws {
        guard StoreKind.allCases.contains(.postgres) else { return }
        let store = try await StoreKind.postgres.make()
        let organization = makeOrganization(name: "Unique Name 7f3a")
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        do {
            try await store.transaction { tx in try await tx.insertOrganization(organization) }
            Issue.record("a duplicate organization id was accepted")
        } catch {
            let logged = "\(error)"
            #expect(error is PostgresStoreError)
            #expect(logged.contains("23505"))
            #expect(logged.contains("duplicate key value violates unique constraint"))
            #expect(!logged.contains(organization.id.rawValue))
            #expect(!logged.contains("Unique Name 7f3a"))
            #expect(!logged.contains("Generic description"))
        }
    }
}
