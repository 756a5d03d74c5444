import Foundation

/// Split adjustment of the simulated market's prices. The walk itself is in today's share
/// count (adjusted for every historical split); one factor per query instant turns it into
/// what traded then, and the chart asked at that instant is drawn in the same scale.
///
/// - **Historical splits** (`HistoricalSplits`): every figure asked for at an instant before
///   a split's effective date (New York) is **as traded then**: prices multiplied by the
///   ratio (× to ÷ from), sizes and volumes divided by it. AAPL's close on 2020-08-28 is four
///   times the walk's; from 2020-08-31 on it is the walk's. At today's date every historical
///   split is past, so only a sandbox clock moved back sees pre-split prices. They are never
///   registered: `SplitApplier` applies one to holders when the clock crosses it, and this
///   rule already prices it, so registering it too would adjust twice.
/// - **Splits the gateway applies** (operator splits, `registerSplit`): every figure asked for
///   at an instant on or after the effective date is divided by the ratio (× from ÷ to), sizes
///   and volumes multiplied by it.
///
/// Both adjust the price, quotes, the previous close and **every bar of a chart, history
/// included**, by the factor of the instant asked about, as data vendors adjust history: a
/// chart spanning a split shows no cliff and a holder's value is continuous. Prices round to
/// the nearest cent (half up), never below one cent; sizes round down, never below one share.
/// The factor changes at 00:00 New York of an effective date, when no session runs; the split
/// applier brings holdings to the new count within its next pass (about a second).
/// A split of one symbol as the price model reads it: the day it takes effect and its ratio.
struct DatedSplit: Sendable, Hashable {
    let effectiveDate: CalendarDate
    let ratio: SplitRatio
}

extension PriceModel {
    /// Cumulative ratio: multiply prices by `from`, divide by `to`.
    struct SplitFactor: Sendable, Equatable {
        var from: Int128 = 1
        var to: Int128 = 1
        var isIdentity: Bool { from == to }

        func price(_ amount: Amount) -> Amount {
            guard !isIdentity else { return amount }
            let minimum = Int128(Amount.powerOfTen(max(0, amount.scale - 2)))
            let adjusted = (amount.units * from * 2 + to) / (to * 2)
            return Amount(units: max(minimum, adjusted), scale: amount.scale)
        }

        /// Sizes and volumes: rounded down, but a positive count stays at least one share.
        func shares(_ count: Int64) -> Int64 {
            guard !isIdentity, count > 0 else { return count }
            return max(1, Int64(Int128(count) * to / from))
        }
    }

    /// Records that the gateway applied `ratio` to `symbol` from `effectiveDate`; a repeat
    /// changes nothing. Each model instance keeps its own list (a test builds its own model).
    public func registerSplit(symbol: String, effectiveDate: CalendarDate, ratio: SplitRatio) {
        appliedSplits.withLock { splits in
            let split = DatedSplit(effectiveDate: effectiveDate, ratio: ratio)
            if splits[symbol]?.contains(split) != true { splits[symbol, default: []].append(split) }
        }
    }

    /// The factor of `instant` (New York date): the ratios of `stock`'s historical splits
    /// effective after it (as traded then) times the inverse ratios of its applied splits
    /// effective on or before it.
    func splitFactor(_ stock: Stock, at instant: Date) -> SplitFactor {
        let today = calendar.calendarDate(of: instant)
        var factor = SplitFactor()
        for split in HistoricalSplits.bySymbol[stock.symbol] ?? [] where split.effectiveDate > today {
            factor.from *= Int128(split.ratio.to)
            factor.to *= Int128(split.ratio.from)
        }
        for split in appliedSplits.withLock({ $0[stock.symbol] }) ?? [] where split.effectiveDate <= today {
            factor.from *= Int128(split.ratio.from)
            factor.to *= Int128(split.ratio.to)
        }
        return factor
    }
}

extension PricePoint {
    func splitAdjusted(_ factor: PriceModel.SplitFactor) -> PricePoint {
        factor.isIdentity ? self : PricePoint(price: factor.price(price), asOf: asOf)
    }
}

extension Quote {
    func splitAdjusted(_ factor: PriceModel.SplitFactor) -> Quote {
        guard !factor.isIdentity else { return self }
        return Quote(
            bid: factor.price(bid), ask: factor.price(ask), bidSizeShares: factor.shares(bidSizeShares),
            askSizeShares: factor.shares(askSizeShares), asOf: asOf)
    }
}

extension PriceBar {
    func splitAdjusted(_ factor: PriceModel.SplitFactor) -> PriceBar {
        guard !factor.isIdentity else { return self }
        return PriceBar(
            start: start, open: factor.price(open), high: factor.price(high), low: factor.price(low), close: factor.price(close),
            volumeShares: factor.shares(volumeShares))
    }
}

extension DaySummary {
    func splitAdjusted(_ factor: PriceModel.SplitFactor) -> DaySummary {
        guard !factor.isIdentity else { return self }
        return DaySummary(
            price: price.splitAdjusted(factor), day: day, regularSession: regularSession?.splitAdjusted(factor),
            previousClose: previousClose.map(factor.price))
    }
}
