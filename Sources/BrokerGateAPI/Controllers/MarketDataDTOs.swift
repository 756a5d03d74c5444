import BrokerGateCore
import Foundation
import Hummingbird

// Wire shapes of the market-data routes, field for field as dinari-api-sdk 0.15.0 declares
// them (`types/v2/market_data*`). Optional fields are sent as explicit nulls rather than left
// out, so every field the SDK knows is present in every response.

/// A value that encodes as JSON `null` when absent (synthesized `Encodable` would omit the key).
struct Nullable<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    let value: Value?

    init(_ value: Value?) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// `MarketDataRetrieveMarketHoursResponse`. Dinari's "session" is a whole trading day
/// (overnight through after-hours); see `MarketState` for the mapping.
struct MarketHoursDTO: ResponseEncodable, Sendable {
    let is_market_open: Bool
    let next_session_open_dt: Date
    let next_session_close_dt: Date
    let next_session_pre_market_open_time_dt: Nullable<Date>
    let next_session_after_hours_close_time_dt: Nullable<Date>
    let next_session_overnight_open_time_dt: Nullable<Date>
    let current_session_open_dt: Nullable<Date>
    let current_session_close_dt: Nullable<Date>
    let current_session_pre_market_open_time_dt: Nullable<Date>
    let current_session_after_hours_close_time_dt: Nullable<Date>
    let current_session_overnight_open_time_dt: Nullable<Date>
    /// Extension: the business instant this answer describes. The sandbox can move the
    /// business clock away from the wall clock, so a client counting down to the open must
    /// count from here, not from its own clock.
    let now_dt: Date
    /// Extension: the part of the trading day now (`MarketSession`: OVERNIGHT, PRE_MARKET,
    /// REGULAR, AFTER_HOURS, CLOSED), as the order rules see it.
    let session: String
    /// Extension: the next regular-session open strictly after now, the one a refused
    /// market order names (during pre-market it is today's, unlike `next_session_open_dt`).
    let next_regular_open_dt: Date

    init(_ state: MarketState) {
        let current = state.currentSession
        let next = state.nextSession
        is_market_open = state.isRegularOpen
        next_session_open_dt = next.regularOpen
        next_session_close_dt = next.regularClose
        next_session_pre_market_open_time_dt = Nullable(next.preMarketOpen)
        next_session_after_hours_close_time_dt = Nullable(next.afterHoursClose)
        next_session_overnight_open_time_dt = Nullable(next.overnightOpen)
        current_session_open_dt = Nullable(current?.regularOpen)
        current_session_close_dt = Nullable(current?.regularClose)
        current_session_pre_market_open_time_dt = Nullable(current?.preMarketOpen)
        current_session_after_hours_close_time_dt = Nullable(current?.afterHoursClose)
        current_session_overnight_open_time_dt = Nullable(current?.overnightOpen)
        now_dt = state.instant
        session = state.session.rawValue
        next_regular_open_dt = state.nextRegularOpenDay.regularOpen
    }
}

/// One trading session of `GET /api/v2/market_data/calendar` (our extension). Instants are
/// UTC; `open_dt`/`close_dt` bound the regular session.
struct CalendarSessionDTO: ResponseEncodable, Sendable {
    let date: CalendarDate
    let open_dt: Date
    let close_dt: Date
    let pre_market_open_dt: Date
    let after_hours_close_dt: Date
    let is_early_close: Bool

    init(_ day: TradingDay) {
        date = day.date
        open_dt = day.regularOpen
        close_dt = day.regularClose
        pre_market_open_dt = day.preMarketOpen
        after_hours_close_dt = day.afterHoursClose
        is_early_close = day.isEarlyClose
    }
}

/// `StockListResponse.Data`: a stock available for trading.
struct StockDTO: ResponseEncodable, Sendable {
    let id: String
    let symbol: String
    let name: String
    let is_fractionable: Bool
    let is_tradable: Bool
    let tokens: [String]
    let cik: Nullable<String>
    let composite_figi: Nullable<String>
    let cusip: Nullable<String>
    let description: Nullable<String>
    let display_name: Nullable<String>
    let logo_url: Nullable<String>

    /// Description, display name and logo are left null: the gateway has no licensed copy
    /// of them and does not make them up.
    init(_ stock: Stock) {
        id = stock.id.rawValue
        symbol = stock.symbol
        name = stock.name
        is_fractionable = stock.isFractionable
        is_tradable = stock.isTradable
        tokens =
            stock.tokens + (DeployedTokens.deployment.map { [StockUniverse.tokenAddress(chain: $0.caip2, symbol: stock.symbol)] } ?? [])
        cik = Nullable(stock.cik)
        composite_figi = Nullable(stock.compositeFIGI)
        cusip = Nullable(stock.cusip)
        description = Nullable(nil)
        display_name = Nullable(nil)
        logo_url = Nullable(nil)
    }
}

/// `StockRetrieveCurrentPriceResponse`. `open`/`high`/`low`/`close`/`volume` describe the
/// current (or last) trading day's regular session so far; market capitalisation and shares
/// outstanding are null because the gateway has no source for them.
struct CurrentPriceDTO: ResponseEncodable, Sendable {
    let price: Amount
    let stock_id: String
    let timestamp: Date
    let change: Nullable<Amount>
    let change_percent: Nullable<Amount>
    let open: Nullable<Amount>
    let high: Nullable<Amount>
    let low: Nullable<Amount>
    let close: Nullable<Amount>
    let previous_close: Nullable<Amount>
    let volume: Nullable<Int64>
    let market_cap: Nullable<Int64>
    let weighted_shares_outstanding: Nullable<Int64>

    init(_ stock: Stock, _ summary: DaySummary) {
        let session = summary.regularSession
        price = summary.price.price
        stock_id = stock.id.rawValue
        timestamp = summary.price.asOf
        change = Nullable(summary.change)
        change_percent = Nullable(summary.changePercent)
        open = Nullable(session?.open)
        high = Nullable(session?.high)
        low = Nullable(session?.low)
        close = Nullable(session?.close)
        previous_close = Nullable(summary.previousClose)
        volume = Nullable(session?.volumeShares)
        market_cap = Nullable(nil)
        weighted_shares_outstanding = Nullable(nil)
    }
}

/// `StockRetrieveCurrentQuoteResponse`.
struct QuoteDTO: ResponseEncodable, Sendable {
    let ask_price: Amount
    let ask_size: Int64
    let bid_price: Amount
    let bid_size: Int64
    let stock_id: String
    let timestamp: Date
    let _sv = "StockQuote:v1"

    init(_ stock: Stock, _ quote: Quote) {
        ask_price = quote.ask
        ask_size = quote.askSizeShares
        bid_price = quote.bid
        bid_size = quote.bidSizeShares
        stock_id = stock.id.rawValue
        timestamp = quote.asOf
    }
}

/// `StockRetrieveHistoricalPricesResponseItem`: one chart tick. `timestamp` is the Unix
/// second the bar's window starts. The SDK's shape has no volume, so none is sent.
struct HistoricalPriceDTO: ResponseEncodable, Sendable {
    let open: Amount
    let high: Amount
    let low: Amount
    let close: Amount
    let timestamp: Int64

    init(_ bar: PriceBar) {
        open = bar.open
        high = bar.high
        low = bar.low
        close = bar.close
        timestamp = Int64(bar.start.timeIntervalSince1970)
    }
}

/// `StockSplit`, from a split of the corporate-action calendar. `ex_date` is the effective
/// date; the status is Dinari's (`SplitProgress`) on the business clock's date, as the
/// calendar works it out.
struct StockSplitDTO: ResponseEncodable, Sendable {
    let id: String
    let stock_id: String
    let ex_date: CalendarDate
    let payable_date: CalendarDate
    let record_date: CalendarDate
    let split_from: Amount
    let split_to: Amount
    let status: String

    init(_ listed: ListedSplit) {
        let (action, split) = (listed.action, listed.terms)
        id = action.id.rawValue
        stock_id = action.stockID.rawValue
        ex_date = split.effectiveDate
        payable_date = split.payableDate
        record_date = split.recordDate
        split_from = Amount(units: Int128(split.ratio.from), scale: 0)
        split_to = Amount(units: Int128(split.ratio.to), scale: 0)
        status = listed.progress.rawValue
    }
}

/// `StockRetrieveDividendsResponseItem`, from a cash dividend of the calendar.
struct DividendDTO: ResponseEncodable, Sendable {
    let ticker: String
    let cash_amount: Amount
    let currency: String
    let dividend_type: String
    let ex_dividend_date: CalendarDate
    let record_date: CalendarDate
    let pay_date: CalendarDate

    init(_ action: CorporateAction, dividend: CashDividendTerms) {
        ticker = action.symbol
        cash_amount = dividend.amountPerShare
        currency = dividend.currency
        dividend_type = dividend.kind.rawValue
        ex_dividend_date = dividend.exDate
        record_date = dividend.recordDate
        pay_date = dividend.payDate
    }
}

/// `StockRetrieveNewsResponseItem`.
struct NewsArticleDTO: ResponseEncodable, Sendable {
    let article_url: String
    let amp_url: Nullable<String>
    let description: String
    let image_url: String
    let published_dt: Date
    let publisher: String

    init(_ article: NewsArticle) {
        article_url = article.articleURL
        amp_url = Nullable(article.ampURL)
        description = article.description
        image_url = article.imageURL
        published_dt = article.publishedAt
        publisher = article.publisher
    }
}
