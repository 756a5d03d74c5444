import BrokerGateCore
import BrokerGateTesting
import CSQLite
import Foundation
import Testing

@testable import BrokerGateStores

/// SQLite's process-wide settings (`SQLiteConnection.processSettings`) are in force once a
/// store is open.
struct SQLiteProcessSettingsTests {
    @Test func test_sqliteCountsNoMemory_soItsAllocationsTakeNoGlobalMutex() async throws {
        let folder = TemporaryFolder.make()
        let store = try await SQLiteStore(path: folder.appendingPathComponent("settings.sqlite").path)
        let fixture = TradingFixture(store: store)
        _ = try await fixture.customer(dollars: 10)
        #expect(SQLiteConnection.processSettings == SQLITE_OK, "set before SQLite initialized")
        // With statistics on, SQLite counts every byte it holds (a page cache, statements).
        #expect(sqlite3_memory_used() == 0)
    }
}
