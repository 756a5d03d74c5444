/// Real splits of the stocks in the universe since 2000-01-01 (the trading calendar's first
/// day), as the simulated market carries them. Each row: the symbol, the effective date (the
/// first session at post-split prices, Dinari's `ex_date`) and the ratio as whole shares.
///
/// Only splits we are confident of are listed; a wrong split is worse than a missing one,
/// because a scheduler would one day act on it. Checked against the companies' investor
/// relations split histories as restated by public split databases (splithistory.com /
/// stocksplithistory.com for AAPL and NVDA; press coverage of the announcements for the rest):
/// - AAPL 2:1 2000-06-21, 2:1 2005-02-28, 7:1 2014-06-09, 4:1 2020-08-31 (Apple investor FAQ).
/// - NVDA 2:1 2000-06-27, 2:1 2001-09-17 (markets reopened after 9/11; some sources say the
///   12th, when the exchange was closed), 2:1 2006-04-07, 3:2 2007-09-11, 4:1 2021-07-20,
///   10:1 2024-06-10 (NVIDIA investor FAQ; record date 2024-06-06, distributed 2024-06-07).
/// - TSLA 5:1 2020-08-31, 3:1 2022-08-25. AMZN 20:1 2022-06-06. GOOGL 20:1 2022-07-18.
/// - WMT 3:1 2024-02-26. AVGO 10:1 2024-07-15. MSFT 2:1 2003-02-18.
/// - NFLX 7:1 2015-07-15, 10:1 2025-11-17 (record 2025-11-10, distributed after the close
///   on 2025-11-14, per Netflix's 2025-10-30 release).
/// - V 4:1 2015-03-19 (record 2015-02-13, distributed 2015-03-18). MA 10:1 2014-01-22
///   (distributed 2014-01-21). BRK.B 50:1 2010-01-21. KO 2:1 2012-08-13. SBUX 2:1 2015-04-09.
///   NKE 2:1 2015-12-24.
///
/// Left out on purpose: Alphabet's 2014 distribution of Class C shares (a new share class,
/// not a split of GOOGL); splits before 2000 (outside the calendar); and splits whose date we
/// could not pin to a day (e.g. ORCL's and INTC's 2000 splits). `HistoricalSplitsTests` checks
/// every row is a trading day of a listed stock with a valid ratio.
public enum HistoricalSplits {
    /// One row: symbol, effective date (YYYY-MM-DD), shares before, shares after.
    struct Row: Sendable {
        let symbol: String
        let effective: String
        let from: Int64
        let to: Int64

        init(_ symbol: String, _ effective: String, _ from: Int64, _ to: Int64) {
            self.symbol = symbol
            self.effective = effective
            self.from = from
            self.to = to
        }
    }

    static let rows: [Row] = [
        Row("AAPL", "2000-06-21", 1, 2), Row("AAPL", "2005-02-28", 1, 2), Row("AAPL", "2014-06-09", 1, 7),
        Row("AAPL", "2020-08-31", 1, 4),
        Row("NVDA", "2000-06-27", 1, 2), Row("NVDA", "2001-09-17", 1, 2), Row("NVDA", "2006-04-07", 1, 2),
        Row("NVDA", "2007-09-11", 2, 3), Row("NVDA", "2021-07-20", 1, 4), Row("NVDA", "2024-06-10", 1, 10),
        Row("TSLA", "2020-08-31", 1, 5), Row("TSLA", "2022-08-25", 1, 3),
        Row("AMZN", "2022-06-06", 1, 20),
        Row("GOOGL", "2022-07-18", 1, 20),
        Row("WMT", "2024-02-26", 1, 3),
        Row("AVGO", "2024-07-15", 1, 10),
        Row("MSFT", "2003-02-18", 1, 2),
        Row("NFLX", "2015-07-15", 1, 7), Row("NFLX", "2025-11-17", 1, 10),
        Row("V", "2015-03-19", 1, 4),
        Row("MA", "2014-01-22", 1, 10),
        Row("BRK.B", "2010-01-21", 1, 50),
        Row("KO", "2012-08-13", 1, 2),
        Row("SBUX", "2015-04-09", 1, 2),
        Row("NKE", "2015-12-24", 1, 2),
    ]

    /// Every row by symbol, parsed once, for the price model (as-traded prices before each
    /// effective date). A row that does not parse is a bug in this table.
    static let bySymbol: [String: [DatedSplit]] = Dictionary(grouping: rows, by: \.symbol).mapValues { rows in
        rows.map { row in
            do {
                return DatedSplit(
                    effectiveDate: try CalendarDate(parsing: row.effective), ratio: try SplitRatio(from: row.from, to: row.to))
            } catch {
                preconditionFailure("historical split \(row.symbol) \(row.effective) is invalid: \(error)")
            }
        }
    }

    /// The rows as corporate actions (status `REFERENCE`), for the stocks `universe` lists.
    /// A row that does not parse, names an unknown stock or falls on a closed day is a bug in
    /// this table: it stops the process at start-up (and `HistoricalSplitsTests` catches it first).
    public static func actions(universe: StockUniverse, dates: CorporateActionDates) -> [CorporateAction] {
        rows.compactMap { row in
            guard let stock = universe.stock(symbol: row.symbol) else { return nil }
            do {
                let effective = try CalendarDate(parsing: row.effective)
                precondition(dates.isTradingDay(effective), "historical split \(row.symbol) \(effective) is not a trading day")
                let (record, payable) = try dates.splitDates(effectiveDate: effective)
                let terms = SplitTerms(
                    ratio: try SplitRatio(from: row.from, to: row.to), recordDate: record, payableDate: payable, effectiveDate: effective)
                return CorporateAction(
                    id: CorporateActionID(trusted: StockUniverse.derivedUUID("brokergate:split:\(row.symbol):\(effective)")),
                    stockID: stock.id, symbol: stock.symbol, source: .historical, status: .reference, terms: .split(terms),
                    createdAt: CorporateAction.instant(effective), created: nil, cancelled: nil)
            } catch {
                preconditionFailure("historical split \(row.symbol) \(row.effective) is invalid: \(error)")
            }
        }
    }
}
