import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// `GET /api/v2/operator/outbox`: the order outbox's depth, for operators only.
struct OperatorOutboxAPITests {
    @Test func test_outbox_countsOpenOrders_byStatus_withTheOldestNotYetRouted() async throws {
        let gateway = try await TestGateway()  // Saturday: limit orders wait as PENDING_SUBMIT
        try await gateway.test { client in
            let empty = try await client.call(.get, "/api/v2/operator/outbox", key: .operator)
            #expect(empty.status == .ok)
            #expect(try empty.json()["open_orders"] as? Int == 0)
            #expect(try empty.json()["oldest_pending_submit_dt"] is NSNull)

            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(OrdersTestSupport.aapl.id)", "asset_quantity": 1, "limit_price": 1.00}"#
            _ = try await client.acceptedOrder(accountID, "limit_buy", body)
            gateway.clock.advance(by: 60)
            _ = try await client.acceptedOrder(accountID, "limit_buy", body)

            let outbox = try await client.call(.get, "/api/v2/operator/outbox", key: .operator).json()
            #expect(outbox["open_orders"] as? Int == 2)
            #expect(outbox["by_status"] as? [String: Int] == ["PENDING_SUBMIT": 2])
            #expect(outbox["oldest_pending_submit_dt"] as? String == "2026-11-28T15:00:00Z")
            #expect(outbox["truncated"] as? Bool == false)
            #expect(outbox["count_max"] as? Int == OrderOutbox.countMax)
        }
    }

    @Test func test_outbox_isForOperatorsOnly() async throws {
        try await TestGateway().test { client in
            let partner = try await client.call(.get, "/api/v2/operator/outbox", key: .partner)
            #expect(partner.status == .forbidden)
            #expect(try partner.error().code == "operator_key_required")
            #expect(try await client.call(.get, "/api/v2/operator/outbox", key: .none).status == .unauthorized)
        }
    }
}
