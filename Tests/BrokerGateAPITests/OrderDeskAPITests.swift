import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// What operators see of order flow: the outbox in `/ready`, `/metrics` and the order desk,
/// with the broker's own book; and the account's brokerage activity and dividends.
struct OrderDeskAPITests {
    typealias Support = OrdersTestSupport

    /// A broker that cannot be reached: every call fails after the adapter's retries.
    struct DownBroker: BrokerAdapter {
        func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState { throw BrokerUnavailable("HTTP 503 (test)") }
        func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { throw BrokerUnavailable("HTTP 503 (test)") }
        func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { throw BrokerUnavailable("HTTP 503 (test)") }
        func book() async throws -> BrokerBook { throw BrokerUnavailable("HTTP 503 (test)") }
        func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
            throw BrokerUnavailable("HTTP 503 (test)")
        }
    }

    @Test func test_orderDesk_withTheBrokerDown_listsTheOrderInTrouble_andSaysWhyTheBookIsMissing() async throws {
        let gateway = try await TestGateway(broker: DownBroker())
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let (_, order) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 10}"#)
            #expect(order.status == "PENDING_SUBMIT")
            let desk = try await client.call(.get, "/api/v2/operator/order_desk", key: .operator).json()
            #expect(desk["broker_book"] == nil)
            #expect((desk["broker_error"] as? String)?.contains("HTTP 503 (test)") == true)
            let attention = try #require(desk["attention"] as? [[String: Any]])
            #expect(attention.count == 1)
            #expect(attention.first?["status"] as? String == "PENDING_SUBMIT")
            #expect(attention.first?["reason"] as? String == "HTTP 503 (test)")
        }
    }

    /// On the ledger-only chain the chain outbox view says so with every field present
    /// (null), as openapi.yaml's ChainOutbox requires; only operators see it.
    @Test func test_chainOutbox_onTheLedgerOnlyChain_isEmpty_withEveryFieldPresent() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let chain = try await client.call(.get, "/api/v2/operator/chain", key: .operator).json()
            #expect(chain["mode"] as? String == "ledger")
            for field in ["chain_id", "signer", "next_nonce", "allowlist", "confirmations", "finality_depth"] {
                #expect(chain.keys.contains(field) && chain[field] is NSNull, "\(field) must be present and null")
            }
            #expect((chain["by_status"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true)
            #expect((chain["open"] as? [Any])?.isEmpty == true)
            #expect(try await client.call(.get, "/api/v2/operator/chain").status == .forbidden)
        }
    }

    @Test func test_orderDesk_ready_andMetrics_showTheOutbox_andTheBrokersBook() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let resting = #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 2, "limit_price": 1.50, "order_tif": "GTC"}"#
            _ = try await client.acceptedOrder(accountID, "limit_buy", resting)
            let (_, bought) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 10}"#)
            #expect(bought.status == "FILLED")

            let desk = try await client.call(.get, "/api/v2/operator/order_desk", key: .operator).json()
            let outbox = try #require(desk["outbox"] as? [String: Any])
            #expect(outbox["depth"] as? Int == 1)
            #expect((outbox["by_status"] as? [String: Int]) == ["SUBMITTED": 1])
            let book = try #require(desk["broker_book"] as? [String: Any])
            #expect((book["positions"] as? [String: Any])?["AAPL"] != nil)
            #expect(try await client.call(.get, "/api/v2/operator/order_desk").status == .forbidden)

            let ready = try await client.call(.get, "/ready", key: .none).json()
            #expect((ready["outbox"] as? [String: Any])?["depth"] as? Int == 1)
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            #expect(metrics.contains("brokergate_outbox_depth 1"))
            #expect(metrics.contains(#"brokergate_orders_ended{status="FILLED"} 1"#))
        }
    }

    @Test func test_brokerageActivity_pagesNewestFirst_andDividendsAreAnEmptyPage() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let (_, first) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 10}"#)
            gateway.clock.set(Support.mondayMorning.addingTimeInterval(60))
            let (_, second) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 20}"#)
            let path = "/api/v2/accounts/\(accountID)/activities/brokerage"
            let page = try Self.array(try await client.call(.get, "\(path)?page_size=1"))
            #expect(page.compactMap { $0["order_id"] as? String } == [second.id])
            #expect(page.first?["type"] as? String == "FILL")
            let token = try #require(page.first?["id"] as? String)
            let rest = try Self.array(try await client.call(.get, "\(path)?page_token=\(token)"))
            #expect(rest.compactMap { $0["order_id"] as? String } == [first.id])
            #expect(try await client.call(.get, "\(path)?page_size=0").status == .badRequest)
            #expect(try await client.call(.get, "\(path)?page_token=\(UUID().uuidString.lowercased())").status == .notFound)

            let dividends = "/api/v2/accounts/\(accountID)/dividend_payments"
            let empty = try await client.call(.get, "\(dividends)?start_date=2026-01-01&end_date=2026-12-31").json()
            #expect((empty["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.call(.get, "\(dividends)?start_date=2026-12-31&end_date=2026-01-01").status == .badRequest)
            #expect(try await client.call(.get, dividends).status == .badRequest)
            // Another organization's account is as unknown as a missing one.
            let other = try await EntitiesAPITests.secondPartner(client)
            #expect(try await client.call(.get, path, key: other).status == .notFound)
            #expect(try await client.call(.get, "\(dividends)?start_date=2026-01-01&end_date=2026-12-31", key: other).status == .notFound)
        }
    }

    static func array(_ response: TestResponse) throws -> [[String: Any]] {
        #expect(response.status == .ok)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
    }
}
