import BrokerGateCore
import Foundation
import Testing

/// The corporate-action calendar through the real HTTP server: operators create, list and
/// cancel; partners are refused; bad input is a 4xx naming the field; market data's
/// dividends and splits show operator actions and drop cancelled ones.
struct CorporateActionsAPITests {
    static let aapl = StockUniverse.standard.stock(symbol: "AAPL")!
    static let path = "/api/v2/operator/corporate_actions"
    static let stock = "/api/v2/market_data/stocks/\(aapl.id.rawValue)"
    static let dividend = #"""
        {"stock_id": "\#(aapl.id)", "type": "CASH_DIVIDEND", "cash_amount": 0.75, "dividend_type": "SC",
         "ex_date": "2026-12-14", "record_date": "2026-12-14", "pay_date": "2026-12-28"}
        """#
    static let split = #"{"stock_id": "\#(aapl.id)", "type": "SPLIT", "split_from": 1, "split_to": 3, "effective_date": "2026-12-16"}"#

    @Test func test_operator_createsListsAndCancels_andMarketDataFollows() async throws {
        try await TestGateway().test { client in
            let created = try await client.call(.post, Self.path, key: .operator, json: Self.dividend)
            #expect(created.status == .created, "\(created.text)")
            let dividend = try created.json()
            #expect(dividend["status"] as? String == "SCHEDULED" && dividend["source"] as? String == "OPERATOR")
            #expect(dividend["declared_date"] as? String == "2026-11-28", "declared defaults to today")
            #expect(created.text.contains(#""cash_amount":0.75"#) && created.text.contains(#""split_from":null"#))
            let dividendID = try #require(dividend["id"] as? String)
            let splitResponse = try await client.call(.post, Self.path, key: .operator, json: Self.split)
            #expect(splitResponse.status == .created, "\(splitResponse.text)")
            let splitID = try #require(try splitResponse.json()["id"] as? String)

            let listed = try await client.call(.get, "\(Self.path)?stock_id=\(Self.aapl.id)&limit=100", key: .operator).json()
            let ids = try #require(listed["data"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids.contains(dividendID) && ids.contains(splitID))

            let dividends = try await client.call(.get, "\(Self.stock)/dividends", key: .none).jsonArray()
            #expect(dividends.contains { $0["ex_dividend_date"] as? String == "2026-12-14" && $0["dividend_type"] as? String == "SC" })
            let splits = try await client.call(.get, "\(Self.stock)/splits?limit=100", key: .none).json()
            let splitRows = try #require(splits["data"] as? [[String: Any]])
            #expect(splitRows.contains { $0["id"] as? String == splitID && $0["status"] as? String == "PENDING" })
            #expect(splitRows.contains { $0["ex_date"] as? String == "2020-08-31" && $0["status"] as? String == "COMPLETE" })

            for id in [dividendID, splitID] {
                let cancelled = try await client.call(.post, "\(Self.path)/\(id)/cancel", key: .operator)
                #expect(cancelled.status == .ok, "\(cancelled.text)")
                #expect(try cancelled.json()["status"] as? String == "CANCELLED")
                let again = try await client.call(.post, "\(Self.path)/\(id)/cancel", key: .operator)
                #expect(again.status == .unprocessableContent)
                #expect(try again.error().code == "corporate_action_cancelled")
            }
            let after = try await client.call(.get, "\(Self.stock)/dividends", key: .none).jsonArray()
            #expect(!after.contains { $0["ex_dividend_date"] as? String == "2026-12-14" })
            let splitsAfter = try await client.call(.get, "/api/v2/market_data/stocks/splits?limit=100", key: .none).text
            #expect(!splitsAfter.contains(splitID) && splitsAfter.contains("2020-08-31"))
        }
    }

    @Test func test_cancel_onOrAfterTheExDate_is422NamingTheRule() async throws {
        let gateway = try await TestGateway()
        // Without the background services: the split service would otherwise apply the split
        // once its effective date comes, and the answer would be "carried out already".
        try await gateway.testWithoutServices { client in
            let created = try await client.call(.post, Self.path, key: .operator, json: Self.split)
            let id = try #require(try created.json()["id"] as? String)
            gateway.clock.set(Date(timeIntervalSince1970: 1_795_878_000 + 18 * 86_400))  // 2026-12-16
            let refused = try await client.call(.post, "\(Self.path)/\(id)/cancel", key: .operator)
            #expect(refused.status == .unprocessableContent)
            let error = try refused.error()
            #expect(error.code == "corporate_action_past_ex_date")
            #expect(error.message.contains("effective date 2026-12-16"))
        }
    }

    @Test func test_partnerKey_isForbidden_andChangesNothing() async throws {
        try await TestGateway().test { client in
            let post = try await client.call(.post, Self.path, json: Self.split)
            #expect(post.status == .forbidden)
            #expect(try post.error().code == "operator_key_required")
            let list = try await client.call(.get, Self.path)
            #expect(list.status == .forbidden)
            let splits = try await client.call(.get, "\(Self.stock)/splits?limit=100", key: .none).text
            #expect(!splits.contains("2026-12-16"))
        }
    }

    @Test(arguments: [
        (#"{"stock_id": "AAPL", "type": "SPLIT", "split_from": 1, "split_to": 2, "effective_date": "2026-12-14"}"#, 400, "stock_id"),
        (#"{"stock_id": "{aapl}", "type": "SPLIT", "split_from": 1, "split_to": 1, "effective_date": "2026-12-14"}"#, 422, "split_from"),
        (
            #"{"stock_id": "{aapl}", "type": "SPLIT", "split_from": 1, "split_to": 2, "effective_date": "2026-11-27"}"#, 422,
            "effective_date"
        ),
        (#"{"stock_id": "{aapl}", "type": "SPLIT", "split_from": 1.5, "split_to": 2, "effective_date": "2026-12-14"}"#, 400, "split_from"),
        (
            #"{"stock_id": "{aapl}", "type": "CASH_DIVIDEND", "cash_amount": 0.1234567, "ex_date": "2026-12-14", "record_date": "2026-12-14", "pay_date": "2026-12-28"}"#,
            422, "cash_amount"
        ),
        (
            #"{"stock_id": "{aapl}", "type": "CASH_DIVIDEND", "cash_amount": 1, "ex_date": "2026-12-14", "record_date": "2026-12-11", "pay_date": "2026-12-28"}"#,
            422, "record_date"
        ),
        (
            #"{"stock_id": "{aapl}", "type": "CASH_DIVIDEND", "cash_amount": 1, "ex_date": "2026-12-25", "record_date": "2026-12-28", "pay_date": "2026-12-29"}"#,
            422, "ex_date"
        ),
        (#"{"stock_id": "{aapl}", "type": "DIVIDEND"}"#, 400, "type"),
    ])
    func test_badInput_is4xxNamingTheField_andChangesNothing(body: String, status: Int, field: String) async throws {
        try await TestGateway().test { client in
            let response = try await client.call(
                .post, Self.path, key: .operator, json: body.replacingOccurrences(of: "{aapl}", with: Self.aapl.id.rawValue))
            #expect(Int(response.status.code) == status, "\(response.text)")
            #expect(response.text.contains(field), "\(response.text) should name \(field)")
            let listed = try await client.call(.get, "\(Self.path)?stock_id=\(Self.aapl.id)&limit=100", key: .operator).json()
            let sources = try #require(listed["data"] as? [[String: Any]]).compactMap { $0["source"] as? String }
            #expect(!sources.contains("OPERATOR"))
        }
    }

    @Test func test_listFilter_withAnUnknownStock_is400() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "\(Self.path)?stock_id=\(UUID().uuidString)", key: .operator)
            #expect(response.status == .badRequest)
            #expect(try response.error().message.hasPrefix("stock_id:"))
            let unfiltered = try await client.call(.get, "\(Self.path)?stock_id=&limit=100", key: .operator).json()
            let symbols = Set(try #require(unfiltered["data"] as? [[String: Any]]).compactMap { $0["symbol"] as? String })
            #expect(symbols.count > 1, "an empty stock_id lists every stock")
        }
    }
}
