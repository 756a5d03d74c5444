import Foundation
import Testing

@testable import BrokerGateCore

// Historical splits are priced as traded: before an effective date (New York) prices are the
// walk's times the ratio, sizes divided by it; a chart is drawn in the scale of the instant it
// is asked at. AAPL split 4:1 effective Monday 2020-08-31 (EDT: the close is 20:00Z); NVDA
// 10:1 effective Monday 2024-06-10.

private let model = PriceModel.standard
private let aapl = StockUniverse.standard.stock(symbol: "AAPL")!
private let nvda = StockUniverse.standard.stock(symbol: "NVDA")!

private func utc(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

/// The daily bars of `stock`'s MONTH chart asked at `instant`, by their start.
private func monthBars(_ stock: Stock, at instant: String) throws -> [Date: PriceBar] {
    Dictionary(uniqueKeysWithValues: try model.bars(of: stock, timespan: .month, endingAt: utc(instant)).map { ($0.start, $0) })
}

@Test func test_aaplsCloseBeforeItsSplit_isFourTimesTheAdjustedClose() throws {
    let close = utc("2020-08-28T20:00:00Z")
    let asTraded = try model.price(of: aapl, at: close).price
    #expect(asTraded.units == Int128(try model.moment(of: aapl, at: close).cents()) * 4, "4 × the walk, which is in today's shares")
    let adjusted = try #require(
        try monthBars(aapl, at: "2020-08-31T20:00:00Z").values.first { $0.start < close && close.timeIntervalSince($0.start) < 86_400 })
    #expect(asTraded.units == adjusted.close.units * 4)
    // From the effective date on, the walk as it is; the previous close there is adjusted.
    let monday = try model.summary(of: aapl, at: utc("2020-08-31T14:00:00Z"))
    #expect(monday.price.price.units == Int128(try model.moment(of: aapl, at: utc("2020-08-31T14:00:00Z")).cents()))
    #expect(monday.previousClose == adjusted.close)
    // Today every historical split is past: nothing changes.
    #expect(model.splitFactor(aapl, at: utc("2026-11-30T16:00:00Z")).isIdentity)
}

@Test func test_aChartAcrossASplit_isInTheScaleOfItsInstant_withoutACliff() throws {
    let after = try monthBars(aapl, at: "2020-09-15T20:00:00Z").values.sorted { $0.start < $1.start }
    for (previous, next) in zip(after, after.dropFirst()) {
        // A day's move, never the split's ×4: within a fifth of the day before.
        #expect(abs(next.close.units - previous.close.units) * 5 < previous.close.units, "\(next.start)")
    }
    // Asked before the split, every bar is as traded: 4 × the same day asked after it.
    let before = try monthBars(aapl, at: "2020-08-28T20:00:00Z"), adjusted = try monthBars(aapl, at: "2020-08-31T20:00:00Z")
    let shared = Set(before.keys).intersection(adjusted.keys)
    #expect(shared.count >= 15)
    for start in shared {
        let (old, new) = (before[start]!, adjusted[start]!)
        #expect(old.close.units == new.close.units * 4 && old.low.units == new.low.units * 4, "\(start)")
        #expect(old.volumeShares == max(1, new.volumeShares / 4), "\(start)")
    }
}

@Test func test_nvdaQuoteBeforeItsTenForOneSplit_hasTenfoldPrices_andATenthOfTheSizes() throws {
    let friday = utc("2024-06-07T16:00:00Z"), monday = utc("2024-06-10T16:00:00Z")
    #expect(model.splitFactor(nvda, at: friday) == PriceModel.SplitFactor(from: 10, to: 1))
    let quote = try model.quote(of: nvda, at: friday)
    for size in [quote.bidSizeShares, quote.askSizeShares] {
        #expect((10...100).contains(size) && size % 10 == 0, "a tenth of round lots of 100: \(size)")
    }
    let mid = Int128(try model.moment(of: nvda, at: friday).cents()) * 10
    #expect(quote.bid.units < mid && mid < quote.ask.units)
    let after = try model.quote(of: nvda, at: monday)
    #expect(after.bidSizeShares % 100 == 0 && after.askSizeShares % 100 == 0, "round lots again from the effective date")
    #expect(after.ask.units == Int128(try model.moment(of: nvda, at: monday).cents()) + (after.ask.units - after.bid.units) / 2)
}

@Test func test_splitFactors_composeEveryLaterHistoricalSplit_andOperatorSplits() throws {
    // NVDA in 2007 before its 3:2: × 3/2 × 4 × 10.
    #expect(model.splitFactor(nvda, at: utc("2007-09-10T16:00:00Z")) == PriceModel.SplitFactor(from: 120, to: 2))
    let own = PriceModel(universe: .standard)
    own.registerSplit(symbol: "AAPL", effectiveDate: try CalendarDate(parsing: "2026-12-07"), ratio: try SplitRatio(from: 1, to: 2))
    #expect(own.splitFactor(aapl, at: utc("2020-08-28T16:00:00Z")) == PriceModel.SplitFactor(from: 4, to: 1))
    #expect(own.splitFactor(aapl, at: utc("2026-12-07T16:00:00Z")) == PriceModel.SplitFactor(from: 1, to: 2))
}
