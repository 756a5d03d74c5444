import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014) used as a counter-based hash: the random draw for
/// (stock, day, minute) is a pure function of those integers. That is what lets any replica,
/// after any restart, compute any instant's price directly, without replaying a generator.
enum SplitMix64 {
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A well-mixed draw for `counter` in `stream` of the walk seeded by `seed`.
    static func draw(seed: UInt64, _ stream: RandomStream, _ counter: Int) -> UInt64 {
        mix(mix(seed ^ (stream.rawValue &* 0x9E37_79B9_7F4A_7C15)) &+ UInt64(bitPattern: Int64(counter)))
    }

    /// A draw mapped to `-range...range` (the modulo bias is below 2^-50: irrelevant here).
    static func uniform(_ draw: UInt64, range: Int64) -> Int64 {
        Int64(draw % UInt64(2 * range + 1)) - range
    }
}

/// Independent families of draws, so a change to one (say, volumes) never moves another (prices).
enum RandomStream: UInt64 {
    case dailyReturn = 1
    case minuteStep = 2
    case minuteVolume = 3
    case quoteSize = 4
}

/// `numerator / denominator` rounded half away from zero, for `denominator > 0`. Every price
/// rounding goes through here so that all replicas round alike.
func divideRounded(_ numerator: Int64, _ denominator: Int64) -> Int64 {
    precondition(denominator > 0, "divideRounded needs a positive denominator")
    let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
    guard remainder.magnitude * 2 >= denominator.magnitude else { return quotient }
    return numerator < 0 ? quotient - 1 : quotient + 1
}

/// Every NYSE trading day the model covers, numbered from 0 (2000-01-03) through the first
/// trading day after 2040-12-31. A day's draws are keyed by this small stable number.
struct TradingDayIndex: Sendable {
    static let nyse = TradingDayIndex(calendar: .nyse)

    let days: [TradingDay]

    init(calendar: TradingCalendar) {
        do {
            // The calendar's own range, so neither call can be out of range.
            var days = try calendar.tradingDays(from: calendar.firstDate, through: calendar.lastDate)
            days.append(try calendar.nextTradingDay(after: calendar.lastDate))
            self.days = days
        } catch {
            preconditionFailure("the trading calendar cannot list its own range: \(error)")
        }
    }

    /// Index of the first trading day on or after `date` (`days.count` when there is none).
    func firstIndex(onOrAfter date: CalendarDate) -> Int {
        var low = 0
        var high = days.count
        while low < high {
            let mid = (low + high) >> 1
            if days[mid].date < date { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Index of the trading day on `date`, or nil when `date` does not trade.
    func index(of date: CalendarDate) -> Int? {
        let found = firstIndex(onOrAfter: date)
        return found < days.count && days[found].date == date ? found : nil
    }
}

/// One trading day's minute-by-minute price path, from the day's first session (overnight,
/// 20:00 ET the evening before) to its last (after-hours close).
///
/// The path is a random walk of small basis-point steps (larger in the regular session than
/// in extended hours), bent into a Brownian bridge so that it starts exactly at this day's
/// anchor and ends exactly at the next day's: `P(m) = start + (end - start)·m/L
/// + start·(W(m) - W(L)·m/L)/10⁴`, `W(m)` being the sum of the first `m` steps. Point `m`
/// (0...L) is the price during minute `m` of the window; point `L` is the price after close.
struct DayWalk {
    let stock: Stock
    let dayIndex: Int
    let day: TradingDay
    let startCents: Int64
    let endCents: Int64
    /// Minutes in the window (1440, or 1260 on an early-close day).
    let minutes: Int
    let regularOpenMinute: Int
    let regularCloseMinute: Int

    /// No intraday price goes below one cent.
    static let floorCents: Int64 = 1
    /// Dollar volume of a regular session, in cents, that minute volumes are scaled to:
    /// $2B for a stock and $10B for an ETF (a synthetic order of magnitude, not market data).
    static func sessionDollarVolumeCents(_ kind: Stock.Kind) -> Int64 {
        kind == .etf ? 1_000_000_000_000 : 200_000_000_000
    }

    init(stock: Stock, dayIndex: Int, day: TradingDay, startCents: Int64, endCents: Int64) {
        self.stock = stock
        self.dayIndex = dayIndex
        self.day = day
        self.startCents = startCents
        self.endCents = endCents
        minutes = Self.minutes(from: day.overnightOpen, to: day.afterHoursClose)
        regularOpenMinute = Self.minutes(from: day.overnightOpen, to: day.regularOpen)
        regularCloseMinute = Self.minutes(from: day.overnightOpen, to: day.regularClose)
        // Counters pack (day, minute) as day << 11 | minute: a window must fit in 2048 minutes.
        precondition(0 < regularOpenMinute && regularOpenMinute < regularCloseMinute && regularCloseMinute < minutes && minutes < 2048)
    }

    /// Whole minutes between two session boundaries (always whole: sessions start on the minute).
    static func minutes(from start: Date, to end: Date) -> Int {
        Int(end.timeIntervalSince(start)) / 60
    }

    /// The minute of the window `instant` falls in (the instant must be inside the window).
    func minute(of instant: Date) -> Int {
        min(minutes - 1, max(0, Int(instant.timeIntervalSince(day.overnightOpen).rounded(.down)) / 60))
    }

    /// The instant minute `minute` starts.
    func instant(ofMinute minute: Int) -> Date {
        day.overnightOpen.addingTimeInterval(TimeInterval(minute * 60))
    }

    func isRegular(minute: Int) -> Bool {
        (regularOpenMinute..<regularCloseMinute).contains(minute)
    }

    /// The step of minute `minute`, in basis points: uniform in ±vol/20 in the regular session
    /// (±7 bps for a 150-bps stock) and a third of that in extended hours, where trading is thin.
    func stepBps(minute: Int) -> Int64 {
        let regularRange = max(1, stock.dailyVolatilityBps / 20)
        let range = isRegular(minute: minute) ? regularRange : max(1, regularRange / 3)
        return SplitMix64.uniform(SplitMix64.draw(seed: stock.seed, .minuteStep, dayIndex << 11 | minute), range: range)
    }

    /// The price at point `minute` (0...minutes), in cents: one pass over the day's steps.
    func cents(atMinute minute: Int) -> Int64 {
        precondition((0...minutes).contains(minute))
        if minute == minutes { return endCents }
        var walkAtMinute: Int64 = 0
        var walkTotal: Int64 = 0
        for step in 0..<minutes {
            if step == minute { walkAtMinute = walkTotal }
            walkTotal += stepBps(minute: step)
        }
        return cents(minute: minute, walkAtMinute: walkAtMinute, walkTotal: walkTotal)
    }

    /// The walk's running totals in basis points: `totals[m]` sums the steps before minute
    /// `m`, `totals[minutes]` is the whole day's. One pass over the day's draws.
    func runningTotals() -> [Int64] {
        var totals = [Int64](repeating: 0, count: minutes + 1)
        for step in 0..<minutes { totals[step + 1] = totals[step] + stepBps(minute: step) }
        return totals
    }

    /// The price at point `minute` from this day's `runningTotals()`: no pass over the draws.
    func cents(atMinute minute: Int, totals: [Int64]) -> Int64 {
        precondition((0...minutes).contains(minute) && totals.count == minutes + 1)
        if minute == minutes { return endCents }
        return cents(minute: minute, walkAtMinute: totals[minute], walkTotal: totals[minutes])
    }

    /// Every point of the day, `minutes + 1` prices in cents: what bars are built from.
    func allCents() -> [Int64] {
        let totals = runningTotals()
        return (0...minutes).map { cents(minute: $0, walkAtMinute: totals[$0], walkTotal: totals[minutes]) }
    }

    /// The bridge formula, in integers: |start · W · L| stays below 2^50 for any price under
    /// $1M, so nothing overflows.
    private func cents(minute: Int, walkAtMinute: Int64, walkTotal: Int64) -> Int64 {
        let length = Int64(minutes)
        let point = Int64(minute)
        let drift = (endCents - startCents) * point * 10_000
        let bridge = startCents * (walkAtMinute * length - walkTotal * point)
        return max(Self.floorCents, startCents + divideRounded(drift + bridge, length * 10_000))
    }

    /// Shares traded in minute `minute`: the session's dollar volume spread over its minutes,
    /// ±50% per minute; extended-hours minutes trade a twentieth of a regular minute.
    func volumeShares(minute: Int) -> Int64 {
        let perRegularMinute = Self.sessionDollarVolumeCents(stock.kind) / stock.basePriceCents / 390
        let base = isRegular(minute: minute) ? perRegularMinute : perRegularMinute / 20
        let draw = SplitMix64.draw(seed: stock.seed, .minuteVolume, dayIndex << 11 | minute)
        return base * Int64(50 + draw % 101) / 100
    }

    /// Open, high, low and close over points `first...last` of `points` (this day's
    /// `allCents()`), with the volume of minutes `first..<last`.
    func bar(_ points: [Int64], first: Int, last: Int) -> PriceBar {
        precondition(0 <= first && first <= last && last <= minutes && points.count == minutes + 1)
        let window = points[first...last]
        let volume = (first..<last).reduce(Int64(0)) { $0 + volumeShares(minute: $1) }
        return PriceBar(
            start: instant(ofMinute: first), open: .cents(points[first]), high: .cents(window.max()!),
            low: .cents(window.min()!), close: .cents(points[last]), volumeShares: volume)
    }
}

extension Amount {
    /// A USD price from whole cents.
    static func cents(_ cents: Int64) -> Amount {
        Amount(units: Int128(cents), scale: 2)
    }
}
