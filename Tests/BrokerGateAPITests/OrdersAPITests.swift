import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Orders through the live server: the life of market and limit orders across sessions,
/// their fills, cancels and the portfolio they leave behind.
struct OrdersAPITests {
    typealias Support = OrdersTestSupport

    @Test func test_marketBuy_inRegularSession_fillsAtOnce_withOneFulfillment_andShowsInPortfolio() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 1000}"#
            let (request, order) = try await client.acceptedOrder(accountID, "market_buy", body)
            #expect(request.status == "SUBMITTED")
            #expect([request.order_side, request.order_type, request.order_tif] == ["BUY", "MARKET", "DAY"])
            #expect(order.status == "FILLED")
            #expect(order.order_request_id == request.id)
            #expect(order.payment_token_quantity == Amount(units: 1000, scale: 0))
            #expect(order.fee == Amount(units: 25, scale: 1))  // 25 bps of $1,000
            // The synthesized on-chain fields: the wallet's chain, derived addresses, a hash that names the order.
            #expect(order.chain_id == Support.chain)
            #expect(order.payment_token == OrderOnChain.paymentToken(chain: Support.chain))
            #expect(order.asset_token == OrderOnChain.assetToken(symbol: "AAPL", chain: Support.chain))
            #expect(order.order_contract_address == OrderOnChain.orderContractAddress(chain: Support.chain))
            #expect(OrderOnChain.orderID(fromTransactionHash: order.order_transaction_hash, .create)?.rawValue == order.id)
            #expect(order.cancel_transaction_hash == nil)

            let tokens = try await gateway.balance(accountID, .stock("AAPL"))
            #expect(order.asset_token_quantity == Support.amount(units: tokens.balanceUnits))
            let cash = try await gateway.balance(accountID, .usdPlus)
            #expect(cash.balanceUnits == 10_000_000_000 - 1_002_500_000)
            #expect(cash.heldUnits == 0)

            let fills = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders/\(order.id)/fulfillments")
                .decoded(Support.Paged<Support.Fulfillment>.self).data
            #expect(fills.count == 1)
            let fill = try #require(fills.first)
            #expect(fill.asset_token_filled == order.asset_token_quantity)
            #expect(fill.asset_token_spent.isZero && fill.payment_token_filled.isZero)
            #expect(fill.payment_token_spent == Amount(units: 1000, scale: 0))
            #expect(fill.payment_token_fee == Amount(units: 25, scale: 1))
            #expect(fill.chain_id == Support.chain && fill.stock_id == Support.aapl.id.rawValue)
            let one = try await client.call(.get, "/api/v2/accounts/\(accountID)/order_fulfillments/\(fill.id)")
            #expect(try one.decoded(Support.Fulfillment.self).transaction_hash == fill.transaction_hash)

            let portfolio = try await client.call(.get, "/api/v2/accounts/\(accountID)/portfolio").decoded(Support.Portfolio.self)
            #expect(portfolio.assets.count == 1)
            let position = try #require(portfolio.assets.first)
            #expect(position.symbol == "AAPL" && position.stock_id == Support.aapl.id.rawValue && position.chain_id == Support.chain)
            #expect(position.amount == order.asset_token_quantity)
            #expect(position.token_address == order.asset_token)
            #expect(position.price == (try PriceModel.standard.price(symbol: "AAPL", at: Support.mondayMorning)))
            // Bought at the ask, valued at the mid: half the (1 bp) spread is all the customer gave up.
            #expect(position.market_value >= Amount(units: 99_900, scale: 2) && position.market_value <= Amount(units: 100_000, scale: 2))
        }
        try await gateway.assertBacked("AAPL")
    }

    @Test func test_marketSell_afterABuy_burnsTokens_andCreditsProceedsLessFee() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            _ = try await client.acceptedOrder(accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": "500.00"}"#)
            let (_, sold) = try await client.acceptedOrder(
                accountID, "market_sell", #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 1.123456}"#)
            #expect(sold.status == "FILLED")
            #expect(sold.asset_token_quantity == Amount(units: 1_123_456, scale: 6))
            let fill = try #require(
                try await client.call(.get, "/api/v2/accounts/\(accountID)/order_fulfillments?order_ids=\(sold.id)")
                    .decoded(Support.Paged<Support.Fulfillment>.self).data.first)
            #expect(fill.asset_token_spent == Amount(units: 1_123_456, scale: 6) && fill.asset_token_filled.isZero)
            #expect(fill.payment_token_filled == sold.payment_token_quantity)
            #expect(fill.payment_token_fee == sold.fee)
            let portfolio = try await client.call(.get, "/api/v2/accounts/\(accountID)/portfolio").decoded(Support.Portfolio.self)
            let tokens = try await gateway.balance(accountID, .stock("AAPL"))
            #expect(portfolio.assets.first?.amount == Support.amount(units: tokens.balanceUnits))
        }
        try await gateway.assertBacked("AAPL")
    }

    @Test func test_marketBuy_onSaturday_is422MarketClosed_namingTheNextOpen() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let refused = try await client.placeOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 50}"#)
            #expect(refused.status == .unprocessableContent)
            let error = try refused.error()
            #expect(error.code == "market_closed")
            #expect(error.message.contains("2026-11-30T14:30:00Z"))
            #expect(
                try await client.call(.get, "/api/v2/accounts/\(accountID)/orders").decoded(Support.Paged<Support.Order>.self).data.isEmpty)
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
        }
    }

    @Test func test_limitBuy_onSaturday_waitsPendingSubmit_untilMonday_thenFillsBelowItsLimit() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 1.5, "limit_price": 1000}"#
            let (request, order) = try await client.acceptedOrder(accountID, "limit_buy", body)
            #expect(request.status == "SUBMITTED" && order.status == "PENDING_SUBMIT")
            #expect(order.asset_token_quantity == Amount(units: 15, scale: 1) && order.limit_price == Amount(units: 1000, scale: 0))
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 1_503_750_000)  // 1.5 × $1,000 + 25 bps
            try await gateway.runEngine()
            #expect(try await client.order(accountID, order.id).status == "PENDING_SUBMIT")

            gateway.clock.set(Support.mondayMorning)
            try await gateway.runEngine()
            let filled = try await client.order(accountID, order.id)
            #expect(filled.status == "FILLED")
            #expect(filled.asset_token_quantity == Amount(units: 15, scale: 1))
            #expect(try #require(filled.payment_token_quantity) < Amount(units: 1500, scale: 0))  // the improvement is the customer's
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
        }
        try await gateway.assertBacked("AAPL")
    }

    @Test func test_dayLimitOrder_expiresAfterTheAfterHoursClose_andReleasesItsHold() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let (request, order) = try await client.acceptedOrder(
                accountID, "limit_buy", #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 5, "limit_price": 1.00}"#)
            #expect(order.status == "SUBMITTED")  // working at the broker, far below the market
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits > 0)
            gateway.clock.set(Support.mondayAfterHoursClosed.addingTimeInterval(-2))
            try await gateway.runEngine()
            #expect(try await client.order(accountID, order.id).status == "SUBMITTED")

            gateway.clock.set(Support.mondayAfterHoursClosed)
            try await gateway.runEngine()
            let expired = try await client.order(accountID, order.id)
            #expect(expired.status == "CANCELLED")
            #expect(expired.fee?.isZero == true)
            let closedRequest = try await client.orderRequest(accountID, request.id)
            #expect(closedRequest.status == "EXPIRED")
            #expect(closedRequest.cancel_message?.contains("DAY") == true)
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
        }
    }

    @Test func test_cancel_releasesTheHold_andACancelOfAClosedOrderIs422() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let low = #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 2, "limit_price": 1.50, "order_tif": "GTC"}"#
            let (request, order) = try await client.acceptedOrder(accountID, "limit_buy", low)
            #expect(order.order_tif == "GTC")
            let cancelled = try await client.call(.post, "/api/v2/accounts/\(accountID)/orders/\(order.id)/cancel")
            #expect(cancelled.status == .ok)
            // Cancel is asked of the broker; the engine's next pass ends the order with its answer.
            #expect(try cancelled.decoded(Support.Order.self).status == "PENDING_CANCEL")
            try await gateway.runEngine()
            let body = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders/\(order.id)").decoded(Support.Order.self)
            #expect(body.status == "CANCELLED")
            #expect(body.cancel_transaction_hash.flatMap { OrderOnChain.orderID(fromTransactionHash: $0, .cancel) }?.rawValue == order.id)
            #expect(try await client.orderRequest(accountID, request.id).status == "CANCELLED")
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
            let again = try await client.call(.post, "/api/v2/accounts/\(accountID)/orders/\(order.id)/cancel")
            #expect(again.status == .unprocessableContent)
            #expect(try again.error().code == "order_not_open")
        }
    }

    @Test func test_batchCancel_cancelsTheOpen_listsTheClosed_andAnUnknownIdCancelsNothing() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let low = #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 2, "limit_price": 1.50}"#
            let (_, open) = try await client.acceptedOrder(accountID, "limit_buy", low)
            let (_, filled) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 10}"#)
            let path = "/api/v2/accounts/\(accountID)/orders/cancel"
            let unknown = try await client.call(.post, path, json: #"{"order_ids": ["\#(open.id)", "\#(UUID().uuidString.lowercased())"]}"#)
            #expect(unknown.status == .notFound)
            #expect(try await client.order(accountID, open.id).status == "SUBMITTED")

            let batch = try await client.call(.post, path, json: #"{"order_ids": ["\#(open.id)", "\#(filled.id)", "\#(open.id)"]}"#)
            #expect(batch.status == .ok)
            struct Batch: Decodable {
                let cancel_queued_orders: [Support.Order]
                let failed_to_cancel_orders: [Support.Order]
            }
            let result = try batch.decoded(Batch.self)
            #expect(result.cancel_queued_orders.map(\.id) == [open.id] && result.cancel_queued_orders.first?.status == "PENDING_CANCEL")
            #expect(result.failed_to_cancel_orders.map(\.id) == [filled.id] && result.failed_to_cancel_orders.first?.status == "FILLED")
            try await gateway.runEngine()
            #expect(try await client.order(accountID, open.id).status == "CANCELLED")
            let empty = try await client.call(.post, path, json: #"{"order_ids": []}"#)
            #expect(empty.status == .badRequest)
            #expect(try empty.error().message.contains("order_ids"))
        }
    }

    @Test func test_ioc_cancelsWhatIsNotMarketableAtOnce_andFillsWhatIs() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let (request, missed) = try await client.acceptedOrder(
                accountID, "limit_buy",
                #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 2, "limit_price": 1.50, "order_tif": "IOC"}"#)
            #expect(missed.status == "CANCELLED")
            #expect(request.status == "CANCELLED")  // the create response already shows the outcome
            #expect(request.cancel_message?.contains("IOC") == true)
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
            let (_, hit) = try await client.acceptedOrder(
                accountID, "limit_buy",
                #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 1, "limit_price": 5000, "order_tif": "IOC"}"#)
            #expect(hit.status == "FILLED")
        }
        try await gateway.assertBacked("AAPL")
    }
}
