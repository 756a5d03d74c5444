import BrokerGateCore
import BrokerGateStores
import Testing

/// Which id order each store gets (`IdentifierOrder` says why they differ).
struct StoreSpecTests {
    @Test func test_identifierOrder_isTimeOrderedForSQLiteAndMemory_randomForPostgreSQL() throws {
        #expect(StoreSpec.memory.identifierOrder == .timeOrdered)
        #expect(try StoreSpec(parsing: "sqlite:/tmp/x.sqlite").identifierOrder == .timeOrdered)
        #expect(try StoreSpec(parsing: "postgres://u@localhost:5432/db").identifierOrder == .random)
    }
}
