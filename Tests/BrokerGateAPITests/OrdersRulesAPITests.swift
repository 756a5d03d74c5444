import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// The checks an order request must pass, idempotency, list filters and isolation between
/// organizations, through the live server.
struct OrdersRulesAPITests {
    typealias Support = OrdersTestSupport
    static var aapl: String { Support.aapl.id.rawValue }

    @Test func test_precision_andShape_areCheckedField_byField() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let cases: [(kind: String, body: String, status: HTTPResponse.Status, code: String, field: String)] = [
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 10.001}"#, .unprocessableContent, "amount_too_precise",
                    "payment_amount"
                ),
                (
                    "limit_buy", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1.00001, "limit_price": 10}"#, .unprocessableContent,
                    "amount_too_precise", "asset_quantity"
                ),
                (
                    "limit_sell", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1, "limit_price": "10.005"}"#, .unprocessableContent,
                    "amount_too_precise", "limit_price"
                ),
                (
                    "market_sell", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 0.0000001}"#, .unprocessableContent,
                    "amount_too_precise", "asset_quantity"
                ),
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": -5}"#, .unprocessableContent, "amount_not_positive",
                    "payment_amount"
                ),
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": "ten"}"#, .badRequest, "amount_malformed",
                    "payment_amount"
                ),
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 10, "asset_quantity": 1}"#, .badRequest,
                    "invalid_field", "asset_quantity"
                ),
                ("limit_buy", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1}"#, .badRequest, "invalid_field", "limit_price"),
                (
                    "limit_buy", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1, "limit_price": 10, "order_tif": "WEEK"}"#,
                    .badRequest, "invalid_field", "order_tif"
                ),
                ("market_buy", #"{"payment_amount": 10}"#, .badRequest, "invalid_field", "stock_id"),
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 10, "fee": 1}"#, .unprocessableContent,
                    "fee_not_supported", "fee"
                ),
                (
                    "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 0.5}"#, .unprocessableContent, "below_minimum_notional",
                    "1.00"
                ),
            ]
            for item in cases {
                let response = try await client.placeOrder(accountID, item.kind, item.body)
                #expect(response.status == item.status, "\(item.kind) \(item.body): \(response.text)")
                let error = try response.error()
                #expect(error.code == item.code, "\(item.body): \(error.message)")
                #expect(error.message.contains(item.field), "\(item.body): \(error.message)")
            }
            let orders = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders").decoded(Support.Paged<Support.Order>.self)
            #expect(orders.data.isEmpty)
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
        }
    }

    @Test func test_kycNotPassed_walletRequired_andInsufficientFunds_areNamedRefusals() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let body = #"{"stock_id": "\#(Self.aapl)", "payment_amount": 100}"#
            let (_, noKYC) = try await client.tradingAccount(gateway, kyc: false)
            #expect(try await client.placeOrder(noKYC, "market_buy", body).error().code == "kyc_not_passed")
            let (_, noWallet) = try await client.tradingAccount(gateway, wallet: false)
            #expect(try await client.placeOrder(noWallet, "market_buy", body).error().code == "wallet_required")
            let (_, poor) = try await client.tradingAccount(gateway, dollars: 100)  // $100 does not cover $100 plus the fee
            let refused = try await client.placeOrder(poor, "market_buy", body)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().code == "insufficient_funds")
            let noTokens = try await client.placeOrder(poor, "market_sell", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1}"#)
            #expect(try noTokens.error().code == "insufficient_funds")
        }
    }

    @Test func test_clientOrderID_isUniquePerEntity_andFindsItsOrder() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (entityID, first) = try await client.tradingAccount(gateway)
            let (_, second) = try await client.tradingAccount(gateway, entityID: entityID)
            let (_, otherEntity) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(Self.aapl)", "payment_amount": 20, "client_order_id": "mine-1"}"#
            let (request, order) = try await client.acceptedOrder(first, "market_buy", body)
            #expect(request.client_order_id == "mine-1" && order.client_order_id == "mine-1")
            let duplicate = try await client.placeOrder(second, "market_buy", body)
            #expect(duplicate.status == .unprocessableContent)
            #expect(try duplicate.error().code == "duplicate_client_order_id")
            #expect(try await client.placeOrder(otherEntity, "market_buy", body).status == .created)

            let byClientID = try await client.call(.get, "/api/v2/accounts/\(first)/orders?client_order_id=mine-1")
            #expect(try byClientID.decoded(Support.Paged<Support.Order>.self).data.map(\.id) == [order.id])
            let requests = try await client.call(.get, "/api/v2/accounts/\(first)/order_requests?client_order_id=mine-1")
            #expect(try requests.decoded(Support.Paged<Support.Request>.self).data.map(\.id) == [request.id])
            let elsewhere = try await client.call(.get, "/api/v2/accounts/\(second)/orders?client_order_id=mine-1")
            #expect(try elsewhere.decoded(Support.Paged<Support.Order>.self).data.isEmpty)
        }
    }

    @Test func test_idempotencyKey_replaysTheFirstResponse_andPlacesOneOrder() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(Self.aapl)", "payment_amount": 25}"#
            let first = try await client.placeOrder(accountID, "market_buy", body, headers: ["Idempotency-Key": "order-key-1"])
            let second = try await client.placeOrder(accountID, "market_buy", body, headers: ["Idempotency-Key": "order-key-1"])
            #expect(first.status == .created && second.status == .created)
            #expect(first.text == second.text)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.placeOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 26}"#,
                headers: ["Idempotency-Key": "order-key-1"])
            #expect(try other.error().code == "idempotency_key_reused")
            let orders = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders").decoded(Support.Paged<Support.Order>.self)
            #expect(orders.data.count == 1)
        }
    }

    @Test func test_listFilters_nameOneOrder_andTheOrganizationListSpansAccounts() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (entityID, first) = try await client.tradingAccount(gateway)
            let (_, second) = try await client.tradingAccount(gateway)
            let (request, order) = try await client.acceptedOrder(
                first, "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 30}"#)
            gateway.clock.advance(by: 1)  // pages walk (created_dt, id): a later order comes second
            _ = try await client.acceptedOrder(second, "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 40}"#)
            let fill = try #require(
                try await client.call(.get, "/api/v2/accounts/\(first)/order_fulfillments").decoded(Support.Paged<Support.Fulfillment>.self)
                    .data.first)

            func ids(_ path: String) async throws -> [String] {
                try await client.call(.get, path).decoded(Support.Paged<Support.Order>.self).data.map(\.id)
            }
            #expect(
                try await ids("/api/v2/accounts/\(first)/orders?order_transaction_hash=\(order.order_transaction_hash.uppercased())") == [
                    order.id
                ])
            #expect(try await ids("/api/v2/accounts/\(second)/orders?order_transaction_hash=\(order.order_transaction_hash)") == [])
            #expect(try await ids("/api/v2/accounts/\(first)/orders?chain_id=eip155:8453") == [])
            #expect(try await ids("/api/v2/accounts/\(first)/orders?chain_id=eip155:1") == [order.id])
            let requests = try await client.call(
                .get, "/api/v2/accounts/\(first)/order_requests?order_id=\(order.id)&order_request_id=\(request.id)")
            #expect(try requests.decoded(Support.Paged<Support.Request>.self).data.map(\.id) == [request.id])

            let all = try await client.call(.get, "/api/v2/orders/?limit=1").decoded(Support.Paged<Support.Order>.self)
            #expect(all.data.count == 1 && all.pagination_metadata.next != nil)
            #expect(all.data.first?.account_id == first && all.data.first?.entity_id == entityID)
            #expect(try await ids("/api/v2/orders/?order_fulfillment_transaction_hash=\(fill.transaction_hash)") == [order.id])
            #expect(try await ids("/api/v2/orders/?order_request_id=\(request.id)") == [order.id])
            #expect(try await ids("/api/v2/orders/?order_transaction_hash=0x\(String(repeating: "ab", count: 32))") == [])
            #expect(try await ids("/api/v2/orders/?chain_id=eip155:1").count == 2)
            // 66 bytes but 26 characters: a hash filter reads bytes, never indexes characters.
            let multibyte = "0x" + String(repeating: "%E2%82%AC", count: 20) + "abcd"
            #expect(try await ids("/api/v2/orders/?order_transaction_hash=\(multibyte)") == [])
        }
    }

    @Test func test_everyOrderRoute_is404_toAnotherOrganization() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let (request, order) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Self.aapl)", "payment_amount": 30}"#)
            let fill = try #require(
                try await client.call(.get, "/api/v2/accounts/\(accountID)/order_fulfillments").decoded(
                    Support.Paged<Support.Fulfillment>.self
                ).data.first)
            let other = try await client.createOrganization("Other Partner")

            let base = "/api/v2/accounts/\(accountID)"
            let order100 = #"{"stock_id": "\#(Self.aapl)", "payment_amount": 100}"#
            let calls: [(HTTPRequest.Method, String, String?)] = [
                (.post, "\(base)/order_requests/market_buy", order100),
                (.post, "\(base)/order_requests/market_sell", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 0.01}"#),
                (.post, "\(base)/order_requests/limit_buy", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1, "limit_price": 10}"#),
                (.post, "\(base)/order_requests/limit_sell", #"{"stock_id": "\#(Self.aapl)", "asset_quantity": 1, "limit_price": 10}"#),
                (.get, "\(base)/order_requests", nil), (.get, "\(base)/order_requests/\(request.id)", nil),
                (.get, "\(base)/orders", nil), (.get, "\(base)/orders/\(order.id)", nil),
                (.post, "\(base)/orders/\(order.id)/cancel", nil), (.post, "\(base)/orders/cancel", #"{"order_ids": ["\#(order.id)"]}"#),
                (.get, "\(base)/orders/\(order.id)/fulfillments", nil), (.get, "\(base)/order_fulfillments", nil),
                (.get, "\(base)/order_fulfillments/\(fill.id)", nil), (.get, "\(base)/portfolio", nil),
            ]
            for (method, path, json) in calls {
                let response = try await client.call(method, path, key: other, json: json)
                #expect(response.status == .notFound, "\(method) \(path): \(response.text)")
            }
            let theirs = try await client.call(.get, "/api/v2/orders/?order_request_id=\(request.id)", key: other)
            #expect(try theirs.decoded(Support.Paged<Support.Order>.self).data.isEmpty)
            let everything = try await client.call(.get, "/api/v2/orders/", key: other)
            #expect(try everything.decoded(Support.Paged<Support.Order>.self).data.isEmpty)
        }
    }
}
