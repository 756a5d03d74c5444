import BrokerGateCore
import BrokerGateStores
import BrokerGateTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// What one market buy costs the store, through the live server (issue 16: one
/// transaction to place, one per fill to settle; the simulated broker's book writes count
/// apart, as an external broker's would; the audit record rides in the placement).
struct OrderPathCostTests {
    typealias Support = OrdersTestSupport

    /// Placement (order, hold, idempotency record, audit record), the broker's book, and
    /// the settlement of its one fill: three write transactions, no more; the key check
    /// and the reply cost no store read once the key is cached.
    @Test func test_marketBuy_thatFillsAtOnce_costsTwoGatewayWrites_andOneBrokerWrite() async throws {
        let store = try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("cost.sqlite").path)
        // A key cache that outlives a slow test machine's pause between the two requests.
        let gateway = try await TestGateway(store: store, apiKeyCacheTimeToLive: .seconds(600))
        gateway.clock.set(Support.mondayMorning)
        try await gateway.testWithoutServices { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 10}"#
            // Warm the key cache with the same route, as a busy partner's requests find it.
            #expect(try await client.placeOrder(accountID, "market_buy", body).status == .created)
            let before = (store.counters.writeTransactions, store.counters.commits, store.counters.readTransactions)
            let placed = try await client.placeOrder(accountID, "market_buy", body, headers: ["Idempotency-Key": UUID().uuidString])
            #expect(placed.status == .created, "\(placed.text)")
            let request = try placed.decoded(Support.Request.self)
            let writes = store.counters.writeTransactions - before.0
            let commits = store.counters.commits - before.1
            let reads = store.counters.readTransactions - before.2
            #expect(writes == 3, "a market buy ran \(writes) write transactions")
            #expect(commits <= writes)
            #expect(reads == 0, "a market buy ran \(reads) read transactions")
            // The response is the order as settled, and its audit record was stored with it.
            let order = try await client.order(accountID, try #require(request.order_id))
            #expect(order.status == "FILLED")
            let trail = try await client.call(.get, "/api/v2/operator/audit_log?object_id=\(request.id)", key: .operator)
            #expect(trail.status == .ok)
            #expect((try trail.json()["data"] as? [Any])?.count == 1, "\(trail.text)")
        }
    }
}
