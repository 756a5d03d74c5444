/// The simulated market's cash dividends: stated here, once, and derived the same way on
/// every call, every replica and every restart (never drawn at random).
///
/// Rates: one fixed quarterly amount per share per stock, close to what each company declared
/// per quarter in 2025, rounded. They make the simulation look like the market; they are not
/// market data, and they do not change when the real companies change theirs. Stocks that pay
/// no regular dividend (AMZN, TSLA, BRK.B, NFLX, ...) are absent, as are DIS (semi-annual), and
/// the ETFs (distributions that vary each quarter).
///
/// Schedule, for every stock alike (one rule, so a test can pin it):
/// - quarterly, in the months of the stock's `cycle`: 1 = Jan/Apr/Jul/Oct, 2 = Feb/May/Aug/Nov,
///   3 = Mar/Jun/Sep/Dec (roughly each company's real rhythm);
/// - ex date: the first trading day on or after the 10th of the month;
/// - record date: per the settlement cycle of the time (`CorporateActionDates`): the ex date
///   from 2024-05-28 (T+1), the next trading day before;
/// - declared: the last trading day on or before 28 days ahead of the ex date;
/// - paid: the first trading day on or after 14 days after the record date.
/// Every dividend is `CD` (regular) in USD; its id is derived from the stock and the ex date.
public struct DividendModel: Sendable {
    /// A stock's stated rate: USD per share per quarter, and the quarter's month.
    public struct Rate: Sendable, Hashable {
        public let amountPerShareUnits: Int64
        public let cycle: Int
    }

    /// The rates by symbol.
    public let rates: [String: Rate]

    /// Days between the declaration and the ex date.
    public static let declaredDaysBeforeEx = 28
    /// Days between the record date and the payment.
    public static let paidDaysAfterRecord = 14
    /// Day of the month on (or after) which the ex date falls.
    public static let exDayOfMonth = 10

    /// The stated model (`rateTable`).
    public static let standard = DividendModel(table: rateTable)

    init(table: [(String, String, Int)]) {
        var rates: [String: Rate] = [:]
        for (symbol, amount, cycle) in table {
            precondition((1...3).contains(cycle), "\(symbol): cycle must be 1, 2 or 3")
            do {
                let units = try CashAmount.units(try Amount(parsingAtNaturalScale: amount), field: "\(symbol) rate")
                rates[symbol] = Rate(amountPerShareUnits: units, cycle: cycle)
            } catch {
                preconditionFailure("\(symbol): dividend rate \(amount) is invalid: \(error)")
            }
        }
        self.rates = rates
    }

    /// Symbol, USD per share per quarter, cycle.
    static let rateTable: [(String, String, Int)] = [
        ("AAPL", "0.26", 2), ("MSFT", "0.91", 2), ("GOOGL", "0.21", 3), ("META", "0.525", 3), ("NVDA", "0.01", 3),
        ("JPM", "1.50", 1), ("V", "0.67", 2), ("MA", "0.87", 1), ("JNJ", "1.30", 2), ("WMT", "0.235", 3),
        ("PG", "1.0568", 1), ("UNH", "2.21", 3), ("HD", "2.30", 3), ("KO", "0.51", 3), ("PEP", "1.4225", 3),
        ("CSCO", "0.41", 1), ("ORCL", "0.50", 1), ("CRM", "0.416", 3), ("COST", "1.30", 2), ("BAC", "0.28", 3),
        ("WFC", "0.45", 2), ("GS", "4.00", 3), ("MS", "1.00", 1), ("CVX", "1.71", 2), ("PFE", "0.43", 2),
        ("MRK", "0.81", 3), ("ABBV", "1.64", 1), ("LLY", "1.50", 2), ("T", "0.2775", 1), ("VZ", "0.69", 1),
        ("MCD", "1.77", 3), ("NKE", "0.40", 3), ("IBM", "1.68", 2), ("QCOM", "0.89", 3), ("AVGO", "0.59", 3),
        ("TXN", "1.42", 1), ("SBUX", "0.61", 2), ("AXP", "0.82", 1),
    ]

    /// The model's dividends of `stock` whose ex date falls from `first` through `last`,
    /// clamped to the calendar's range; none for a stock without a rate.
    public func dividends(
        of stock: Stock, exFrom first: CalendarDate, through last: CalendarDate, dates: CorporateActionDates
    ) throws
        -> [CorporateAction]
    {
        guard let rate = rates[stock.symbol] else { return [] }
        let lower = max(first, dates.calendar.firstDate)
        // The ex date may roll a few days past the 10th; the pay date needs room after it.
        let upper = min(last, dates.calendar.lastDate.adding(days: -60))
        guard lower <= upper else { return [] }
        var actions: [CorporateAction] = []
        var year = lower.year
        var month = rate.cycle
        while true {
            let anchor = try CalendarDate(year: year, month: month, day: Self.exDayOfMonth)
            if anchor > upper { break }
            let ex = try dates.tradingDay(onOrAfter: anchor)
            if ex >= lower && ex <= upper {
                actions.append(try dividend(of: stock, rate: rate, exDate: ex, dates: dates))
            }
            month += 3
            if month > 12 { (year, month) = (year + 1, month - 12) }
        }
        return actions
    }

    private func dividend(of stock: Stock, rate: Rate, exDate: CalendarDate, dates: CorporateActionDates) throws -> CorporateAction {
        let record = try dates.dividendRecordDate(exDate: exDate)
        let declared = try dates.tradingDay(onOrBefore: exDate.adding(days: -Self.declaredDaysBeforeEx))
        let pay = try dates.tradingDay(onOrAfter: record.adding(days: Self.paidDaysAfterRecord))
        let terms = CashDividendTerms(
            amountPerShareUnits: rate.amountPerShareUnits, currency: "USD", kind: .regular, declaredDate: declared, exDate: exDate,
            recordDate: record, payDate: pay)
        return CorporateAction(
            id: CorporateActionID(trusted: StockUniverse.derivedUUID("brokergate:dividend:\(stock.symbol):\(exDate)")),
            stockID: stock.id, symbol: stock.symbol, source: .model, status: .scheduled, terms: .cashDividend(terms),
            createdAt: CorporateAction.instant(declared), created: nil, cancelled: nil)
    }
}
