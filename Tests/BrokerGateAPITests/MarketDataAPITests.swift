import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

// The market-data routes through the live server. The gateway's clock starts on Saturday
// 2026-11-28 10:00 ET; tests move it with `gateway.clock.set`. Instants are UTC: New York is
// on EST (UTC-5) around Thanksgiving, on EDT (UTC-4) from 2026-03-08.

private let marketHours = "/api/v2/market_data/market_hours/"
private let stocks = "/api/v2/market_data/stocks/"
private let aapl = StockUniverse.standard.stock(symbol: "AAPL")!

private func utc(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

extension TestResponse {
    func jsonArray() throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]])
    }

    /// Decodes the body with exact decimals (JSONSerialization would go through Double).
    fileprivate func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: body))
    }
}

/// A JSON null or an absent key: the SDK reads both as None.
private func isNull(_ value: Any?) -> Bool {
    value == nil || value is NSNull
}

/// The fields of `current_price` the tests compare exactly.
private struct PriceBody: Decodable {
    let price: Decimal
    let timestamp: String
    let stock_id: String
    let previous_close: Decimal?
    let close: Decimal?
    let volume: Decimal?
}

struct MarketDataAPITests {
    // MARK: - Market hours

    @Test func test_marketHours_onSaturday_isClosed_withNextOpenMonday() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, marketHours, key: .none)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["is_market_open"] as? Bool == false)
            #expect(body["next_session_open_dt"] as? String == "2026-11-30T14:30:00Z")
            #expect(body["next_session_close_dt"] as? String == "2026-11-30T21:00:00Z")
            #expect(body["next_session_pre_market_open_time_dt"] as? String == "2026-11-30T09:00:00Z")
            #expect(body["next_session_after_hours_close_time_dt"] as? String == "2026-12-01T01:00:00Z")
            #expect(body["next_session_overnight_open_time_dt"] as? String == "2026-11-30T01:00:00Z")
            for field in ["open_dt", "close_dt", "pre_market_open_time_dt", "after_hours_close_time_dt", "overnight_open_time_dt"] {
                #expect(body["current_session_\(field)"] is NSNull, "current_session_\(field) should be an explicit null")
            }
        }
    }

    @Test func test_marketHours_onThanksgiving_isClosed_andTheNextSessionClosesEarly() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(utc("2026-11-26T17:00:00Z"))
        try await gateway.test { client in
            let body = try await client.call(.get, marketHours, key: .none).json()
            #expect(body["is_market_open"] as? Bool == false)
            #expect(body["current_session_open_dt"] is NSNull)
            #expect(body["next_session_open_dt"] as? String == "2026-11-27T14:30:00Z")
            #expect(body["next_session_close_dt"] as? String == "2026-11-27T18:00:00Z")
            #expect(body["next_session_after_hours_close_time_dt"] as? String == "2026-11-27T22:00:00Z")
            #expect(body["next_session_overnight_open_time_dt"] as? String == "2026-11-27T01:00:00Z")
        }
    }

    @Test func test_marketHours_duringPreMarket_reportsTodayAsTheCurrentSession() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(utc("2026-11-30T12:00:00Z"))  // Monday 07:00 ET
        try await gateway.test { client in
            let body = try await client.call(.get, marketHours, key: .none).json()
            #expect(body["is_market_open"] as? Bool == false)
            #expect(body["current_session_pre_market_open_time_dt"] as? String == "2026-11-30T09:00:00Z")
            #expect(body["current_session_open_dt"] as? String == "2026-11-30T14:30:00Z")
            #expect(body["current_session_overnight_open_time_dt"] as? String == "2026-11-30T01:00:00Z")
            #expect(body["next_session_open_dt"] as? String == "2026-12-01T14:30:00Z")
        }
    }

    @Test func test_marketHours_onAnEarlyCloseDay_isOpenUntil13ET_thenAfterHoursTo17ET() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(utc("2026-11-27T17:59:00Z"))  // Friday 12:59 ET
        try await gateway.test { client in
            let isOpen = try await client.call(.get, marketHours, key: .none).json()["is_market_open"] as? Bool
            #expect(isOpen == true)
            gateway.clock.set(utc("2026-11-27T19:00:00Z"))  // 14:00 ET
            let body = try await client.call(.get, marketHours, key: .none).json()
            #expect(body["is_market_open"] as? Bool == false)
            #expect(body["current_session_close_dt"] as? String == "2026-11-27T18:00:00Z")
            #expect(body["current_session_after_hours_close_time_dt"] as? String == "2026-11-27T22:00:00Z")
            #expect(body["next_session_open_dt"] as? String == "2026-11-30T14:30:00Z")
        }
    }

    @Test func test_marketHours_answersWithOrWithoutTrailingSlash_andIgnoresKeys() async throws {
        try await TestGateway().test { client in
            let noSlash = try await client.call(.get, "/api/v2/market_data/market_hours", key: .none).status
            #expect(noSlash == .ok)
            let partnerKey = try await client.call(.get, marketHours, key: .partner).status
            #expect(partnerKey == .ok)
            let unknownKey = try await client.call(.get, marketHours, key: .custom(id: "nobody", secret: "whatever-secret-00")).status
            #expect(unknownKey == .ok)
            let post = try await client.call(.post, marketHours, key: .none).status
            #expect(post == .methodNotAllowed)
        }
    }

    // MARK: - Calendar

    @Test func test_calendar_returnsExactUTCInstants_acrossTheMarchDSTChange() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/market_data/calendar?start=2026-03-06&end=2026-03-09", key: .none)
            #expect(response.status == .ok)
            let sessions = try response.jsonArray()
            #expect(sessions.map { $0["date"] as? String } == ["2026-03-06", "2026-03-09"])
            // Friday on EST, Monday on EDT: the same wall-clock times are an hour apart in UTC.
            #expect(sessions.map { $0["open_dt"] as? String } == ["2026-03-06T14:30:00Z", "2026-03-09T13:30:00Z"])
            #expect(sessions.map { $0["close_dt"] as? String } == ["2026-03-06T21:00:00Z", "2026-03-09T20:00:00Z"])
            #expect(sessions.map { $0["pre_market_open_dt"] as? String } == ["2026-03-06T09:00:00Z", "2026-03-09T08:00:00Z"])
            #expect(sessions.map { $0["after_hours_close_dt"] as? String } == ["2026-03-07T01:00:00Z", "2026-03-10T00:00:00Z"])
            #expect(sessions.map { $0["is_early_close"] as? Bool } == [false, false])
        }
    }

    @Test func test_calendar_aroundThanksgiving_skipsTheHoliday_andMarksTheEarlyClose() async throws {
        try await TestGateway().test { client in
            let sessions = try await client.call(.get, "/api/v2/market_data/calendar?start=2026-11-25&end=2026-11-30", key: .none)
                .jsonArray()
            #expect(sessions.map { $0["date"] as? String } == ["2026-11-25", "2026-11-27", "2026-11-30"])
            let friday = sessions[1]
            #expect(friday["is_early_close"] as? Bool == true)
            #expect(friday["close_dt"] as? String == "2026-11-27T18:00:00Z")
            #expect(friday["after_hours_close_dt"] as? String == "2026-11-27T22:00:00Z")
        }
    }

    @Test func test_calendar_acceptsTenYears_upToTheCalendarsLastDay() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/market_data/calendar?start=2031-01-01&end=2040-12-31", key: .none)
            #expect(response.status == .ok)
            let sessions = try response.jsonArray()
            #expect(sessions.count > 2_400 && sessions.count < 2_600)
            #expect(sessions.first?["date"] as? String == "2031-01-02")
        }
    }

    @Test(arguments: [
        ("end=2026-11-30", "start"), ("start=2026-11-30", "end"), ("start=2026-1-5&end=2026-11-30", "start"),
        ("start=2026-02-30&end=2026-03-30", "start"), ("start=2026-11-30&end=2026-11-01", "end"),
        ("start=2000-01-01&end=2010-01-01", "end"), ("start=1999-12-31&end=2000-01-31", "start"),
        ("start=2040-12-01&end=2041-01-01", "end"), ("start=&end=2026-11-30", "start"),
    ])
    func test_calendar_badRange_is400_namingTheParameter(query: String, parameter: String) async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/market_data/calendar?\(query)", key: .none)
            #expect(response.status == .badRequest)
            let error = try response.error()
            #expect(error.code == "invalid_field")
            #expect(error.message.hasPrefix("\(parameter):"), "\(error.message)")
        }
    }

    // MARK: - Stocks

    @Test func test_stockList_pagesThroughEveryStock_inSymbolOrder() async throws {
        try await TestGateway().test { client in
            var symbols: [String] = []
            var path = stocks
            var pages: [[String: Any]] = []
            while pages.count < 10 {
                let page = try await client.call(.get, path, key: .none).json()
                pages.append(page)
                symbols += try #require(page["data"] as? [[String: Any]]).compactMap { $0["symbol"] as? String }
                guard let next = (page["pagination_metadata"] as? [String: Any])?["next"] as? String else { break }
                path = "\(stocks)?next=\(next)"
            }
            #expect(symbols == StockUniverse.standard.stocks.map(\.symbol))
            #expect(pages.count > 1 && (pages.first?["data"] as? [Any])?.count == PageRequest.limitDefault)
            #expect(isNull((pages.first?["pagination_metadata"] as? [String: Any])?["previous"]))
            // Walking back from the last page gives the page before it.
            let previous = try #require((pages.last?["pagination_metadata"] as? [String: Any])?["previous"] as? String)
            let back = try await client.call(.get, "\(stocks)?previous=\(previous)", key: .none).json()
            let backSymbols = try #require(back["data"] as? [[String: Any]]).compactMap { $0["symbol"] as? String }
            let lastPageStart = PageRequest.limitDefault * (pages.count - 1)
            #expect(backSymbols == Array(symbols[(lastPageStart - PageRequest.limitDefault)..<lastPageStart]))
        }
    }

    @Test func test_stockList_filtersBySymbols_repeatedOrCommaSeparated() async throws {
        try await TestGateway().test { client in
            let symbolsOf = { (path: String) async throws -> [String] in
                let page = try await client.call(.get, path, key: .none).json()
                return try #require(page["data"] as? [[String: Any]]).compactMap { $0["symbol"] as? String }
            }
            let repeated = try await symbolsOf("\(stocks)?symbols=MSFT&symbols=AAPL")
            #expect(repeated == ["AAPL", "MSFT"])
            let commaSeparated = try await symbolsOf("\(stocks)?symbols=aapl,BRK-B")
            #expect(commaSeparated == ["AAPL", "BRK.B"])
            let unknown = try await symbolsOf("\(stocks)?symbols=ZZZZ")
            #expect(unknown == [])
            let descending = try await symbolsOf("\(stocks)?order=desc&limit=2")
            #expect(descending == Array(StockUniverse.standard.stocks.map(\.symbol).reversed().prefix(2)))
        }
    }

    @Test func test_stockList_item_carriesIdentifiersAndTokens() async throws {
        try await TestGateway().test { client in
            let page = try await client.call(.get, "\(stocks)?symbols=AAPL", key: .none).json()
            let stock = try #require((page["data"] as? [[String: Any]])?.first)
            #expect(stock["id"] as? String == aapl.id.rawValue)
            #expect(stock["name"] as? String == "Apple Inc.")
            #expect(stock["cik"] as? String == "0000320193")
            #expect(stock["composite_figi"] as? String == "BBG000B9XRY4")
            #expect(stock["cusip"] as? String == "037833100")
            #expect(stock["is_fractionable"] as? Bool == true && stock["is_tradable"] as? Bool == true)
            #expect((stock["tokens"] as? [String])?.first?.hasPrefix("eip155:1:0x") == true)
            #expect(stock["logo_url"] is NSNull)
        }
    }

    @Test(arguments: [
        ("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("order=up", "order"),
        ("next=not-a-cursor", "next"), ("symbols=AA%3BPL", "symbols"), ("next=MDox&previous=MDox", "next"),
    ])
    func test_stockList_badQuery_is400_namingTheParameter(query: String, parameter: String) async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "\(stocks)?\(query)", key: .none)
            #expect(response.status == .badRequest)
            #expect(try response.error().message.hasPrefix(parameter), "\(query)")
        }
    }

    // MARK: - Prices

    @Test func test_currentPrice_isDeterministic_andDoesNotMoveWhileClosed() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let path = "/api/v2/market_data/stocks/\(aapl.id.rawValue)/current_price"
            let first = try await client.call(.get, path, key: .none).decode(PriceBody.self)
            let again = try await client.call(.get, path, key: .none).decode(PriceBody.self)
            #expect(first.price == again.price)
            #expect(first.stock_id == aapl.id.rawValue)
            #expect(first.timestamp == "2026-11-27T22:00:00Z")  // the last session's end
            #expect("\(first.price)" == (try PriceModel.standard.price(symbol: "AAPL", at: utc("2026-11-28T15:00:00Z"))).trimmedDescription)
            #expect(first.close != nil && first.previous_close != nil && first.volume != nil)
            gateway.clock.set(utc("2026-11-29T23:00:00Z"))  // Sunday 18:00 ET: still closed
            let sundayPrice = try await client.call(.get, path, key: .none).decode(PriceBody.self).price
            #expect(sundayPrice == first.price)
            gateway.clock.set(utc("2026-11-30T15:00:00Z"))  // Monday, regular session
            let monday = try await client.call(.get, path, key: .none).decode(PriceBody.self)
            #expect(monday.timestamp == "2026-11-30T15:00:00Z")
            #expect(
                "\(monday.price)" == (try PriceModel.standard.price(symbol: "AAPL", at: utc("2026-11-30T15:00:00Z"))).trimmedDescription)
        }
    }

    @Test func test_currentQuote_bracketsTheModelsPrice() async throws {
        struct QuoteBody: Decodable {
            let bid_price: Decimal
            let ask_price: Decimal
            let bid_size: Decimal
            let ask_size: Decimal
            let _sv: String
        }
        let gateway = try await TestGateway()
        gateway.clock.set(utc("2026-11-30T16:00:00Z"))
        try await gateway.test { client in
            let quote = try await client.call(.get, "/api/v2/market_data/stocks/\(aapl.id.rawValue)/current_quote", key: .none)
                .decode(QuoteBody.self)
            let mid = try #require(
                Decimal(string: try PriceModel.standard.price(symbol: "AAPL", at: utc("2026-11-30T16:00:00Z")).description))
            #expect(quote.bid_price < mid && mid < quote.ask_price)
            #expect(quote.bid_size >= 100 && quote.ask_size >= 100)
            #expect(quote._sv == "StockQuote:v1")
        }
    }

    @Test func test_historicalPrices_dayChartOnSaturday_isFridaysWholeWindow() async throws {
        try await TestGateway().test { client in
            let path = "/api/v2/market_data/stocks/\(aapl.id.rawValue)/historical_prices/?timespan=DAY"
            let bars = try await client.call(.get, path, key: .none).jsonArray()
            #expect(bars.count == 252)
            #expect(bars.first?["timestamp"] as? Int == Int(utc("2026-11-27T01:00:00Z").timeIntervalSince1970))
            #expect(Set(bars.flatMap(\.keys)) == ["open", "high", "low", "close", "timestamp"])
            let noSlash = "/api/v2/market_data/stocks/\(aapl.id.rawValue)/historical_prices?timespan=YEAR"
            let yearBars = try await client.call(.get, noSlash, key: .none).jsonArray().count
            #expect(yearBars > 240)
        }
    }

    @Test(arguments: ["", "?timespan=", "?timespan=day", "?timespan=DECADE"])
    func test_historicalPrices_withoutAValidTimespan_is400(query: String) async throws {
        try await TestGateway().test { client in
            let response = try await client.call(
                .get, "/api/v2/market_data/stocks/\(aapl.id.rawValue)/historical_prices/\(query)", key: .none)
            #expect(response.status == .badRequest)
            #expect(try response.error().message.hasPrefix("timespan:"))
        }
    }

    @Test(arguments: ["current_price", "current_quote", "historical_prices/?timespan=DAY", "dividends", "splits", "news"])
    func test_unknownOrMalformedStockID_is404(suffix: String) async throws {
        try await TestGateway().test { client in
            for id in [UUID().uuidString.lowercased(), "not-a-uuid", "AAPL"] {
                let response = try await client.call(.get, "/api/v2/market_data/stocks/\(id)/\(suffix)", key: .none)
                #expect(response.status == .notFound, "\(id)/\(suffix)")
                #expect(try response.error().code == "not_found")
            }
        }
    }

    // MARK: - Corporate actions and news

    @Test func test_dividendsAndSplits_comeFromTheCalendar_newsIsHonestlyEmpty() async throws {
        try await TestGateway().test { client in
            let stock = "/api/v2/market_data/stocks/\(aapl.id.rawValue)"
            // Saturday 2026-11-28: the model's AAPL dividend of 2026-11-10 (0.26, declared in October).
            let dividends = try await client.call(.get, "\(stock)/dividends", key: .none).jsonArray()
            let november = try #require(dividends.first { $0["ex_dividend_date"] as? String == "2026-11-10" })
            #expect(november["ticker"] as? String == "AAPL" && november["currency"] as? String == "USD")
            #expect(november["dividend_type"] as? String == "CD" && november["record_date"] as? String == "2026-11-10")
            let news = try await client.call(.get, "\(stock)/news?limit=5", key: .none).jsonArray()
            #expect(news.isEmpty)
            for path in ["\(stock)/splits?limit=100", "/api/v2/market_data/stocks/splits?limit=100"] {
                let page = try await client.call(.get, path, key: .none).json()
                let splits = try #require(page["data"] as? [[String: Any]])
                #expect(splits.contains { $0["ex_date"] as? String == "2020-08-31" && $0["stock_id"] as? String == aapl.id.rawValue })
                let metadata = try #require(page["pagination_metadata"] as? [String: Any])
                #expect(isNull(metadata["next"]) && isNull(metadata["previous"]))
            }
            let firstTwo = try await client.call(.get, "/api/v2/market_data/stocks/splits?limit=2", key: .none).json()
            let next = try #require((firstTwo["pagination_metadata"] as? [String: Any])?["next"] as? String)
            let following = try await client.call(.get, "/api/v2/market_data/stocks/splits?limit=2&next=\(next)", key: .none).json()
            #expect((following["data"] as? [Any])?.count == 2)
            let tooManyArticles = try await client.call(.get, "\(stock)/news?limit=26", key: .none).status
            #expect(tooManyArticles == .badRequest)
            let zeroLimit = try await client.call(.get, "/api/v2/market_data/stocks/splits?limit=0", key: .none).status
            #expect(zeroLimit == .badRequest)
        }
    }
}
