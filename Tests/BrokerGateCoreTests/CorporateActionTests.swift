import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// The corporate-action calendar: the historical splits table, the stated dividend model,
/// the operator's input rules and the cancel-before-ex rule, against a real (memory) store.
struct CorporateActionTests {
    static let dates = CorporateActionDates(calendar: .nyse)
    /// Monday 2026-11-30 10:00 New York.
    static let today = try! CalendarDate(parsing: "2026-11-30")
    static let aapl = StockUniverse.standard.stock(symbol: "AAPL")!
    static let operatorKey = Principal(
        organization: Organization(id: .generate(), name: "Ops", role: .operator, createdAt: TradingFixture.saturday),
        keyID: APIKeyID(parsing: "op")!)

    static func date(_ text: String) -> CalendarDate { try! CalendarDate(parsing: text) }

    // MARK: - Historical splits

    @Test func test_historicalSplits_everyRow_isATradingDayOfAListedStock_withAValidRatio() throws {
        for row in HistoricalSplits.rows {
            #expect(StockUniverse.standard.stock(symbol: row.symbol) != nil, "\(row.symbol) is not in the universe")
            let effective = try CalendarDate(parsing: row.effective)
            #expect(try TradingCalendar.nyse.isTradingDay(effective), "\(row.symbol) \(effective) is not a trading day")
            let ratio = try SplitRatio(from: row.from, to: row.to)
            #expect(ratio.to > ratio.from, "\(row.symbol) \(effective): every listed split is a forward split")
        }
        let actions = HistoricalSplits.actions(universe: .standard, dates: Self.dates)
        #expect(actions.count == HistoricalSplits.rows.count)
        #expect(Set(actions.map(\.id)).count == actions.count, "ids are unique")
        #expect(actions.allSatisfy { $0.status == .reference && $0.source == .historical })
        for action in actions {
            let split = try #require(action.split)
            #expect(split.recordDate <= split.payableDate && split.payableDate < split.effectiveDate)
        }
    }

    @Test(arguments: [
        ("AAPL", "2020-08-31", 1, 4), ("TSLA", "2022-08-25", 1, 3), ("AMZN", "2022-06-06", 1, 20), ("GOOGL", "2022-07-18", 1, 20),
        ("NVDA", "2024-06-10", 1, 10), ("NVDA", "2007-09-11", 2, 3), ("AAPL", "2014-06-09", 1, 7), ("TSLA", "2020-08-31", 1, 5),
        ("NVDA", "2021-07-20", 1, 4), ("WMT", "2024-02-26", 1, 3), ("AVGO", "2024-07-15", 1, 10),
    ])
    func test_historicalSplits_holdTheWellKnownOnes(symbol: String, effective: String, from: Int64, to: Int64) {
        #expect(HistoricalSplits.rows.contains { $0.symbol == symbol && $0.effective == effective && $0.from == from && $0.to == to })
    }

    @Test func test_historicalSplits_leaveOutAlphabets2014ClassCDistribution() {
        #expect(!HistoricalSplits.rows.contains { $0.symbol == "GOOGL" && $0.effective.hasPrefix("2014") })
    }

    // MARK: - Dividend model

    @Test func test_dividendModel_ratesNameListedStocks() {
        for symbol in DividendModel.standard.rates.keys {
            #expect(StockUniverse.standard.stock(symbol: symbol) != nil, "\(symbol) is not in the universe")
        }
        #expect(DividendModel.standard.rates["AMZN"] == nil && DividendModel.standard.rates["SPY"] == nil)
        #expect(DividendModel.standard.rates["AAPL"]?.amountPerShareUnits == 260_000)
    }

    @Test func test_dividendModel_datesAreTradingDays_ordered_quarterly_andSettlementAware() throws {
        for stock in StockUniverse.standard.stocks where DividendModel.standard.rates[stock.symbol] != nil {
            for year in [2023, 2024, 2025, 2026, 2039] {
                let dividends = try DividendModel.standard.dividends(
                    of: stock, exFrom: Self.date("\(year)-01-01"), through: Self.date("\(year)-12-31"), dates: Self.dates)
                #expect(dividends.count == 4, "\(stock.symbol) \(year): a quarterly payer pays four times a year")
                for action in dividends {
                    let dividend = try #require(action.dividend)
                    for day in [dividend.declaredDate, dividend.exDate, dividend.recordDate, dividend.payDate] {
                        #expect(try TradingCalendar.nyse.isTradingDay(day), "\(stock.symbol) \(day) is not a trading day")
                    }
                    #expect(dividend.declaredDate < dividend.exDate && dividend.exDate <= dividend.recordDate)
                    #expect(dividend.recordDate < dividend.payDate)
                    #expect(dividend.exDate.day >= DividendModel.exDayOfMonth)
                    let sameDay = dividend.exDate >= CorporateActionDates.tPlusOneSettlementStart
                    #expect((dividend.recordDate == dividend.exDate) == sameDay, "T+1 from 2024-05-28, T+2 before")
                    #expect(dividend.kind == .regular && dividend.currency == "USD")
                }
            }
        }
    }

    @Test func test_dividendModel_isTheSameOnEveryCall() throws {
        let first = try DividendModel.standard.dividends(
            of: Self.aapl, exFrom: Self.date("2026-01-01"), through: Self.date("2026-12-31"), dates: Self.dates)
        let again = try DividendModel.standard.dividends(
            of: Self.aapl, exFrom: Self.date("2026-01-01"), through: Self.date("2026-12-31"), dates: Self.dates)
        #expect(first == again)
        // Cycle 2: February, May, August, November; 2026-02-10 is a Tuesday.
        #expect(first.map(\.exDate.description) == ["2026-02-10", "2026-05-11", "2026-08-10", "2026-11-10"])
    }

    // MARK: - Operator input

    static func dividend(
        amount: String = "0.5", declared: String? = nil, ex: String? = "2026-12-14", record: String? = "2026-12-14",
        pay: String? = "2026-12-28"
    ) -> CorporateActionRequest {
        CorporateActionRequest(
            stockID: aapl.id.rawValue, type: "CASH_DIVIDEND", cashAmount: try! Amount(parsingAtNaturalScale: amount),
            declaredDate: declared, exDate: ex, recordDate: record, payDate: pay)
    }

    static func split(from: Int64 = 1, to: Int64 = 4, effective: String? = "2026-12-14") -> CorporateActionRequest {
        CorporateActionRequest(
            stockID: aapl.id.rawValue, type: "SPLIT", splitFrom: Amount(units: Int128(from), scale: 0),
            splitTo: Amount(units: Int128(to), scale: 0),
            effectiveDate: effective)
    }

    static let badRequests: [(CorporateActionRequest, String, String)] = [
        (CorporateActionRequest(stockID: nil, type: "SPLIT"), "invalid_field", "stock_id"),
        (CorporateActionRequest(stockID: UUID().uuidString, type: "SPLIT"), "invalid_field", "stock_id"),
        (CorporateActionRequest(stockID: aapl.id.rawValue, type: "MERGER"), "invalid_field", "type"),
        (dividend(amount: "0.1234567"), "amount_too_precise", "cash_amount"),
        (dividend(amount: "0"), "amount_not_positive", "cash_amount"),
        (dividend(amount: "-1"), "amount_not_positive", "cash_amount"),
        (dividend(amount: "10000.01"), "amount_too_large", "cash_amount"),
        (dividend(ex: nil), "invalid_field", "ex_date"),
        (dividend(ex: "2026-13-01"), "invalid_field", "ex_date"),
        (dividend(ex: "2026-12-25"), "not_a_trading_day", "ex_date 2026-12-25"),
        (dividend(record: "2026-12-11"), "corporate_action_dates_out_of_order", "record_date"),
        (dividend(pay: "2026-12-11"), "corporate_action_dates_out_of_order", "pay_date"),
        (dividend(declared: "2026-12-01"), "declared_date_in_future", "declared_date"),
        (dividend(ex: "2026-11-30", record: "2026-11-30"), "date_not_in_future", "ex_date"),
        (split(from: 2, to: 2), "split_ratio_one_to_one", "split_from"),
        (split(from: 2, to: 8), "split_ratio_not_reduced", "split_from=1, split_to=4"),
        (split(from: 0), "invalid_field", "split_from"),
        (split(to: 20_000), "invalid_field", "split_to"),
        (split(effective: "2026-11-30"), "date_not_in_future", "effective_date"),
        (split(effective: "2026-11-28"), "not_a_trading_day", "effective_date"),
        (split(effective: nil), "invalid_field", "effective_date"),
        (
            CorporateActionRequest(
                stockID: aapl.id.rawValue, type: "SPLIT", splitFrom: try! Amount(parsingAtNaturalScale: "1.5"),
                splitTo: Amount(units: 2, scale: 0),
                effectiveDate: "2026-12-14"), "invalid_field", "split_from"
        ),
        (
            CorporateActionRequest(
                stockID: aapl.id.rawValue, type: "SPLIT", cashAmount: Amount(units: 1, scale: 0), splitFrom: Amount(units: 1, scale: 0),
                splitTo: Amount(units: 2, scale: 0),
                effectiveDate: "2026-12-14"),
            "invalid_field", "cash_amount"
        ),
    ]

    @Test(arguments: badRequests)
    func test_operatorInput_thatBreaksARule_isRefused_namingTheField(
        request: CorporateActionRequest, code: String, names: String
    ) async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let error = await #expect(throws: DomainError.self) {
            try await fixture.store.transaction { tx in try await calendar.create(request, by: Self.operatorKey, in: tx) }
        }
        #expect(error?.code == code)
        #expect(error?.message.contains(names) == true, "\(error?.message ?? "") should name \(names)")
        let stored = try await fixture.store.read { tx in
            try await tx.countDocuments(CorporateAction.self, query: DocumentQuery(owner: .house))
        }
        #expect(stored == 0, "a refused request changes nothing")
    }

    @Test func test_partnerKey_cannotCreate() async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        await #expect(throws: DomainError.operatorOnly) {
            try await fixture.store.transaction { tx in try await calendar.create(Self.split(), by: fixture.principal, in: tx) }
        }
    }

    @Test func test_reverseSplit_andSpecialDividend_areAccepted() async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let special = {
            var request = Self.dividend()
            request.dividendType = "SC"
            return request
        }()
        let (reverse, dividend) = try await fixture.store.transaction { tx in
            (
                try await calendar.create(Self.split(from: 10, to: 1), by: Self.operatorKey, in: tx),
                try await calendar.create(special, by: Self.operatorKey, in: tx)
            )
        }
        #expect(reverse.split?.ratio.isReverse == true && reverse.status == .scheduled && reverse.source == .operator)
        #expect(reverse.split?.payableDate == Self.date("2026-12-11"))
        #expect(dividend.dividend?.kind == .special && dividend.dividend?.declaredDate == Self.today)
        #expect(dividend.dividend?.amountPerShareUnits == 500_000)
    }

    // MARK: - Cancel before ex

    @Test func test_cancel_isAllowedOnlyBeforeTheExDate() async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let action = try await fixture.store.transaction { tx in try await calendar.create(Self.dividend(), by: Self.operatorKey, in: tx) }
        try CorporateActionCalendar.requireCancellable(action, today: Self.date("2026-12-11"))
        for day in ["2026-12-14", "2026-12-15"] {
            #expect(throws: DomainError.self) { try CorporateActionCalendar.requireCancellable(action, today: Self.date(day)) }
        }
        // On the ex date the gateway refuses, naming the rule.
        fixture.clock.set(Date(timeIntervalSince1970: 1_796_050_800 + 14 * 86_400))
        let error = await #expect(throws: DomainError.self) {
            try await fixture.store.transaction { tx in try await calendar.cancel(action.id, by: Self.operatorKey, in: tx) }
        }
        #expect(error?.code == "corporate_action_past_ex_date")
        #expect(error?.message.contains("ex date 2026-12-14") == true)
    }

    @Test func test_cancel_ofHistoryOrTwice_isRefused() async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let historical = try #require(HistoricalSplits.actions(universe: .standard, dates: Self.dates).first)
        await #expect(throws: DomainError.self) {
            try await fixture.store.transaction { tx in try await calendar.cancel(historical.id, by: Self.operatorKey, in: tx) }
        }
        let action = try await fixture.store.transaction { tx in try await calendar.create(Self.split(), by: Self.operatorKey, in: tx) }
        let cancelled = try await fixture.store.transaction { tx in try await calendar.cancel(action.id, by: Self.operatorKey, in: tx) }
        #expect(cancelled.status == .cancelled && cancelled.cancelled != nil)
        let again = await #expect(throws: DomainError.self) {
            try await fixture.store.transaction { tx in try await calendar.cancel(action.id, by: Self.operatorKey, in: tx) }
        }
        #expect(again?.code == "corporate_action_cancelled")
        await #expect(throws: DomainError.notFound("corporate action")) {
            try await fixture.store.transaction { tx in try await calendar.cancel(.generate(), by: Self.operatorKey, in: tx) }
        }
    }

    // MARK: - One calendar for market data and the scheduler

    @Test func test_marketData_andDue_seeOperatorAndModelActions_butNotCancelledOrHistorical() async throws {
        let fixture = TradingFixture()
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let store = fixture.store
        let (dividend, split, cancelledSplit) = try await store.transaction { tx in
            (
                try await calendar.create(Self.dividend(), by: Self.operatorKey, in: tx),
                try await calendar.create(Self.split(), by: Self.operatorKey, in: tx),
                try await calendar.create(Self.split(from: 1, to: 2, effective: "2026-12-15"), by: Self.operatorKey, in: tx)
            )
        }
        _ = try await store.transaction { tx in try await calendar.cancel(cancelledSplit.id, by: Self.operatorKey, in: tx) }
        let (dividends, splits, due) = try await store.read { tx in
            (
                try await calendar.dividends(stockID: Self.aapl.id.rawValue, in: tx),
                try await calendar.splits(stockID: Self.aapl.id.rawValue, page: .init(limit: 100), in: tx),
                try await calendar.due(.effectiveDate, after: Self.date("2026-11-30"), through: Self.date("2026-12-31"), in: tx)
            )
        }
        #expect(dividends.contains { $0.action.id == dividend.id })
        // The model's AAPL dividend of 2026-11-10 was declared in October: listed.
        #expect(dividends.contains { $0.action.source == .model && $0.terms.exDate == Self.date("2026-11-10") })
        #expect(splits.items.map(\.action.id).contains(split.id))
        #expect(!splits.items.map(\.action.id).contains(cancelledSplit.id))
        #expect(splits.items.contains { $0.terms.effectiveDate == Self.date("2020-08-31") && $0.terms.ratio.to == 4 })
        #expect(due.map(\.id) == [split.id], "only the scheduled split is due; cancelled and historical ones never are")
        let payable = try await store.read { tx in
            try await calendar.due(.payDate, after: Self.date("2026-11-30"), through: Self.date("2026-12-31"), in: tx)
        }
        #expect(payable.contains { $0.id == dividend.id })
        #expect(payable.allSatisfy { $0.dividend != nil && $0.status == .scheduled })
    }

    @Test func test_aModelDividend_canBeCancelledBeforeItsExDate_andThenLeavesMarketData() async throws {
        // 2026-11-02: AAPL's model dividend of 2026-11-10 is declared (2026-10-13) and not yet ex.
        let fixture = TradingFixture(now: Date(timeIntervalSince1970: 1_796_050_800 - 28 * 86_400))
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let model = try #require(
            try await fixture.store.read { tx in try await calendar.dividends(stockID: Self.aapl.id.rawValue, in: tx) }.last)
        #expect(model.action.source == .model && model.terms.exDate == Self.date("2026-11-10"))
        let cancelled = try await fixture.store.transaction { tx in try await calendar.cancel(model.action.id, by: Self.operatorKey, in: tx)
        }
        #expect(cancelled.status == .cancelled && cancelled.source == .model)
        let after = try await fixture.store.read { tx in try await calendar.dividends(stockID: Self.aapl.id.rawValue, in: tx) }
        #expect(!after.contains { $0.action.id == model.action.id })
    }
}
