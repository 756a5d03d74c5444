import Foundation

/// The corporate-action calendar of every stock: the real historical splits
/// (`HistoricalSplits`), the simulated market's stated dividends (`DividendModel`) and what
/// operators create, minus what they cancel. Market data, operators and (later) the jobs that
/// pay dividends and apply splits all read it here, so they see one calendar.
///
/// Derived actions are computed on each call, identically everywhere; an action's stored copy
/// (an operator's, or a derived one an operator cancelled) wins over the derived one with the
/// same id. "Today" is the New York date of the business clock.
public struct CorporateActionCalendar: Sendable {
    public let clock: any BusinessClock
    public let dates: CorporateActionDates
    public let universe: StockUniverse
    public let model: DividendModel
    /// The historical splits (`HistoricalSplits`), status `REFERENCE`.
    let historical: [CorporateAction]

    /// How far back model dividends are listed (by ex date): a year of history.
    public static let historyDays = 366
    /// How far ahead model dividends are computed (by ex date): past the declaration horizon
    /// (`DividendModel.declaredDaysBeforeEx`), so operators see the next ones coming.
    public static let lookaheadDays = 120
    /// Most scheduled operator actions per stock: a bound on every list (STYLE.md).
    public static let scheduledPerStockMax = 100
    /// Largest dividend per share an operator may enter, in USD.
    public static let dividendPerShareMax: Int64 = 10_000
    /// Widest span one `due` question may cover.
    public static let dueSpanDaysMax = 366

    public init(
        clock: any BusinessClock, calendar: TradingCalendar = .nyse, universe: StockUniverse = .standard, model: DividendModel = .standard
    ) {
        self.clock = clock
        self.dates = CorporateActionDates(calendar: calendar)
        self.universe = universe
        self.model = model
        self.historical = HistoricalSplits.actions(universe: universe, dates: dates)
    }

    /// The business clock's date in New York.
    public func today() -> CalendarDate {
        dates.calendar.calendarDate(of: clock.now())
    }

    // MARK: - Reading

    /// Every action of the stock (or of all stocks) the calendar holds on `today`, cancelled
    /// ones included, ordered by ex (effective) date then id: historical splits, model
    /// dividends with ex dates from a year ago to `lookaheadDays` ahead, and stored actions.
    public func entries(stockID: StockID?, today: CalendarDate, in tx: any StoreTransaction) async throws -> [CorporateAction] {
        let stocks = stockID.map { id in universe.stocks.filter { $0.id == id } } ?? universe.stocks
        let derived = try derivedActions(
            of: stocks, exFrom: today.adding(days: -Self.historyDays), through: today.adding(days: Self.lookaheadDays))
        let stored = try await tx.allDocuments(CorporateAction.self, query: DocumentQuery(owner: .house, parentID: stockID?.rawValue))
        return Self.merged(derived: derived, stored: stored)
    }

    /// Market data: the cash dividends of the stock announced by today, with ex dates from a
    /// year ago on, cancelled ones left out. - Throws: `notFound("stock")`.
    public func dividends(stockID text: String, in tx: any StoreTransaction) async throws -> [Described<CashDividendTerms>] {
        let stock = try stock(path: text)
        let today = today()
        let earliest = today.adding(days: -Self.historyDays)
        return try await entries(stockID: stock.id, today: today, in: tx).compactMap { action in
            guard let dividend = action.dividend, action.status != .cancelled, action.isAnnounced(on: today), action.exDate >= earliest
            else { return nil }
            return Described(action: action, terms: dividend)
        }
    }

    /// Operators: a page of the calendar, every source and status, optionally one stock's.
    /// - Throws: `invalidField("stock_id")` when it names no stock.
    public func list(
        stockID text: String?, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws
        -> Page<CorporateAction>
    {
        try principal.requireOperator()
        let stockID = try text.map { try stock(field: "stock_id", $0).id }
        return Self.page(try await entries(stockID: stockID, today: today(), in: tx), page)
    }

    /// The actions a scheduler job must carry out: `SCHEDULED`, announced by `through`, whose
    /// `milestone` date is after `after` and on or before `through` (the job's last processed
    /// day and today). Model dividends enter as computed; stored copies win.
    public func due(
        _ milestone: CorporateActionMilestone, after: CalendarDate, through: CalendarDate, in tx: any StoreTransaction
    ) async throws -> [CorporateAction] {
        precondition(after < through && through.daysSinceEpoch - after.daysSinceEpoch <= Self.dueSpanDaysMax, "due span out of bounds")
        // A record or pay date follows its ex date by at most a few weeks.
        let derived = try derivedActions(of: universe.stocks, exFrom: after.adding(days: -60), through: through)
        let stored = try await tx.allDocuments(
            CorporateAction.self, query: DocumentQuery(owner: .house, statusKey: CorporateAction.Status.scheduled.rawValue))
        return Self.merged(derived: derived, stored: stored).filter { action in
            guard action.status == .scheduled, action.isAnnounced(on: through), let date = action.date(of: milestone) else { return false }
            return date > after && date <= through
        }
    }

    /// Operators: a page of a dividend's entitlements (empty until its ex date began).
    /// - Throws: `notFound("corporate action")` for an id the calendar does not hold.
    public func entitlements(
        _ id: CorporateActionID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<DividendEntitlement> {
        try principal.requireOperator()
        let stored = try await tx.document(CorporateAction.self, id: id.rawValue)
        if stored == nil, try await !entries(stockID: nil, today: today(), in: tx).contains(where: { $0.id == id }) {
            throw DomainError.notFound("corporate action")
        }
        return try await tx.page(DividendEntitlement.self, query: DocumentQuery(owner: nil, lookupKey: id.rawValue, page: page))
    }

    // MARK: - Changing

    /// Records an operator's dividend or split, validated (`CorporateActionRequest.validated`).
    public func create(
        _ request: CorporateActionRequest, by principal: Principal, in tx: any StoreTransaction
    ) async throws
        -> CorporateAction
    {
        try principal.requireOperator()
        let stock = try stock(field: "stock_id", request.stockID)
        let today = today()
        let terms = try request.validatedTerms(today: today, dates: dates)
        let scheduled = try await tx.countDocuments(
            CorporateAction.self,
            query: DocumentQuery(owner: .house, parentID: stock.id.rawValue, statusKey: CorporateAction.Status.scheduled.rawValue))
        guard scheduled < Self.scheduledPerStockMax else {
            throw DomainError(
                .ruleViolation, code: "too_many_scheduled_actions",
                message: "\(stock.symbol) already has \(Self.scheduledPerStockMax) scheduled corporate actions; cancel some first")
        }
        if case .split(let split) = terms {
            let clash = try await entries(stockID: stock.id, today: today, in: tx).first {
                $0.status == .scheduled && $0.split?.effectiveDate == split.effectiveDate
            }
            if let clash {
                throw DomainError(
                    .ruleViolation, code: "split_already_scheduled",
                    message: "\(stock.symbol) already has a split effective \(split.effectiveDate) (\(clash.id)); cancel it first")
            }
        }
        let now = clock.now()
        let action = CorporateAction(
            id: .generate(), stockID: stock.id, symbol: stock.symbol, source: .operator, status: .scheduled, terms: terms,
            createdAt: now, created: .init(at: now, organizationID: principal.organizationID, keyID: principal.keyID), cancelled: nil)
        try await tx.insertDocument(action)
        return action
    }

    /// Withdraws a scheduled action before its ex (effective) date. Derived actions (model
    /// dividends) can be cancelled too: the cancelled copy is stored under their id.
    /// - Throws: 404 for an unknown id; 422 when it is not scheduled or its ex date has come.
    public func cancel(_ id: CorporateActionID, by principal: Principal, in tx: any StoreTransaction) async throws -> CorporateAction {
        try principal.requireOperator()
        let today = today()
        let stored = try await tx.document(CorporateAction.self, id: id.rawValue)
        let found: CorporateAction?
        if let stored {
            found = stored
        } else {
            found = try await entries(stockID: nil, today: today, in: tx).first { $0.id == id }
        }
        guard var action = found else { throw DomainError.notFound("corporate action") }
        try Self.requireCancellable(action, today: today)
        action.status = .cancelled
        action.cancelled = .init(at: clock.now(), organizationID: principal.organizationID, keyID: principal.keyID)
        if stored == nil { try await tx.insertDocument(action) } else { try await tx.updateDocument(action) }
        return action
    }

    /// The cancel rule: only a `SCHEDULED` action, and only before its ex (effective) date.
    public static func requireCancellable(_ action: CorporateAction, today: CalendarDate) throws(DomainError) {
        let what = action.split == nil ? "dividend" : "split"
        let day = action.split == nil ? "ex date" : "effective date"
        switch action.status {
        case .scheduled: break
        case .cancelled:
            throw DomainError(.ruleViolation, code: "corporate_action_cancelled", message: "this \(what) was cancelled already")
        case .processed:
            throw DomainError(
                .ruleViolation, code: "corporate_action_processed", message: "this \(what) was carried out already; it cannot be cancelled")
        case .reference:
            throw DomainError(
                .ruleViolation, code: "corporate_action_historical",
                message: "this \(what) is part of the stock's history; it cannot be cancelled")
        }
        guard today < action.exDate else {
            throw DomainError(
                .ruleViolation, code: "corporate_action_past_ex_date",
                message: "this \(what)'s \(day) \(action.exDate) has come (today is \(today) in New York); "
                    + "it can be cancelled only before its \(day)")
        }
    }

    // MARK: - Helpers

    private func derivedActions(of stocks: [Stock], exFrom: CalendarDate, through: CalendarDate) throws -> [CorporateAction] {
        let ids = Set(stocks.map(\.id))
        let splits = historical.filter { ids.contains($0.stockID) }
        return try splits + stocks.flatMap { try model.dividends(of: $0, exFrom: exFrom, through: through, dates: dates) }
    }

    /// Derived and stored actions by id (stored wins), ordered by ex date, then id.
    static func merged(derived: [CorporateAction], stored: [CorporateAction]) -> [CorporateAction] {
        var byID = Dictionary(derived.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for action in stored { byID[action.id] = action }
        return byID.values.sorted { ($0.exDate, $0.id) < ($1.exDate, $1.id) }
    }

    static func page(_ actions: [CorporateAction], _ request: PageRequest) -> Page<CorporateAction> {
        MarketDataService.page(actions, request, key: pageKey)
    }

    /// Pages walk by ex (effective) date, then id; the key sorts as text because dates do.
    static func pageKey(_ action: CorporateAction) -> String {
        "\(action.exDate)|\(action.id)"
    }

    /// A path's stock: unknown and malformed ids alike are 404.
    func stock(path text: String) throws -> Stock {
        guard let id = StockID(parsing: text), let stock = universe.stock(id: id) else { throw DomainError.notFound("stock") }
        return stock
    }

    /// A body or query field's stock: missing or unknown is the field's fault (400).
    private func stock(field: String, _ text: String?) throws -> Stock {
        guard let text, !text.isEmpty else {
            throw DomainError.invalidField(field, "is required: a stock id from GET /api/v2/market_data/stocks/")
        }
        guard let id = StockID(parsing: text), let stock = universe.stock(id: id) else {
            throw DomainError.invalidField(
                field, "'\(text.prefix(40))' is not the id of a listed stock; GET /api/v2/market_data/stocks/ lists them")
        }
        return stock
    }
}
