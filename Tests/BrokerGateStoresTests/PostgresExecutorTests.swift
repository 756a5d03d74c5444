import Testing

@testable import BrokerGateStores

/// The shared statements' `?` placeholders become PostgreSQL's `$n`, in order, and nothing
/// else in the text changes.
struct PostgresExecutorTests {
    @Test func test_placeholders_areNumberedInOrder_andTheRestIsKept() {
        #expect(PostgresExecutor.numbered("SELECT 1") == "SELECT 1")
        #expect(PostgresExecutor.numbered("") == "")
        #expect(
            PostgresExecutor.numbered("UPDATE t SET a = ?, b = CAST(? AS JSONB) WHERE id IN (?, ?)")
                == "UPDATE t SET a = $1, b = CAST($2 AS JSONB) WHERE id IN ($3, $4)")
        let eleven = "VALUES (" + Array(repeating: "?", count: 11).joined(separator: ",") + ")"
        #expect(PostgresExecutor.numbered(eleven) == "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)")
        // Text around the placeholders is copied byte for byte, multi-byte characters included.
        #expect(PostgresExecutor.numbered("SELECT 'é€😀' WHERE x = ?") == "SELECT 'é€😀' WHERE x = $1")
    }
}
