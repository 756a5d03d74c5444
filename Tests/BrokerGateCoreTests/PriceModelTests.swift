import Foundation
import Testing

@testable import BrokerGateCore

// Instants are written in UTC. Around Thanksgiving 2026 New York is on EST (UTC-5):
// Friday 2026-11-27 is an early close (regular 14:30Z-18:00Z, after-hours to 22:00Z) and
// Monday 2026-11-30's overnight session opens on Sunday at 20:00 ET = 2026-11-30T01:00Z.

private let model = PriceModel.standard
private let universe = StockUniverse.standard
private let aapl = universe.stock(symbol: "AAPL")!

private func utc(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

private func price(_ text: String, _ stock: Stock = aapl) throws -> Amount {
    try model.price(of: stock, at: utc(text)).price
}

// MARK: - Point prices

@Test func test_price_sameInstant_samePrice_onIndependentModels() throws {
    // Two models share nothing (caches included), like two replicas.
    let first = PriceModel(universe: .standard)
    let second = PriceModel(universe: .standard)
    for text in ["2000-01-03T15:00:00Z", "2013-06-14T19:59:00Z", "2026-11-30T15:07:30Z", "2040-12-31T20:00:00Z"] {
        for stock in universe.stocks {
            #expect(try first.price(of: stock, at: utc(text)) == second.price(of: stock, at: utc(text)), "\(stock.symbol) \(text)")
        }
    }
}

@Test func test_price_isFlat_whileClosed_overTheWeekendAfterAnEarlyClose() throws {
    let closed = try price("2026-11-27T22:00:00Z")  // after-hours end, 17:00 ET
    for text in ["2026-11-27T23:30:00Z", "2026-11-28T15:00:00Z", "2026-11-29T18:00:00Z", "2026-11-30T00:59:59Z"] {
        #expect(try price(text) == closed, "\(text)")
    }
    // The next session starts from exactly that price: the day anchors join the sessions.
    #expect(try price("2026-11-30T01:00:00Z") == closed)
}

@Test func test_price_isFlat_onThanksgiving() throws {
    let closed = try price("2026-11-26T01:00:00Z")  // Wednesday's after-hours end, 20:00 ET
    for text in ["2026-11-26T05:00:00Z", "2026-11-26T17:00:00Z", "2026-11-27T00:59:00Z", "2026-11-27T01:00:00Z"] {
        #expect(try price(text) == closed, "\(text)")
    }
}

@Test func test_price_movesDuringEverySessionKind() throws {
    // Overnight, pre-market, regular and after-hours minutes of Monday 2026-11-30.
    for (start, minutes) in [
        ("2026-11-30T02:00:00Z", 60), ("2026-11-30T10:00:00Z", 60), ("2026-11-30T15:00:00Z", 60), ("2026-11-30T22:00:00Z", 60),
    ] {
        let prices = try (0..<minutes).map { try model.price(of: aapl, at: utc(start).addingTimeInterval(Double($0 * 60))).price }
        #expect(Set(prices).count > 5, "no movement from \(start)")
    }
}

@Test func test_price_fromTheKeptDayTotals_isTheDaysWalk_evenAsDaysAlternate() throws {
    // A fresh model keeps one day's running totals per symbol; asking two days in turn
    // replaces them every time. Each answer must be the walk's own pass over its draws.
    let fresh = PriceModel(universe: .standard)
    let days = ["2026-11-30T01:00:00Z", "2013-06-14T08:00:00Z", "2026-11-27T01:00:00Z"]
    for stock in universe.stocks.prefix(6) {
        for minute in stride(from: 0, to: 1_260, by: 37) {
            for day in days {
                let instant = utc(day).addingTimeInterval(Double(minute * 60))
                let moment = try fresh.moment(of: stock, at: instant)
                let walk = try #require(moment.walk)
                let walked = PricePoint(price: .cents(walk.cents(atMinute: moment.minute)), asOf: moment.asOf)
                let expected = walked.splitAdjusted(fresh.splitFactor(stock, at: instant))
                #expect(try fresh.price(of: stock, at: instant) == expected, "\(stock.symbol) \(instant)")
            }
        }
    }
}

@Test func test_price_isConstantWithinAMinute_andStampedAtItsStart() throws {
    let early = try model.price(of: aapl, at: utc("2026-11-30T15:31:00Z"))
    let late = try model.price(of: aapl, at: utc("2026-11-30T15:31:59Z"))
    #expect(early == late)
    #expect(early.asOf == utc("2026-11-30T15:31:00Z"))
    #expect(try model.price(of: aapl, at: utc("2026-11-28T15:00:00Z")).asOf == utc("2026-11-27T22:00:00Z"))
}

@Test func test_price_isExactWithTwoDecimals_forEveryStock() throws {
    for stock in universe.stocks {
        let point = try model.price(of: stock, at: utc("2026-11-30T16:00:00Z"))
        #expect(point.price.scale == 2 && point.price.isPositive, "\(stock.symbol)")
        #expect(try model.price(symbol: stock.symbol, at: utc("2026-11-30T16:00:00Z")) == point.price)
    }
    #expect(throws: DomainError.self) { try model.price(symbol: "NOPE", at: utc("2026-11-30T16:00:00Z")) }
}

@Test func test_prices_stayPositiveAndNearTheirBase_from2000to2040() {
    for stock in universe.stocks {
        let anchors = model.anchorTable(for: stock)
        #expect(anchors.count == TradingDayIndex.nyse.days.count + 1)
        let (low, high) = (anchors.min()!, anchors.max()!)
        #expect(low >= stock.basePriceCents / 4 && high <= stock.basePriceCents * 3, "\(stock.symbol): \(low)...\(high)")
    }
}

@Test func test_price_outsideTheCalendar_throws() {
    #expect(throws: CalendarError.self) { try model.price(of: aapl, at: utc("1999-12-31T15:00:00Z")) }
    #expect(throws: CalendarError.self) { try model.price(of: aapl, at: utc("2041-01-02T15:00:00Z")) }
}

@Test func test_priceLookups_atAnyInstant2000to2040_areCheap() throws {
    // O(1)-ish: no lookup may replay the walk from 2000. 2,000 lookups at scattered instants
    // take ~0.1 s in a debug build; the bound only catches a change of complexity.
    var state: UInt64 = 42
    let span = utc("2040-12-31T00:00:00Z").timeIntervalSince(utc("2000-01-01T05:00:00Z"))
    let started = ContinuousClock.now
    for _ in 0..<2_000 {
        state = SplitMix64.mix(state)
        let instant = utc("2000-01-01T05:00:00Z").addingTimeInterval(Double(state % UInt64(span)))
        let stock = universe.stocks[Int(state >> 40) % universe.stocks.count]
        #expect(try model.price(of: stock, at: instant).price.isPositive)
    }
    #expect(ContinuousClock.now - started < .seconds(30))
}

// MARK: - Quotes

@Test func test_quote_bracketsThePrice_withRoundLots_wider_inExtendedHours() throws {
    let regular = try model.quote(of: aapl, at: utc("2026-11-30T16:00:00Z"))
    #expect(try model.quote(symbol: "AAPL", at: utc("2026-11-30T16:00:00Z")) == regular)
    let mid = try price("2026-11-30T16:00:00Z")
    #expect(regular.bid < mid && mid < regular.ask)
    let premarket = try model.quote(of: aapl, at: utc("2026-11-30T12:00:00Z"))
    let spread = { (quote: Quote) in quote.ask.units - quote.bid.units }
    #expect(spread(premarket) > spread(regular))
    for quote in [regular, premarket] {
        #expect(quote.bidSizeShares > 0 && quote.bidSizeShares % 100 == 0 && quote.askSizeShares % 100 == 0)
        #expect(quote.bid.scale == 2 && quote.ask.scale == 2)
    }
    // While closed, the last session's closing quote stands.
    let saturday = try model.quote(of: aapl, at: utc("2026-11-28T15:00:00Z"))
    #expect(saturday == (try model.quote(of: aapl, at: utc("2026-11-29T15:00:00Z"))))
    #expect(saturday.asOf == utc("2026-11-27T22:00:00Z"))
}

// MARK: - Bars

/// Every bar is well formed, and each bar's open is the point price at its start.
private func checkConsistency(_ bars: [PriceBar], _ stock: Stock = aapl) throws {
    for bar in bars {
        #expect(bar.low <= bar.open && bar.open <= bar.high && bar.low <= bar.close && bar.close <= bar.high)
        #expect(bar.volumeShares >= 0)
        #expect(try model.price(of: stock, at: bar.start).price == bar.open, "open at \(bar.start)")
    }
    #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.start < $1.start })
}

@Test func test_dayChart_onSaturday_isFridaysWholeEarlyCloseWindow_in5MinuteBars() throws {
    let bars = try model.bars(of: aapl, timespan: .day, endingAt: utc("2026-11-28T15:00:00Z"))
    #expect(bars.count == 21 * 12)  // 20:00 Thursday to 17:00 Friday ET
    #expect(try model.bars(symbol: "aapl", timespan: .day, endingAt: utc("2026-11-28T15:00:00Z")) == bars)
    #expect(bars.first?.start == utc("2026-11-27T01:00:00Z"))
    #expect(bars.last?.start == utc("2026-11-27T21:55:00Z"))
    #expect(zip(bars, bars.dropFirst()).allSatisfy { $1.start.timeIntervalSince($0.start) == 300 })
    #expect(bars.last?.close == (try price("2026-11-28T15:00:00Z")))
    try checkConsistency(bars)
}

@Test func test_weekChart_isHourlyBars_overTheLast5TradingDays() throws {
    let bars = try model.bars(of: aapl, timespan: .week, endingAt: utc("2026-11-28T15:00:00Z"))
    // Friday 11/20, Monday-Wednesday 11/23-25 (24 hours each), early-close Friday 11/27 (21).
    #expect(bars.count == 4 * 24 + 21)
    #expect(bars.first?.start == utc("2026-11-20T01:00:00Z"))
    try checkConsistency(bars)
}

@Test func test_monthAndYearCharts_haveOneRegularSessionBarPerTradingDay() throws {
    let saturday = utc("2026-11-28T15:00:00Z")
    let nyse = TradingCalendar.nyse
    for (timespan, first) in [(BarTimespan.month, "2026-10-28"), (.year, "2025-11-28")] {
        let bars = try model.bars(of: aapl, timespan: timespan, endingAt: saturday)
        let days = try nyse.tradingDays(from: CalendarDate(parsing: first), through: CalendarDate(parsing: "2026-11-27"))
        #expect(bars.map(\.start) == days.map(\.regularOpen), "\(timespan)")
        // A daily bar closes at the regular close: 13:00 ET on the early-close Friday.
        #expect(bars.last?.close == (try price("2026-11-27T18:00:00Z")))
        try checkConsistency(bars)
    }
}

@Test func test_charts_duringTheRegularSession_endAtTheCurrentPrice() throws {
    let now = utc("2026-11-30T15:07:30Z")
    let current = try price("2026-11-30T15:07:30Z")
    for timespan in BarTimespan.allCases {
        let bars = try model.bars(of: aapl, timespan: timespan, endingAt: now)
        #expect(bars.last?.close == current, "\(timespan)")
        #expect(bars.allSatisfy { $0.start <= now })
    }
    let month = try model.bars(of: aapl, timespan: .month, endingAt: now)
    #expect(month.last?.start == utc("2026-11-30T14:30:00Z"))
}

@Test func test_dailyCharts_beforeTheRegularOpen_endWithThePreviousDay() throws {
    let bars = try model.bars(of: aapl, timespan: .month, endingAt: utc("2026-11-30T12:00:00Z"))
    #expect(bars.last?.start == utc("2026-11-27T14:30:00Z"))
}

// MARK: - Summary

@Test func test_summary_duringTheSession_reportsTodaysRegularSessionAndPreviousClose() throws {
    let summary = try model.summary(of: aapl, at: utc("2026-11-30T16:00:00Z"))
    #expect(summary.day?.date == (try CalendarDate(parsing: "2026-11-30")))
    #expect(summary.regularSession?.open == (try price("2026-11-30T14:30:00Z")))
    #expect(summary.regularSession?.close == summary.price.price)
    #expect(summary.previousClose == (try price("2026-11-27T18:00:00Z")))
    let change = try #require(summary.change)
    #expect(change.units == summary.price.price.units - summary.previousClose!.units)
    let percent = try #require(summary.changePercent)
    #expect(percent.scale == 2 && (percent.units - change.units * 10_000 / summary.previousClose!.units).magnitude <= 1)
}

@Test func test_summary_onSaturday_describesFriday_andBeforeTheOpen_hasNoSessionYet() throws {
    let saturday = try model.summary(of: aapl, at: utc("2026-11-28T15:00:00Z"))
    #expect(saturday.day?.date == (try CalendarDate(parsing: "2026-11-27")))
    #expect(saturday.regularSession?.close == (try price("2026-11-27T18:00:00Z")))
    #expect(saturday.previousClose == (try price("2026-11-25T21:00:00Z")))
    let premarket = try model.summary(of: aapl, at: utc("2026-11-30T12:00:00Z"))
    #expect(premarket.regularSession == nil)
    #expect(premarket.previousClose == (try price("2026-11-27T18:00:00Z")))
}

@Test func test_monthsBefore_clampsToTheTargetMonthsLength() throws {
    let date = { (text: String) in try CalendarDate(parsing: text) }
    #expect(PriceModel.date(try date("2026-03-31"), monthsBefore: 1) == (try date("2026-02-28")))
    #expect(PriceModel.date(try date("2024-03-31"), monthsBefore: 1) == (try date("2024-02-29")))
    #expect(PriceModel.date(try date("2026-01-15"), monthsBefore: 1) == (try date("2025-12-15")))
    #expect(PriceModel.date(try date("2024-02-29"), monthsBefore: 12) == (try date("2023-02-28")))
    #expect(PriceModel.date(try date("2000-01-01"), monthsBefore: -120) == (try date("2010-01-01")))
}
