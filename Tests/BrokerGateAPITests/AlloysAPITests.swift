import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

private typealias Support = OrdersTestSupport

/// Alloys through the live server: the list, exact prices, and orders that split into legs.
struct AlloysAPITests {
    static let alloys = "/api/v2/market_data/alloys/"
    static let tech = AlloyCatalog.builtIn.alloys.first { $0.symbol == "ALLOY.TECH" }!

    struct Listed: Decodable {
        let id: String
        let is_tradable: Bool
        let name: String
        let symbol: String
    }

    struct Price: Decodable {
        let id: String
        let price: Amount
        let timestamp: String
    }

    struct Bar: Decodable {
        let open: Amount
        let high: Amount
        let low: Amount
        let close: Amount
        let timestamp: Int64
    }

    /// The create answer: the first leg's request and every leg's.
    struct AlloyRequest: Decodable {
        struct Leg: Decodable {
            let id: String
            let order_id: String
            let alloy_id: String?
            let alloy_basket_id: String?
        }

        let id: String
        let alloy_id: String?
        let alloy_basket_id: String?
        let alloy_legs: [Leg]
    }

    @Test func test_list_pagesInSymbolOrder_andFiltersBySymbols() async throws {
        try await TestGateway().test { client in
            let all = try await client.call(.get, Self.alloys, key: .none).decoded(Support.Paged<Listed>.self)
            #expect(all.data.map(\.symbol) == ["ALLOY.FIN", "ALLOY.SEMI", "ALLOY.TECH"])
            #expect(all.data.allSatisfy { $0.is_tradable })
            let first = try await client.call(.get, "\(Self.alloys)?limit=2", key: .none).decoded(Support.Paged<Listed>.self)
            #expect(first.data.map(\.symbol) == ["ALLOY.FIN", "ALLOY.SEMI"])
            let next = try #require(first.pagination_metadata.next)
            let second = try await client.call(.get, "\(Self.alloys)?limit=2&next=\(next)", key: .none).decoded(Support.Paged<Listed>.self)
            #expect(second.data.map(\.symbol) == ["ALLOY.TECH"])
            #expect(second.pagination_metadata.next == nil)
            let filtered = try await client.call(.get, "\(Self.alloys)?symbols=alloy.semi&symbols=AAPL", key: .none)
                .decoded(Support.Paged<Listed>.self)
            #expect(filtered.data.map(\.id) == [Alloy.alloyID(symbol: "ALLOY.SEMI").rawValue])
            let bad = try await client.call(.get, "\(Self.alloys)?symbols=%24%24", key: .none)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func test_currentPrice_isTheExactBasketValue_andHistoricalPricesCloseAtIt() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let base = "\(Self.alloys)\(Self.tech.id)"
            let price = try await client.call(.get, "\(base)/current_price", key: .none).decoded(Price.self)
            #expect(price.id == Self.tech.id.rawValue)
            var expected = Amount.zero(scale: 6)
            for part in Self.tech.constituents {
                let stock = try await client.call(.get, "/api/v2/market_data/stocks/\(part.stock.id)/current_price", key: .none).json()
                let each = try Amount(parsingAtNaturalScale: "\(try #require(stock["price"] as? NSNumber))")
                expected = try expected.adding(try each.multiplied(by: part.quantity, scale: 6, rounding: .exact))
            }
            #expect(price.price == expected)
            #expect(price.timestamp == "2026-11-30T15:00:00Z")
            let bars = try await client.call(.get, "\(base)/historical_prices/?timespan=DAY", key: .none).decoded([Bar].self)
            #expect(bars.last?.close == price.price)
            let week = try await client.call(.get, "\(base)/historical_prices/?timespan=WEEK", key: .none).decoded([Bar].self)
            #expect(week.last?.close == price.price && week[1].timestamp - week[0].timestamp == 3_600)
            let month = try await client.call(.get, "\(base)/historical_prices/?timespan=MONTH", key: .none)
            #expect(month.status == .badRequest)
            #expect(try month.error().message.contains("DAY or WEEK"))
        }
    }

    @Test func test_unknownOrMalformedAlloy_is404() async throws {
        try await TestGateway().test { client in
            for id in [UUID().uuidString.lowercased(), "not-an-id", Support.aapl.id.rawValue] {
                let response = try await client.call(.get, "\(Self.alloys)\(id)/current_price", key: .none)
                #expect(response.status == .notFound)
                #expect(try response.error().code == "not_found")
            }
        }
    }

    @Test func test_alloyMarketBuy_fillsEveryLeg_atOnce_andReservesStayBacked() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway)
            let body = #"{"alloy_id": "\#(Self.tech.id)", "payment_amount": 600.05, "client_order_id": "basket-1"}"#
            let placed = try await client.placeOrder(accountID, "market_buy", body)
            #expect(placed.status == .created, "\(placed.text)")
            let request = try placed.decoded(AlloyRequest.self)
            #expect(request.alloy_id == Self.tech.id.rawValue && request.alloy_basket_id == request.id)
            #expect(request.alloy_legs.count == Self.tech.constituents.count)
            #expect(request.alloy_legs.allSatisfy { $0.alloy_basket_id == request.id && $0.alloy_id == Self.tech.id.rawValue })
            var paid = Amount.zero(scale: 6)
            var fees = Amount.zero(scale: 6)
            for (leg, part) in zip(request.alloy_legs, Self.tech.constituents) {
                let order = try await client.order(accountID, leg.order_id)
                #expect(order.status == "FILLED")
                #expect(order.stock_id == part.stock.id.rawValue)
                paid = try paid.adding(try #require(order.payment_token_quantity))
                fees = try fees.adding(try #require(order.fee))
                let tokens = try await gateway.balance(accountID, .stock(part.stock.symbol))
                #expect(tokens.balanceUnits > 0 && order.asset_token_quantity == Support.amount(units: tokens.balanceUnits))
                try await gateway.assertBacked(part.stock.symbol)
            }
            #expect(paid == Amount(units: 60_005, scale: 2))  // every cent of the payment, no more
            let cash = try await gateway.balance(accountID, .usdPlus)
            #expect(cash.heldUnits == 0)
            #expect(Support.amount(units: 10_000_000_000 - cash.balanceUnits) == (try paid.adding(fees)))
            let first = try await client.orderRequest(accountID, request.id)
            #expect(first.client_order_id == "basket-1")
            let reserves = try await client.call(.get, "/api/v2/reserves", key: .none)
            #expect(reserves.status == .ok)
        }
    }

    @Test func test_alloyMarketSell_sellsEveryLeg_byUnitsTimesQuantity() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway, dollars: 20_000)
            let buy = try await client.placeOrder(accountID, "market_buy", #"{"alloy_id": "\#(Self.tech.id)", "payment_amount": 5000}"#)
            #expect(buy.status == .created, "\(buy.text)")
            let sold = try await client.placeOrder(accountID, "market_sell", #"{"alloy_id": "\#(Self.tech.id)", "asset_quantity": 1.5}"#)
            #expect(sold.status == .created, "\(sold.text)")
            for (leg, part) in zip(try sold.decoded(AlloyRequest.self).alloy_legs, Self.tech.constituents) {
                let order = try await client.order(accountID, leg.order_id)
                #expect(order.status == "FILLED" && order.order_side == "SELL")
                #expect(
                    order.asset_token_quantity == (try Amount(units: 15, scale: 1).multiplied(by: part.quantity, scale: 6, rounding: .down))
                )
                try await gateway.assertBacked(part.stock.symbol)
            }
        }
    }

    @Test func test_alloyOrders_refuseWhatTheyDoNotTake_changingNothing() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.test { client in
            let (_, accountID) = try await client.tradingAccount(gateway, dollars: 100)
            let cases: [(String, String, String)] = [
                (
                    "limit_buy", #"{"alloy_id": "\#(Self.tech.id)", "asset_quantity": 1, "limit_price": 10}"#,
                    "alloy_order_type_not_supported"
                ),
                ("market_buy", #"{"alloy_id": "\#(UUID().uuidString)", "payment_amount": 50}"#, "unknown_alloy"),
                ("market_buy", #"{"alloy_id": "\#(Self.tech.id)", "payment_amount": 5}"#, "alloy_leg_below_minimum"),
                ("market_buy", #"{"alloy_id": "\#(Self.tech.id)", "payment_amount": 5000}"#, "insufficient_funds"),
                ("market_sell", #"{"alloy_id": "\#(Self.tech.id)", "asset_quantity": 1}"#, "insufficient_funds"),
                (
                    "market_buy", #"{"alloy_id": "\#(Self.tech.id)", "stock_id": "\#(Support.aapl.id)", "payment_amount": 50}"#,
                    "invalid_field"
                ),
            ]
            for (kind, body, code) in cases {
                let refused = try await client.placeOrder(accountID, kind, body)
                #expect(refused.status.code / 100 == 4, "\(kind) \(body): \(refused.text)")
                #expect(try refused.error().code == code, "\(kind) \(body): \(refused.text)")
            }
            #expect(try await gateway.balance(accountID, .usdPlus).heldUnits == 0)
            let orders = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders").decoded(Support.Paged<Support.Order>.self)
            #expect(orders.data.isEmpty)
        }
    }
}
