import BrokerGateCore
import Foundation
import Testing

/// A split through the real HTTP server and its background services: a holder of AAPL, an
/// operator's 4:1 split, the sandbox clock moved to the effective date; the split service
/// multiplies the tokens, cancels the resting order naming the split, and reserves and
/// reconciliation (against the simulated broker's own book, which split too) stay clean.
struct SplitsAPITests {
    typealias Support = OrdersTestSupport

    @Test func test_holdAAPLAcrossAFourForOneSplit_tokensTimesFour_reservesBacked_restingOrderCancelledNamingTheSplit() async throws {
        // Its own price model: the split adjusts the model's prices, and `.standard` is shared.
        let gateway = try await TestGateway(prices: PriceModel(universe: .standard))
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            // USDC deposited (not credited straight to the ledger): USD+ backed from the start.
            let (_, accountID) = try await client.tradingAccount(gateway, dollars: 0)
            #expect(try await client.deposit(accountID, amount: "5000").status == .created)
            let (_, bought) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 1000}"#)
            #expect(bought.status == "FILLED")
            let before = try await gateway.balance(accountID, .stock("AAPL")).balanceUnits
            gateway.clock.set(try Self.instant("2026-12-05T15:00:00Z"))  // Saturday: the order rests
            let (request, resting) = try await client.acceptedOrder(
                accountID, "limit_sell", #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 1, "limit_price": 900}"#)
            let split = try await client.call(
                .post, "/api/v2/operator/corporate_actions", key: .operator,
                json:
                    #"{"stock_id": "\#(Support.aapl.id)", "type": "SPLIT", "split_from": 1, "split_to": 4, "effective_date": "2026-12-07"}"#
            )
            #expect(split.status == .created, "\(split.text)")
            let splitID = try #require(try split.json()["id"] as? String)

            let moved = try await client.call(.put, "/api/v2/sandbox/clock", key: .operator, json: #"{"now": "2026-12-07T05:30:00Z"}"#)
            #expect(moved.status == .ok, "\(moved.text)")
            var after = before
            for _ in 0..<100 where after == before {
                try await Task.sleep(for: .milliseconds(100))
                after = try await gateway.balance(accountID, .stock("AAPL")).balanceUnits
            }
            #expect(after == before * 4)
            // Quotes are split-adjusted: the closed market's last ask is a quarter of the raw one.
            let quote = try await client.call(.get, "/api/v2/market_data/stocks/\(Support.aapl.id)/current_quote", key: .none)
            #expect(quote.status == .ok, "\(quote.text)")
            let askCents = try quote.decoded(Ask.self).ask_price.rescaled(to: 2, rounding: .exact).units
            let rawAskCents = try PriceModel.standard.quote(of: Support.aapl, at: gateway.clock.now()).ask.units
            #expect(abs(askCents * 4 - rawAskCents) <= 2, "ask \(askCents) vs raw \(rawAskCents) cents")
            #expect(try await client.order(accountID, resting.id).status == "CANCELLED")
            let closed = try await client.orderRequest(accountID, request.id)
            #expect(
                closed.cancel_message?.contains("AAPL split 1:4 effective 2026-12-07") == true,
                "\(String(describing: closed.cancel_message))")
            #expect(try await gateway.balance(accountID, .stock("AAPL")).heldUnits == 0)
            try await gateway.assertBacked("AAPL")

            let splits = try await client.call(.get, "/api/v2/market_data/stocks/\(Support.aapl.id)/splits?limit=100", key: .none).json()
            let rows = try #require(splits["data"] as? [[String: Any]])
            #expect(rows.contains { $0["id"] as? String == splitID && $0["status"] as? String == "COMPLETE" })
            let reconciliation = try await client.call(.post, "/api/v2/operator/reconciliation", key: .operator).json()
            #expect(reconciliation["status"] as? String == "OK", "\(reconciliation)")
            let report = try ReservesAPITests.verified(
                try await client.call(.get, "/api/v2/reserves", key: .none).decoded(ReservesAPITests.Signed.self))
            #expect(report["fully_backed"] as? Bool == true)
        }
    }

    /// Without background services the split stays due: the wire shows IN_PROGRESS, and an
    /// order of the stock is a 422 `split_in_progress` that takes no hold.
    @Test func test_anOrderWhileASplitIsDue_is422SplitInProgress_andTheSplitReadsInProgress() async throws {
        let gateway = try await TestGateway(prices: PriceModel(universe: .standard))
        gateway.clock.set(try Self.instant("2026-12-05T15:00:00Z"))
        try await gateway.testWithoutServices { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let split = try await client.call(
                .post, "/api/v2/operator/corporate_actions", key: .operator,
                json:
                    #"{"stock_id": "\#(Support.aapl.id)", "type": "SPLIT", "split_from": 1, "split_to": 2, "effective_date": "2026-12-07"}"#
            )
            #expect(split.status == .created, "\(split.text)")
            gateway.clock.set(try Self.instant("2026-12-07T05:30:00Z"))
            let usd = try await gateway.balance(accountID, .usdPlus)
            let refused = try await client.placeOrder(
                accountID, "limit_buy", #"{"stock_id": "\#(Support.aapl.id)", "asset_quantity": 1, "limit_price": 10}"#)
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            let error = try #require(try refused.json()["error"] as? [String: Any])
            #expect(error["code"] as? String == "split_in_progress")
            #expect((error["message"] as? String)?.contains("retry") == true, "\(error)")
            #expect(try await gateway.balance(accountID, .usdPlus) == usd, "nothing held")
            let splits = try await client.call(.get, "/api/v2/market_data/stocks/\(Support.aapl.id)/splits?limit=100", key: .none).json()
            let rows = try #require(splits["data"] as? [[String: Any]])
            #expect(rows.contains { $0["ex_date"] as? String == "2026-12-07" && $0["status"] as? String == "IN_PROGRESS" })
        }
    }

    struct Ask: Decodable {
        let ask_price: Amount
    }

    static func instant(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }
}
