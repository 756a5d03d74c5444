import Foundation

/// Split adjustment of the simulated market's prices.
///
/// The model's walk knows nothing of splits the gateway applies (`SplitApplier`). Once one is
/// applied, every figure asked for at an instant on or after its effective date (New York) is
/// divided by the ratio (× from ÷ to), sizes and volumes multiplied by it: the price, quotes,
/// the previous close and **every bar of a chart, history included**, as data vendors adjust
/// history, so a chart spanning the split shows no cliff and a holder's value is continuous.
/// A figure asked for at an instant before the effective date stays as it was then (the
/// split applier reads the previous close that way). Prices round to the nearest cent (half
/// up), never below one cent. Historical splits (REFERENCE) are already in the walk's prices
/// and are never registered.
extension PriceModel {
    /// One applied split of a symbol.
    struct AppliedSplit: Sendable, Hashable {
        let effectiveDate: CalendarDate
        let ratio: SplitRatio
    }

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

        func shares(_ count: Int64) -> Int64 {
            isIdentity ? count : Int64(Int128(count) * to / from)
        }
    }

    /// Records that the gateway applied `ratio` to `symbol` from `effectiveDate`; a repeat
    /// changes nothing. Each model instance keeps its own list (a test builds its own model).
    public func registerSplit(symbol: String, effectiveDate: CalendarDate, ratio: SplitRatio) {
        appliedSplits.withLock { splits in
            let split = AppliedSplit(effectiveDate: effectiveDate, ratio: ratio)
            if splits[symbol]?.contains(split) != true { splits[symbol, default: []].append(split) }
        }
    }

    /// The product of the ratios of `stock`'s applied splits effective on or before the New
    /// York date of `instant`.
    func splitFactor(_ stock: Stock, at instant: Date) -> SplitFactor {
        guard let splits = appliedSplits.withLock({ $0[stock.symbol] }), !splits.isEmpty else { return SplitFactor() }
        let today = calendar.calendarDate(of: instant)
        return splits.filter { $0.effectiveDate <= today }.reduce(into: SplitFactor()) { factor, split in
            factor.from *= Int128(split.ratio.from)
            factor.to *= Int128(split.ratio.to)
        }
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
