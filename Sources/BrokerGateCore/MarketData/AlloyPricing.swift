import Foundation

/// Alloy prices, computed exactly from the constituents' model prices at the same instant.
///
/// Every stock's day walk spans the same minutes of the same trading day, so the basket's
/// value at point `m` of a day is `Σ quantity × cents(m)`: bars are built from those summed
/// points exactly as a stock's are built from its own (`DayWalk.bar`), so an alloy's high is
/// the basket's highest value, not the sum of the constituents' highs.
extension PriceModel {
    /// The alloy's value at `instant`: `Σ quantity × price`, exact at 6 decimals, with the
    /// instant those prices took effect (the same for every constituent).
    public func price(of alloy: Alloy, at instant: Date) throws -> PricePoint {
        let points = try alloy.constituents.map { try price(of: $0.stock, at: instant) }
        let units = zip(alloy.constituents, points).reduce(Int128(0)) { sum, pair in
            sum + pair.0.quantity.units * pair.1.price.units
        }
        return PricePoint(price: Self.basketAmount(units), asOf: points.map(\.asOf).max() ?? instant)
    }

    /// The alloy's `timespan` chart ending at `instant`, oldest first; `DAY` (5-minute bars)
    /// and `WEEK` (hourly bars), the spans Dinari offers for alloys. Same buckets as a stock's.
    public func bars(of alloy: Alloy, timespan: BarTimespan, endingAt instant: Date) throws -> [PriceBar] {
        guard let first = alloy.constituents.first else { return [] }
        let moment = try self.moment(of: first.stock, at: instant)
        guard let last = moment.walk else { return [] }
        let (days, bucketMinutes): (ClosedRange<Int>, Int)
        switch timespan {
        case .day: (days, bucketMinutes) = (last.dayIndex...last.dayIndex, 5)
        case .week: (days, bucketMinutes) = (max(0, last.dayIndex - 4)...last.dayIndex, 60)
        case .month, .year: throw DomainError.invalidField("timespan", "alloys chart DAY or WEEK only (got \(timespan.rawValue))")
        }
        return days.flatMap { dayIndex -> [PriceBar] in
            guard let walk = dayWalk(first.stock, dayIndex) else { return [] }
            let end = dayIndex == last.dayIndex ? moment.minute : walk.minutes
            let points = basketPoints(alloy, dayIndex: dayIndex)
            return stride(from: 0, to: min(walk.minutes, end + 1), by: bucketMinutes).map { start in
                let window = points[start...min(start + bucketMinutes, end)]
                return PriceBar(
                    start: walk.instant(ofMinute: start), open: Self.basketAmount(window.first!), high: Self.basketAmount(window.max()!),
                    low: Self.basketAmount(window.min()!), close: Self.basketAmount(window.last!), volumeShares: 0)
            }
        }
    }

    /// The basket's value at every point of trading day `dayIndex`, in 6-decimal units.
    private func basketPoints(_ alloy: Alloy, dayIndex: Int) -> [Int128] {
        alloy.constituents.reduce(into: [Int128]()) { sum, constituent in
            guard let walk = dayWalk(constituent.stock, dayIndex) else { return }
            let cents = walk.allCents()
            if sum.isEmpty { sum = [Int128](repeating: 0, count: cents.count) }
            for point in cents.indices { sum[point] += constituent.quantity.units * Int128(cents[point]) }
        }
    }

    /// Quantity units (4 decimals) times cents (2 decimals): an exact 6-decimal amount.
    static func basketAmount(_ units: Int128) -> Amount {
        Amount(units: units, scale: 6)
    }
}
