import BrokerGateCore
import Hummingbird

/// `/api/v2/market_data/…`: market hours, the session calendar, the stock universe, prices,
/// quotes, charts and corporate actions. All public: market data is the same for everyone,
/// and a key the SDK sends anyway is simply not looked at.
///
/// Paths are spelled exactly as the SDK calls them, trailing slashes included; the router
/// ignores empty segments, so `/stocks` and `/stocks/` reach the same handler.
struct MarketDataController {
    let store: any Store
    let service: MarketDataService
    /// Dividends and splits come from the corporate-action calendar, which reads the store.
    let corporateActions: CorporateActionCalendar

    var routes: [RouteDefinition] {
        let stock = "/api/v2/market_data/stocks/{stock_id}"
        return [
            RouteDefinition(.get, "/api/v2/market_data/market_hours/", .public, marketHours),
            RouteDefinition(.get, "/api/v2/market_data/calendar", .public, calendar),
            RouteDefinition(.get, "/api/v2/market_data/stocks/", .public, listStocks),
            RouteDefinition(.get, "/api/v2/market_data/stocks/splits", .public, listSplits),
            RouteDefinition(.get, "\(stock)/current_price", .public, currentPrice),
            RouteDefinition(.get, "\(stock)/current_quote", .public, currentQuote),
            RouteDefinition(.get, "\(stock)/historical_prices/", .public, historicalPrices),
            RouteDefinition(.get, "\(stock)/dividends", .public, dividends),
            RouteDefinition(.get, "\(stock)/splits", .public, listSplitsForStock),
            RouteDefinition(.get, "\(stock)/news", .public, news),
        ]
    }

    @Sendable func marketHours(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        MarketHoursDTO(try service.marketState())
    }

    /// Our extension: every session from `start` through `end`, with UTC instants.
    @Sendable func calendar(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let sessions = try service.sessions(start: try query.string("start", lengthMax: 40), end: try query.string("end", lengthMax: 40))
        return sessions.map(CalendarSessionDTO.init)
    }

    /// `symbols` may repeat (`symbols=AAPL&symbols=MSFT`, the SDK's form) or hold a comma list.
    @Sendable func listStocks(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let symbols = request.uri.queryParameters.getAll("symbols")
        let page = try service.stocks(symbols: symbols, page: try QueryParameters(request: request).page())
        return PaginatedDTO(page, StockDTO.init)
    }

    @Sendable func currentPrice(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let (stock, summary) = try service.currentPrice(stockID: try stockID(context))
        return CurrentPriceDTO(stock, summary)
    }

    @Sendable func currentQuote(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let (stock, quote) = try service.currentQuote(stockID: try stockID(context))
        return QuoteDTO(stock, quote)
    }

    @Sendable func historicalPrices(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let timespan = try QueryParameters(request: request).string("timespan", lengthMax: 20)
        let bars = try service.historicalPrices(stockID: try stockID(context), timespan: timespan)
        return bars.map(HistoricalPriceDTO.init)
    }

    @Sendable func dividends(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let stockID = try stockID(context)
        let actions = corporateActions
        let found = try await store.read { tx in try await actions.dividends(stockID: stockID, in: tx) }
        return found.map { DividendDTO($0.action, dividend: $0.terms) }
    }

    @Sendable func listSplits(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        try await splits(stockID: nil, request)
    }

    @Sendable func listSplitsForStock(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        try await splits(stockID: try stockID(context), request)
    }

    private func splits(stockID: String?, _ request: Request) async throws -> PaginatedDTO<StockSplitDTO> {
        let page = try QueryParameters(request: request).page()
        let actions = corporateActions
        let found = try await store.read { tx in try await actions.splits(stockID: stockID, page: page, in: tx) }
        return PaginatedDTO(found, StockSplitDTO.init)
    }

    @Sendable func news(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let limit = try QueryParameters(request: request).string("limit", lengthMax: 20)
        return try service.news(stockID: try stockID(context), limit: limit).map(NewsArticleDTO.init)
    }

    /// The `{stock_id}` path segment; the service answers 404 for anything that is not a
    /// known stock's id, malformed ids included.
    private func stockID(_ context: AppRequestContext) throws -> String {
        guard let raw = context.parameters.get("stock_id") else { throw DomainError.notFound("stock") }
        return raw
    }
}
