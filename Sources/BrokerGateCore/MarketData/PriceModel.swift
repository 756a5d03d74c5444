import Foundation
import Synchronization

/// A price and the instant it took effect (the start of its minute, or the close of the last
/// session while the market is closed).
public struct PricePoint: Sendable, Hashable {
    public let price: Amount
    public let asOf: Date
}

/// A two-sided quote: bid and ask prices (exact, 2 decimals) and sizes in shares.
public struct Quote: Sendable, Hashable {
    public let bid: Amount
    public let ask: Amount
    public let bidSizeShares: Int64
    public let askSizeShares: Int64
    public let asOf: Date
}

/// Open, high, low and close over a window starting at `start`, and the shares traded in it.
/// `close` is the price at the window's end (for the window in progress: the current price),
/// so every point price inside the window lies within `low...high`.
public struct PriceBar: Sendable, Hashable {
    public let start: Date
    public let open: Amount
    public let high: Amount
    public let low: Amount
    public let close: Amount
    public let volumeShares: Int64
}

/// The chart spans of Dinari's `historical_prices` (`timespan`): how far back a chart reaches.
/// Each picks its bar size, as charting front ends expect:
/// - `DAY`: 5-minute bars over the current (or last) trading day, all of its sessions;
/// - `WEEK`: 1-hour bars over the last 5 trading days, all sessions;
/// - `MONTH`: daily bars (regular session) over the trading days of the last month;
/// - `YEAR`: daily bars (regular session) over the trading days of the last year.
public enum BarTimespan: String, Sendable, CaseIterable {
    case day = "DAY"
    case week = "WEEK"
    case month = "MONTH"
    case year = "YEAR"
}

/// What a ticker shows at one instant: the price, the regular session's open/high/low/close
/// so far on the current (or last) trading day, and the previous trading day's close.
public struct DaySummary: Sendable {
    public let price: PricePoint
    /// The trading day the figures belong to: the one whose sessions contain the instant, or
    /// the last one to have ended. Nil before the first covered trading day.
    public let day: TradingDay?
    /// The day's regular session so far; nil before its regular open.
    public let regularSession: PriceBar?
    /// The regular-session close of the trading day before `day`.
    public let previousClose: Amount?

    /// `price - previousClose`.
    public var change: Amount? {
        previousClose.map { Amount(units: price.price.units - $0.units, scale: 2) }
    }

    /// The change in percent of the previous close, with 2 decimals (`1.23` = 1.23 %), rounded
    /// half away from zero: a display figure, never used to move money.
    public var changePercent: Amount? {
        guard let previous = previousClose, previous.isPositive, let change else { return nil }
        return Amount(units: Int128(divideRounded(Int64(change.units) * 10_000, Int64(previous.units))), scale: 2)
    }
}

/// Deterministic simulated prices for every stock of the universe, at any instant of the
/// trading calendar (2000-2040). Same stock, same instant: same price, on every replica.
///
/// The model, in two layers:
/// 1. Day anchors. Each trading day starts (at its 20:00 ET overnight open) from an anchor;
///    the next day's anchor adds a daily return drawn from the stock's volatility, pulled
///    back towards `basePriceCents` (mean reversion) so prices stay realistic over 41
///    years. The anchors of a stock are computed once, on first use, for all ~10,300 trading
///    days (~31k draws, well under a millisecond) and kept: that is the cached prefix.
/// 2. Minutes. Within a day, `DayWalk` bridges from the day's anchor to the next one with a
///    random walk at minute resolution. Outside every session the price stays at the last
///    session's final value: it moves only while a session runs.
///
/// Cost per lookup: one binary search in the session table, one in the day index, and one
/// pass over the day's ≤ 1,440 minute draws (SplitMix64: a few nanoseconds each). Bars cost
/// one such pass per trading day they cover (a YEAR chart: ~252 passes). All arithmetic is
/// integer, in cents and basis points; prices are exact `Amount`s at scale 2, never below 1 cent.
public final class PriceModel: Sendable {
    /// The model over the standard universe and the NYSE calendar.
    public static let standard = PriceModel(universe: .standard)

    public let universe: StockUniverse
    let calendar: TradingCalendar
    let index: TradingDayIndex
    /// Day anchors per symbol, filled on first use; never evicted (~80 KB per stock).
    private let anchorTables = Mutex<[String: [Int64]]>([:])
    /// The running totals of the last day priced, per symbol (`runningTotals(of:)`; ~11 KB each).
    private let dayTotals = Mutex<[String: (dayIndex: Int, totals: [Int64])]>([:])
    /// Splits the gateway applied, per symbol (`registerSplit`): prices are adjusted by them
    /// (`PriceModel+Splits.swift`, which also prices historical splits as traded).
    let appliedSplits = Mutex<[String: [DatedSplit]]>([:])

    /// Pull towards the base price: 1/64 of the relative deviation per day. Over 41 years that
    /// keeps a 160-bps stock within about 0.7x-1.35x of its base and a 450-bps one within
    /// 0.3x-2x: realistic swings, and never a $230 stock at $3 or $3,000 by 2040.
    static let meanReversionDivisor: Int64 = 64

    /// A model over `universe`, on the NYSE calendar (the only exchange the gateway routes to).
    public init(universe: StockUniverse) {
        self.universe = universe
        self.calendar = .nyse
        self.index = .nyse
    }

    // MARK: - Queries

    // The `symbol:` forms throw `DomainError.notFound` for an unknown symbol; every query
    // throws `CalendarError.outOfRange` for an instant outside the calendar.

    /// The price of `symbol` at `instant`.
    public func price(symbol: String, at instant: Date) throws -> Amount {
        try price(of: stock(symbol), at: instant).price
    }

    /// The quote of `symbol` at `instant` (see `quote(of:at:)`).
    public func quote(symbol: String, at instant: Date) throws -> Quote {
        try quote(of: stock(symbol), at: instant)
    }

    /// The `timespan` chart of `symbol` ending at `instant` (see `bars(of:timespan:endingAt:)`).
    public func bars(symbol: String, timespan: BarTimespan, endingAt instant: Date) throws -> [PriceBar] {
        try bars(of: stock(symbol), timespan: timespan, endingAt: instant)
    }

    private func stock(_ symbol: String) throws -> Stock {
        guard let stock = universe.stock(symbol: symbol) else { throw DomainError.notFound("stock \(symbol.prefix(12))") }
        return stock
    }

    /// The price of `stock` at `instant`, with the instant it took effect.
    public func price(of stock: Stock, at instant: Date) throws -> PricePoint {
        let moment = try self.moment(of: stock, at: instant)
        return PricePoint(price: .cents(moment.cents()), asOf: moment.asOf).splitAdjusted(splitFactor(stock, at: instant))
    }

    /// The quote at `instant`. The spread is one basis point of the price in the regular
    /// session (at least a cent each side), ten in extended hours; sizes are round lots drawn
    /// per minute. While closed, the last session's final quote stands.
    public func quote(of stock: Stock, at instant: Date) throws -> Quote {
        let moment = try self.moment(of: stock, at: instant)
        let mid = moment.cents()
        let regular = moment.walk.map { $0.isRegular(minute: moment.minute) } ?? false
        let halfSpread = max(1, mid * (regular ? 1 : 10) / 20_000)
        let draw = SplitMix64.draw(seed: stock.seed, .quoteSize, (moment.walk?.dayIndex ?? 0) << 11 | moment.minute)
        let lots = Int64(regular ? 10 : 3)
        return Quote(
            bid: .cents(max(DayWalk.floorCents, mid - halfSpread)), ask: .cents(mid + halfSpread),
            bidSizeShares: (Int64(draw % UInt64(lots)) + 1) * 100, askSizeShares: (Int64((draw >> 32) % UInt64(lots)) + 1) * 100,
            asOf: moment.asOf
        ).splitAdjusted(splitFactor(stock, at: instant))
    }

    /// The price, the regular session so far and the previous close at `instant`.
    public func summary(of stock: Stock, at instant: Date) throws -> DaySummary {
        let moment = try self.moment(of: stock, at: instant)
        let price = PricePoint(price: .cents(moment.cents()), asOf: moment.asOf)
        guard let walk = moment.walk else {
            return DaySummary(price: price, day: nil, regularSession: nil, previousClose: nil).splitAdjusted(
                splitFactor(stock, at: instant))
        }
        let session =
            moment.minute >= walk.regularOpenMinute
            ? walk.bar(walk.allCents(), first: walk.regularOpenMinute, last: min(walk.regularCloseMinute, moment.minute)) : nil
        let previousClose = walk.dayIndex > 0 ? dayWalk(stock, walk.dayIndex - 1).map { $0.cents(atMinute: $0.regularCloseMinute) } : nil
        return DaySummary(price: price, day: walk.day, regularSession: session, previousClose: previousClose.map(Amount.cents))
            .splitAdjusted(splitFactor(stock, at: instant))
    }

    /// Bars for a `timespan` chart ending at `instant` (see `BarTimespan`), oldest first. The
    /// last bar is the one in progress; its close is the price at `instant`.
    /// Every bar is in the share count of `instant` (`splitFactor`), as data vendors adjust
    /// history: bars before a split effective by then are adjusted by it.
    public func bars(of stock: Stock, timespan: BarTimespan, endingAt instant: Date) throws -> [PriceBar] {
        let factor = splitFactor(stock, at: instant)
        return try rawBars(of: stock, timespan: timespan, endingAt: instant).map { $0.splitAdjusted(factor) }
    }

    private func rawBars(of stock: Stock, timespan: BarTimespan, endingAt instant: Date) throws -> [PriceBar] {
        let moment = try self.moment(of: stock, at: instant)
        guard let last = moment.walk else { return [] }
        switch timespan {
        case .day:
            return intradayBars(of: [last], lastMinute: moment.minute, bucketMinutes: 5)
        case .week:
            let walks = (max(0, last.dayIndex - 4)...last.dayIndex).compactMap { dayWalk(stock, $0) }
            return intradayBars(of: walks, lastMinute: moment.minute, bucketMinutes: 60)
        case .month, .year:
            let cutoff = Self.date(last.day.date, monthsBefore: timespan == .month ? 1 : 12)
            let first = index.firstIndex(onOrAfter: cutoff.adding(days: 1))
            let walks = (first...last.dayIndex).compactMap { dayWalk(stock, $0) }
            return dailyBars(of: walks, lastMinute: moment.minute)
        }
    }

    // MARK: - Building blocks

    /// Where an instant falls for one stock: in minute `minute` of `walk`'s day, or, while
    /// closed, at the end point (`minute == walk.minutes`) of the last day to have ended.
    struct Moment {
        let walk: DayWalk?
        let minute: Int
        let asOf: Date
        let firstAnchorCents: Int64
        /// The walk's `runningTotals()`, when the moment is inside its day.
        var totals: [Int64]? = nil

        func cents() -> Int64 {
            guard let walk else { return firstAnchorCents }
            guard let totals else { return walk.cents(atMinute: minute) }
            return walk.cents(atMinute: minute, totals: totals)
        }
    }

    func moment(of stock: Stock, at instant: Date) throws -> Moment {
        let state = try calendar.state(at: instant)
        let anchors = anchorTable(for: stock)
        if let day = state.tradingDay, let dayIndex = index.index(of: day.date), let walk = dayWalk(stock, dayIndex, anchors) {
            let minute = walk.minute(of: instant)
            return Moment(
                walk: walk, minute: minute, asOf: walk.instant(ofMinute: minute), firstAnchorCents: anchors[0],
                totals: runningTotals(of: walk))
        }
        // Closed: the last trading day to have ended is the one before the next to start.
        let previous = index.firstIndex(onOrAfter: state.nextSession.date) - 1
        guard previous >= 0, let walk = dayWalk(stock, previous, anchors) else {
            return Moment(walk: nil, minute: 0, asOf: instant, firstAnchorCents: anchors[0])
        }
        return Moment(walk: walk, minute: walk.minutes, asOf: walk.day.afterHoursClose, firstAnchorCents: anchors[0])
    }

    func dayWalk(_ stock: Stock, _ dayIndex: Int, _ anchors: [Int64]? = nil) -> DayWalk? {
        guard index.days.indices.contains(dayIndex) else { return nil }
        let anchors = anchors ?? anchorTable(for: stock)
        return DayWalk(
            stock: stock, dayIndex: dayIndex, day: index.days[dayIndex], startCents: anchors[dayIndex],
            endCents: anchors[dayIndex + 1])
    }

    /// Bars of `bucketMinutes` over each day's window; the last day stops at `lastMinute`.
    private func intradayBars(of walks: [DayWalk], lastMinute: Int, bucketMinutes: Int) -> [PriceBar] {
        walks.enumerated().flatMap { offset, walk in
            let end = offset == walks.count - 1 ? lastMinute : walk.minutes
            let points = walk.allCents()
            return stride(from: 0, to: min(walk.minutes, end + 1), by: bucketMinutes).map { first in
                walk.bar(points, first: first, last: min(first + bucketMinutes, end))
            }
        }
    }

    /// One regular-session bar per day; the last day stops at `lastMinute`, and is left out
    /// before its regular open.
    private func dailyBars(of walks: [DayWalk], lastMinute: Int) -> [PriceBar] {
        walks.enumerated().compactMap { offset, walk in
            let end = offset == walks.count - 1 ? min(lastMinute, walk.regularCloseMinute) : walk.regularCloseMinute
            guard end >= walk.regularOpenMinute else { return nil }
            return walk.bar(walk.allCents(), first: walk.regularOpenMinute, last: end)
        }
    }

    /// The running totals of `walk`'s day (`DayWalk.runningTotals`), kept for the last day
    /// priced per symbol: every price asked within a trading day then costs a lookup instead
    /// of a pass over the day's ≤ 1,440 draws (3 % of a portfolio read's CPU, stop 40).
    /// Totals depend only on the stock and the day, so a kept one is never stale.
    func runningTotals(of walk: DayWalk) -> [Int64] {
        if let kept = dayTotals.withLock({ $0[walk.stock.symbol] }), kept.dayIndex == walk.dayIndex { return kept.totals }
        let totals = walk.runningTotals()
        dayTotals.withLock { $0[walk.stock.symbol] = (walk.dayIndex, totals) }
        return totals
    }

    /// The anchors of `stock` (index `i`: the price at the start of trading day `i`; one more
    /// than there are days). Computed outside the lock: two first callers may both compute
    /// it, which is harmless (same result) and never blocks other stocks.
    func anchorTable(for stock: Stock) -> [Int64] {
        if let table = anchorTables.withLock({ $0[stock.symbol] }) { return table }
        let table = Self.anchors(of: stock, dayCount: index.days.count)
        return anchorTables.withLock { tables in
            if let existing = tables[stock.symbol] { return existing }
            tables[stock.symbol] = table
            return table
        }
    }

    /// The daily anchor walk: each day's return is the sum of three uniform draws in
    /// ±volatility (a bell-ish curve with that standard deviation), minus the pull towards the
    /// base price. Never below a tenth of the base price.
    static func anchors(of stock: Stock, dayCount: Int) -> [Int64] {
        let base = stock.basePriceCents
        let floorCents = max(DayWalk.floorCents, base / 10)
        var anchors: [Int64] = [base]
        anchors.reserveCapacity(dayCount + 1)
        var price = base
        for day in 0..<dayCount {
            let noiseBps = (0..<3).reduce(Int64(0)) { sum, draw in
                sum + SplitMix64.uniform(SplitMix64.draw(seed: stock.seed, .dailyReturn, day * 3 + draw), range: stock.dailyVolatilityBps)
            }
            let deviationBps = (price - base) * 10_000 / base
            let returnBps = noiseBps - deviationBps / meanReversionDivisor
            price = max(floorCents, price + divideRounded(price * returnBps, 10_000))
            anchors.append(price)
        }
        return anchors
    }

    /// `date` moved back `months` calendar months, the day clamped to the target month's
    /// length (2026-03-31 minus one month is 2026-02-28).
    static func date(_ date: CalendarDate, monthsBefore months: Int) -> CalendarDate {
        let monthIndex = date.year * 12 + (date.month - 1) - months
        let (year, month) = (monthIndex / 12, monthIndex % 12 + 1)
        var day = date.day
        while day > 28, (try? CalendarDate(year: year, month: month, day: day)) == nil { day -= 1 }
        // Every month has a 28th, so this only falls back for years outside 1...9999.
        return (try? CalendarDate(year: year, month: month, day: day)) ?? date
    }
}
