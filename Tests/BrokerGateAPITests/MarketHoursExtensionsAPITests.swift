import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// BrokerGate's extensions to Dinari's market hours: the business clock's now, the session
/// by the order rules, and the next regular open, so a client (the web app's clock and order
/// ticket) never counts from its own wall clock while the sandbox moved business time.
struct MarketHoursExtensionsAPITests {
    @Test func test_marketHours_onSaturday_namesTheBusinessNow_theClosedSession_andMondaysOpen() async throws {
        let gateway = try await TestGateway()  // Saturday 2026-11-28 10:00 ET
        try await gateway.test { client in
            let body = try await client.call(.get, "/api/v2/market_data/market_hours/", key: .none).json()
            #expect(body["now_dt"] as? String == "2026-11-28T15:00:00Z")
            #expect(body["session"] as? String == "CLOSED")
            #expect(body["next_regular_open_dt"] as? String == "2026-11-30T14:30:00Z")
        }
    }

    /// In pre-market the next regular open is today's, while Dinari's next session is tomorrow.
    @Test func test_marketHours_inPreMarket_nextRegularOpen_isTodays() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(try Date("2026-11-30T12:00:00Z", strategy: .iso8601))  // Monday 07:00 ET
        try await gateway.test { client in
            let body = try await client.call(.get, "/api/v2/market_data/market_hours/", key: .none).json()
            #expect(body["session"] as? String == "PRE_MARKET")
            #expect(body["next_regular_open_dt"] as? String == "2026-11-30T14:30:00Z")
            #expect(body["next_session_open_dt"] as? String == "2026-12-01T14:30:00Z")
            gateway.clock.set(try Date("2026-11-30T15:00:00Z", strategy: .iso8601))
            let regular = try await client.call(.get, "/api/v2/market_data/market_hours/", key: .none).json()
            #expect(regular["session"] as? String == "REGULAR")
            #expect(regular["next_regular_open_dt"] as? String == "2026-12-01T14:30:00Z")
        }
    }
}
