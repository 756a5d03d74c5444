import Foundation

/// A news article about a stock. The gateway has no news feed and never makes articles up.
public struct NewsArticle: Sendable, Hashable {
    public let articleURL: String
    public let ampURL: String?
    public let description: String
    public let imageURL: String
    public let publishedAt: Date
    public let publisher: String
}

/// Answers every market-data question — market hours, the session calendar, the stock list,
/// prices, quotes and charts — from the stock universe, the price model,
/// the trading calendar (NYSE unless given) and the business clock. "Now" is always `clock.now()`.
///
/// Raw query values come in as text and are validated here, so the rules (and the errors
/// that name the offending parameter) live in one place; the HTTP layer only reads and renders.
public struct MarketDataService: Sendable {
    public let clock: any BusinessClock
    public let model: PriceModel
    public var universe: StockUniverse { model.universe }
    public let calendar: TradingCalendar
    /// The alloys offered (`MarketDataService+Alloys.swift`).
    public let alloys: AlloyCatalog

    /// Most symbols one `symbols` filter may list.
    public static let symbolsFilterMax = 100
    /// Longest calendar range one request may ask for.
    public static let calendarSpanYearsMax = 10
    /// Most news articles one request may ask for (Dinari's documented maximum).
    public static let newsLimitMax = 25

    public init(clock: any BusinessClock, model: PriceModel = .standard, calendar: TradingCalendar = .nyse, alloys: AlloyCatalog = .builtIn)
    {
        self.clock = clock
        self.alloys = alloys
        self.model = model
        self.calendar = calendar
    }

    // MARK: - Calendar

    /// The session running now and the trading days around it.
    public func marketState() throws -> MarketState {
        try atNow { try calendar.state(at: $0) }
    }

    /// Every trading session from `start` through `end` (both `YYYY-MM-DD`, inclusive).
    /// - Throws: `invalidField` naming `start` or `end`: missing, malformed, outside
    ///   2000-01-01...2040-12-31, end before start, or longer than 10 years.
    public func sessions(start: String?, end: String?) throws -> [TradingDay] {
        let first = try calendarDate(start, field: "start")
        let last = try calendarDate(end, field: "end")
        guard first <= last else {
            throw DomainError.invalidField("end", "must be on or after start (start=\(first), end=\(last))")
        }
        let lastAllowed = PriceModel.date(first, monthsBefore: -12 * Self.calendarSpanYearsMax).adding(days: -1)
        guard last <= lastAllowed else {
            throw DomainError.invalidField(
                "end", "a range may span at most \(Self.calendarSpanYearsMax) years: with start=\(first), end may be at most \(lastAllowed)"
            )
        }
        do {
            return try calendar.tradingDays(from: first, through: last)
        } catch let error as CalendarError {
            throw error.domainError
        }
    }

    private func calendarDate(_ text: String?, field: String) throws -> CalendarDate {
        guard let text = text.nonEmpty else {
            throw DomainError.invalidField(field, "is required: send \(field)=YYYY-MM-DD, e.g. \(field)=2026-11-27")
        }
        let date: CalendarDate
        do {
            date = try CalendarDate(parsing: text)
        } catch {
            throw DomainError.invalidField(field, "'\(text.prefix(40))' is not a date; send YYYY-MM-DD, e.g. 2026-11-27")
        }
        guard date >= calendar.firstDate, date <= calendar.lastDate else {
            throw DomainError.invalidField(
                field, "\(date) is outside the calendar's range \(calendar.firstDate) through \(calendar.lastDate)")
        }
        return date
    }

    // MARK: - Stocks

    /// A page of stocks in symbol order, optionally only those in `symbols` (each value may
    /// itself be a comma-separated list; unknown symbols simply match nothing).
    public func stocks(symbols: [String], page: PageRequest) throws -> Page<Stock> {
        let wanted = try symbolFilter(symbols)
        let matching = wanted.map { set in universe.stocks.filter { set.contains($0.symbol) } } ?? universe.stocks
        return Self.page(matching, page, key: \.symbol)
    }

    /// Stocks (and alloys) are compiled in or configured, so they page in memory, walking
    /// symbol order with the same cursor semantics as stored documents
    /// (`DocumentRepository.page`). An item's cursor is (0, symbol): every listing has the
    /// same "creation instant", so the symbol orders them.
    static func page<Item>(_ stocks: [Item], _ request: PageRequest, key: @escaping (Item) -> String) -> Page<Item> {
        let limit = min(max(request.limit, 1), PageRequest.limitMax)
        let ascending = request.order == .asc
        let ordered = ascending ? stocks : stocks.reversed()
        let cursor = { (stock: Item) in PageCursor(createdAtMicros: 0, id: key(stock)) }
        // Whether `stock` comes strictly after `mark` in the walking order.
        let isAfter = { (stock: Item, mark: PageCursor) -> Bool in
            let key = (Int64(0), key(stock))
            return ascending ? key > (mark.createdAtMicros, mark.id) : key < (mark.createdAtMicros, mark.id)
        }
        switch request.direction {
        case .start:
            let items = Array(ordered.prefix(limit))
            return Page(items: items, next: ordered.count > limit ? items.last.map(cursor) : nil, previous: nil)
        case .after(let mark):
            let rest = ordered.filter { isAfter($0, mark) }
            let items = Array(rest.prefix(limit))
            return Page(items: items, next: rest.count > limit ? items.last.map(cursor) : nil, previous: items.first.map(cursor))
        case .before(let mark):
            let earlier = ordered.filter { !isAfter($0, mark) && cursor($0) != mark }
            let items = Array(earlier.suffix(limit))
            return Page(items: items, next: items.last.map(cursor), previous: earlier.count > limit ? items.first.map(cursor) : nil)
        }
    }

    func symbolFilter(_ values: [String]) throws -> Set<String>? {
        let symbols = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map(String.init) }
        guard !symbols.isEmpty else { return nil }
        guard symbols.count <= Self.symbolsFilterMax else {
            throw DomainError.invalidField("symbols", "at most \(Self.symbolsFilterMax) symbols per request (got \(symbols.count))")
        }
        return Set(
            try symbols.map { symbol in
                guard let canonical = StockUniverse.normalizedSymbol(symbol) else {
                    throw DomainError.invalidField(
                        "symbols", "'\(symbol.prefix(20))' is not a stock symbol: 1-\(StockUniverse.symbolLengthMax) letters, digits or '.'"
                    )
                }
                return canonical
            })
    }

    /// The stock with id `text`. - Throws: `notFound("stock")`, malformed ids included.
    public func stock(id text: String) throws -> Stock {
        guard let id = StockID(parsing: text), let stock = universe.stock(id: id) else { throw DomainError.notFound("stock") }
        return stock
    }

    /// The stock's price now, with today's regular-session figures and the previous close.
    public func currentPrice(stockID: String) throws -> (Stock, DaySummary) {
        let stock = try stock(id: stockID)
        return (stock, try atNow { try model.summary(of: stock, at: $0) })
    }

    /// The stock's quote now.
    public func currentQuote(stockID: String) throws -> (Stock, Quote) {
        let stock = try stock(id: stockID)
        return (stock, try atNow { try model.quote(of: stock, at: $0) })
    }

    /// The chart for `timespan` (`DAY`, `WEEK`, `MONTH` or `YEAR`) ending now.
    /// - Throws: `invalidField("timespan")` when absent or not one of those.
    public func historicalPrices(stockID: String, timespan text: String?) throws -> [PriceBar] {
        let stock = try stock(id: stockID)
        guard let text = text.nonEmpty else {
            throw DomainError.invalidField("timespan", "is required: one of DAY, WEEK, MONTH, YEAR")
        }
        guard let timespan = BarTimespan(rawValue: text) else {
            throw DomainError.invalidField("timespan", "must be one of DAY, WEEK, MONTH, YEAR (got '\(text.prefix(20))')")
        }
        return try atNow { try model.bars(of: stock, timespan: timespan, endingAt: $0) }
    }

    // MARK: - News

    /// News about the stock: always empty, since the gateway has no news source and never
    /// invents articles. `limit` (1-25) is validated all the same.
    public func news(stockID: String, limit: String?) throws -> [NewsArticle] {
        _ = try stock(id: stockID)
        if let limit = limit.nonEmpty {
            guard limit.utf8.count <= 3, let value = Int(limit), (1...Self.newsLimitMax).contains(value) else {
                throw DomainError.invalidField("limit", "must be a whole number from 1 to \(Self.newsLimitMax) (got '\(limit.prefix(20))')")
            }
        }
        return []
    }

    // MARK: - Time

    /// Runs `body` at the business clock's now. A clock outside the calendar (2000-2040) is
    /// the operator's configuration, not the caller's input: 503, with the reason.
    func atNow<T>(_ body: (Date) throws -> T) throws -> T {
        let now = clock.now()
        do {
            return try body(now)
        } catch let error as CalendarError {
            throw DomainError(
                .unavailable, code: "clock_outside_calendar",
                message: "the business clock (\(now.formatted(.iso8601))) is outside the trading calendar: \(error.message)")
        }
    }
}

extension Optional where Wrapped == String {
    /// The value unless absent or empty: clients send `start=` for "not given".
    fileprivate var nonEmpty: String? {
        switch self {
        case .some(let text) where !text.isEmpty: text
        default: nil
        }
    }
}
