import Foundation

/// The part of a trading day an instant falls in. Raw values are the wire spelling.
///
/// A trading day D (America/New_York) is split into back-to-back sessions:
/// overnight 20:00 on the calendar day before D → 04:00 D, pre-market 04:00 → 09:30,
/// regular 09:30 → 16:00 (13:00 on early closes), after-hours → 20:00 (17:00 on early
/// closes). Everything else — weekends, holidays, the night before a non-trading day, and
/// 17:00-20:00 after an early close — is `closed`.
public enum MarketSession: String, Sendable, Codable, CaseIterable {
    /// 20:00-04:00 ET into a trading day; limit orders only.
    case overnight = "OVERNIGHT"
    /// 04:00-09:30 ET; limit orders only.
    case preMarket = "PRE_MARKET"
    /// 09:30-16:00 ET (13:00 on early closes); market and limit orders.
    case regular = "REGULAR"
    /// 16:00-20:00 ET (13:00-17:00 on early closes); limit orders only.
    case afterHours = "AFTER_HOURS"
    /// No session: nothing is routed to the broker.
    case closed = "CLOSED"
}

/// One NYSE trading day and the instants at which each of its sessions starts and ends.
///
/// The sessions are contiguous: `overnightOpen` < `preMarketOpen` < `regularOpen` <
/// `regularClose` < `afterHoursClose`. `overnightOpen` is 20:00 ET on the calendar day
/// before `date`: the overnight session runs only into a trading day, so a Monday's opens on
/// Sunday 20:00 and nothing opens on Friday 20:00. Where the previous calendar day trades
/// too, this is the instant its after-hours session ends (no gap).
public struct TradingDay: Sendable, Hashable {
    /// The New York civil date of the trading day.
    public let date: CalendarDate
    /// 20:00 ET on the calendar day before `date`.
    public let overnightOpen: Date
    /// 04:00 ET.
    public let preMarketOpen: Date
    /// 09:30 ET.
    public let regularOpen: Date
    /// 16:00 ET, or 13:00 ET on an early close day.
    public let regularClose: Date
    /// 20:00 ET, or 17:00 ET on an early close day.
    public let afterHoursClose: Date
    /// Whether the regular session ends at 13:00 ET.
    public let isEarlyClose: Bool

    /// Start and end (exclusive) of `session` on this day; nil for `.closed`.
    public func interval(of session: MarketSession) -> (start: Date, end: Date)? {
        switch session {
        case .overnight: (overnightOpen, preMarketOpen)
        case .preMarket: (preMarketOpen, regularOpen)
        case .regular: (regularOpen, regularClose)
        case .afterHours: (regularClose, afterHoursClose)
        case .closed: nil
        }
    }
}

/// Where the market stands at one instant: everything an order router and the Dinari
/// `GET /api/v2/market_data/market_hours` response need.
///
/// "Session" in Dinari's field names means a whole trading day (its overnight, pre-market,
/// regular and after-hours parts), so:
/// - `currentSession` is the trading day whose window [`overnightOpen`, `afterHoursClose`)
///   contains the instant — also during its overnight and pre-market parts, before its
///   regular open — and nil when no session is running (weekend, holiday, Friday night,
///   17:00-20:00 after an early close).
/// - `nextSession` is the trading day after `currentSession`, or, when nothing is running,
///   the first trading day that starts after the instant.
///
/// Dinari field mapping: `current_session_open_dt`/`close_dt`/`pre_market_open_time_dt`/
/// `after_hours_close_time_dt`/`overnight_open_time_dt` ← `currentSession`'s `regularOpen`/
/// `regularClose`/`preMarketOpen`/`afterHoursClose`/`overnightOpen` (all null when nil);
/// `next_session_*` ← the same fields of `nextSession`; `is_market_open` ← `isRegularOpen`
/// (the conventional meaning; `isAnySessionOpen` is there if extended hours should count).
public struct MarketState: Sendable, Hashable {
    /// The instant this state describes.
    public let instant: Date
    /// The session the instant falls in.
    public let session: MarketSession
    /// The trading day the running session belongs to (overnight belongs to the day it runs
    /// into); nil when `session == .closed`.
    public let tradingDay: TradingDay?
    /// Start of the current session, or of the closed period (nil before the calendar's data).
    public let sessionStart: Date?
    /// End (exclusive) of the current session, or of the closed period: the next overnight open.
    public let sessionEnd: Date?
    /// The first trading day whose regular open is strictly after the instant: "next open"
    /// in messages like "market orders are accepted only in the regular session".
    public let nextRegularOpenDay: TradingDay
    /// See the type's documentation: the trading day after `currentSession`, or the next one.
    public let nextSession: TradingDay

    /// Dinari's "current session": the same day as `tradingDay`.
    public var currentSession: TradingDay? { tradingDay }
    /// Whether the regular (09:30-16:00/13:00) session is running: market orders allowed.
    public var isRegularOpen: Bool { session == .regular }
    /// Whether any session, extended hours included, is running: limit orders routable.
    public var isAnySessionOpen: Bool { session != .closed }
}

/// An exchange calendar answering "does this date trade?" and "which session is running?"
/// for a fixed range of dates (2000-01-01 through 2040-12-31 for `nyse`).
///
/// Every answer comes from tables built once, on first use, from `NYSEHolidays`' rules and
/// the tz database's America/New_York zone (never a fixed offset, so DST is right). Lookups
/// are an array index (by date) or a binary search over the sorted session boundaries (by
/// instant): no `Calendar`, no `DateComponents`, no allocation on the `state(at:)` path.
///
/// Dates and instants outside the range throw `CalendarError.outOfRange`. Answers about "the
/// next" trading day after the last supported date may fall in the following January: the
/// tables run one year past the range for that purpose.
public struct TradingCalendar: Sendable {
    /// The NYSE calendar, 2000-01-01 through 2040-12-31, sessions in America/New_York.
    ///
    /// Built on first access (a Swift global is initialised lazily and thread-safely): the
    /// whole range costs a few milliseconds, once, and then every lookup is lock-free.
    /// One table rather than lazy per-year tables keeps the lookup path free of locks and of
    /// year-boundary special cases (a session can start on December 31 for January 2).
    public static let nyse = TradingCalendar(
        timeZone: newYorkTimeZone,
        firstDate: CalendarDate(uncheckedYear: 2000, month: 1, day: 1),
        lastDate: CalendarDate(uncheckedYear: 2040, month: 12, day: 31))

    /// The exchange's time zone (America/New_York for the NYSE).
    public let timeZone: TimeZone
    /// First date the calendar answers for.
    public let firstDate: CalendarDate
    /// Last date the calendar answers for.
    public let lastDate: CalendarDate
    private let table: SessionTable

    init(timeZone: TimeZone, firstDate: CalendarDate, lastDate: CalendarDate) {
        self.timeZone = timeZone
        self.firstDate = firstDate
        self.lastDate = lastDate
        self.table = SessionTable(timeZone: timeZone, firstDate: firstDate, lastDate: lastDate)
    }

    /// "2000-01-01 through 2040-12-31 (America/New_York)": the range named in errors.
    public var validRangeDescription: String {
        "\(firstDate) through \(lastDate) (\(timeZone.identifier))"
    }

    /// Whether the exchange holds a session on `date`.
    public func isTradingDay(_ date: CalendarDate) throws -> Bool {
        try tradingDay(on: date) != nil
    }

    /// The trading day on `date`, or nil when the exchange is closed that day.
    public func tradingDay(on date: CalendarDate) throws -> TradingDay? {
        try checkInRange(date)
        let index = table.firstDayIndex(onOrAfter: date)
        return table.days[index].date == date ? table.days[index] : nil
    }

    /// The trading days from `start` through `end`, both inclusive, in date order.
    /// - Throws: `outOfRange` for either end outside the range; `invalidRange` if start > end.
    public func tradingDays(
        from start: CalendarDate, through end: CalendarDate
    ) throws
        -> [TradingDay]
    {
        try checkInRange(start)
        try checkInRange(end)
        guard start <= end else { throw CalendarError.invalidRange(start: start, end: end) }
        let lower = table.firstDayIndex(onOrAfter: start)
        let upper = table.firstDayIndex(onOrAfter: end.adding(days: 1))
        return Array(table.days[lower..<upper])
    }

    /// The first trading day strictly after `date` (may be in January after `lastDate`).
    public func nextTradingDay(after date: CalendarDate) throws -> TradingDay {
        try checkInRange(date)
        return table.days[table.firstDayIndex(onOrAfter: date.adding(days: 1))]
    }

    /// The last trading day strictly before `date`.
    /// - Throws: `outOfRange` also when that day would precede `firstDate`.
    public func previousTradingDay(before date: CalendarDate) throws -> TradingDay {
        try checkInRange(date)
        let index = table.firstDayIndex(onOrAfter: date) - 1
        guard index >= 0 else {
            throw CalendarError.outOfRange(
                "the trading day before \(date)", validRange: validRangeDescription)
        }
        return table.days[index]
    }

    /// The session running at `instant` and the trading days around it.
    /// - Throws: `outOfRange` when the instant's New York date is outside the range.
    public func state(at instant: Date) throws -> MarketState {
        guard instant >= table.firstInstant, instant < table.endInstant
        else {
            throw CalendarError.outOfRange(
                "instant \(instant.formatted(.iso8601))", validRange: validRangeDescription)
        }
        return table.state(at: instant)
    }

    /// The New York civil date of `instant` (e.g. "today" for the business clock, and the
    /// day every price is split-adjusted for): from the session table's UTC offsets within
    /// its years, from Foundation's calendar outside them. Debug builds compare the two.
    public func calendarDate(of instant: Date) -> CalendarDate {
        if let date = table.calendarDate(of: instant) {
            assert(date == foundationCalendarDate(of: instant), "the offset table disagrees with Foundation at \(instant)")
            return date
        }
        return foundationCalendarDate(of: instant)
    }

    /// `calendarDate(of:)` by Foundation's calendar and the tz database (ICU): a microsecond
    /// or two each, where the session table's offsets take tens of nanoseconds (it ran for
    /// every price a portfolio read valued). Outside the table's years, and the check in
    /// debug builds.
    private func foundationCalendarDate(of instant: Date) -> CalendarDate {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        let parts = gregorian.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(uncheckedYear: parts.year!, month: parts.month!, day: parts.day!)
    }

    private func checkInRange(_ date: CalendarDate) throws {
        guard date >= firstDate, date <= lastDate else {
            throw CalendarError.outOfRange("date \(date)", validRange: validRangeDescription)
        }
    }

    /// America/New_York from the tz database. Its absence is a broken installation (no
    /// tzdata), not a recoverable error: trading on a wrong clock is worse than not starting.
    private static let newYorkTimeZone: TimeZone = {
        guard let zone = TimeZone(identifier: "America/New_York") else {
            fatalError("tz database lacks America/New_York; install tzdata")
        }
        return zone
    }()
}

/// The precomputed tables behind `TradingCalendar`; immutable after `init`.
private struct SessionTable: Sendable {
    /// Boundaries per trading day, in order: overnight, pre-market, regular open, regular
    /// close, after-hours close. Index `k` in `boundaries` starts session `sessionAfter[k % 5]`.
    static let boundariesPerDay = 5
    static let sessionAfter: [MarketSession] = [
        .overnight, .preMarket, .regular, .afterHours, .closed,
    ]

    /// Every trading day of the covered years, in date order.
    let days: [TradingDay]
    /// The five boundaries of `days[i]` at `5i...5i+4`; non-decreasing across days.
    let boundaries: [Date]
    /// For each calendar day from `firstEpochDay`: index in `days` of the first trading day on
    /// or after it (`Int32` halves the table; there are < 2^31 trading days).
    let firstDayIndexByEpochDay: [Int32]
    let firstEpochDay: Int
    /// The zone's UTC offsets over the covered years, for `calendarDate(of:)`.
    private let offsets: LocalTimeConverter
    /// 00:00 ET on `firstDate`: the first instant `state(at:)` accepts.
    let firstInstant: Date
    /// 00:00 ET on the day after `lastDate`: the first instant `state(at:)` rejects.
    let endInstant: Date

    /// Tables for the whole years from `firstDate` through the year after `lastDate`: the
    /// extra year gives "next trading day" after `lastDate` an answer.
    init(timeZone: TimeZone, firstDate: CalendarDate, lastDate: CalendarDate) {
        let (firstYear, lastYear) = (firstDate.year, lastDate.year + 1)
        let first = CalendarDate(uncheckedYear: firstYear, month: 1, day: 1)
        let last = CalendarDate(uncheckedYear: lastYear, month: 12, day: 31)
        let converter = LocalTimeConverter(timeZone: timeZone, from: first, through: last)
        var days: [TradingDay] = []
        var indexByDay: [Int32] = []
        for year in firstYear...lastYear {
            let closed = Set(NYSEHolidays.closures(in: year).map(\.date))
            let early = Set(NYSEHolidays.earlyCloses(in: year).map(\.date))
            var date = CalendarDate(uncheckedYear: year, month: 1, day: 1)
            while date.year == year {
                indexByDay.append(Int32(days.count))
                if !date.weekday.isWeekend, !closed.contains(date) {
                    days.append(converter.tradingDay(date, isEarlyClose: early.contains(date)))
                }
                date = date.adding(days: 1)
            }
        }
        precondition(indexByDay.count == last.daysSinceEpoch - first.daysSinceEpoch + 1)
        self.days = days
        self.boundaries = days.flatMap {
            [
                $0.overnightOpen, $0.preMarketOpen, $0.regularOpen, $0.regularClose,
                $0.afterHoursClose,
            ]
        }
        precondition(
            zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 <= $1 }, "sessions overlap")
        self.firstDayIndexByEpochDay = indexByDay
        self.firstEpochDay = first.daysSinceEpoch
        self.firstInstant = converter.instant(firstDate, minuteOfDay: 0)
        self.endInstant = converter.instant(lastDate.adding(days: 1), minuteOfDay: 0)
        self.offsets = converter
    }

    /// The local date of `instant` from the offset in force then; nil outside the years the
    /// offsets cover.
    func calendarDate(of instant: Date) -> CalendarDate? {
        let seconds = instant.timeIntervalSince1970.rounded(.down)
        guard let utcSeconds = Int(exactly: seconds), let offset = offsets.offsetSecondsIfCovered(atUTC: utcSeconds) else { return nil }
        // The offsets start in December 1999: local seconds are positive, so `/` floors.
        return CalendarDate(daysSinceEpoch: (utcSeconds + offset) / 86_400)
    }

    /// Index in `days` of the first trading day on or after `date` (which must be covered).
    func firstDayIndex(onOrAfter date: CalendarDate) -> Int {
        Int(firstDayIndexByEpochDay[date.daysSinceEpoch - firstEpochDay])
    }

    /// The state at `instant`, which must be within the covered instants.
    func state(at instant: Date) -> MarketState {
        let k = lastBoundaryIndex(atOrBefore: instant)  // -1: before the first boundary
        let dayIndex = k >= 0 ? k / Self.boundariesPerDay : -1
        let session = k >= 0 ? Self.sessionAfter[k % Self.boundariesPerDay] : .closed
        let current = session == .closed ? nil : days[dayIndex]
        // Before the regular open, the next regular open is today's; from it on, tomorrow's.
        let beforeRegularOpen = session == .overnight || session == .preMarket
        return MarketState(
            instant: instant,
            session: session,
            tradingDay: current,
            sessionStart: k >= 0 ? boundaries[k] : nil,
            sessionEnd: k + 1 < boundaries.count ? boundaries[k + 1] : nil,
            nextRegularOpenDay: days[beforeRegularOpen ? dayIndex : dayIndex + 1],
            nextSession: days[dayIndex + 1])
    }

    /// The largest `k` with `boundaries[k] <= instant`, or -1. When two boundaries are equal
    /// (after-hours close == next overnight open), the later one wins: the session starting.
    private func lastBoundaryIndex(atOrBefore instant: Date) -> Int {
        boundaries.withUnsafeBufferPointer { sorted in
            var low = 0
            var high = sorted.count
            while low < high {
                let mid = (low + high) >> 1
                if sorted[mid] <= instant { low = mid + 1 } else { high = mid }
            }
            return low - 1
        }
    }
}

/// Converts New York wall-clock times to instants with the tz database.
///
/// Asking `TimeZone` for an offset costs ~150 ns; the tables need ~190k of them. Instead we
/// ask the tz database once for every DST transition in the covered years (~2 a year) and
/// look offsets up in that short list. Debug builds (tests) re-check every conversion
/// against `TimeZone.secondsFromGMT(for:)` directly.
private struct LocalTimeConverter {
    let timeZone: TimeZone
    /// UTC seconds from which an offset applies, and that offset; ascending.
    private let changes: [(utcSeconds: Int, offsetSeconds: Int)]
    /// Where the list stops answering: no change after it is in the list.
    private let endSeconds: Int

    init(timeZone: TimeZone, from first: CalendarDate, through last: CalendarDate) {
        self.timeZone = timeZone
        // Two days of slack each side: overnight sessions open on the day before a date.
        let startSeconds = first.adding(days: -2).daysSinceEpoch * 86_400
        let endSeconds = last.adding(days: 2).daysSinceEpoch * 86_400
        var changes = [(startSeconds, timeZone.secondsFromGMT(for: Self.date(startSeconds)))]
        var cursor = Self.date(startSeconds)
        while let next = timeZone.nextDaylightSavingTimeTransition(after: cursor),
            next < Self.date(endSeconds)
        {
            // tz transitions fall on whole seconds, so the conversion is exact.
            changes.append((Int(next.timeIntervalSince1970), timeZone.secondsFromGMT(for: next)))
            cursor = next
        }
        self.changes = changes
        self.endSeconds = endSeconds
    }

    /// The five session boundaries of trading day `date`.
    func tradingDay(_ date: CalendarDate, isEarlyClose: Bool) -> TradingDay {
        let closeMinute = isEarlyClose ? NYSEHolidays.earlyCloseMinuteOfDay : 16 * 60
        // After-hours last four hours after the close: 20:00, or 17:00 after a 13:00 close.
        return TradingDay(
            date: date,
            overnightOpen: instant(date.adding(days: -1), minuteOfDay: 20 * 60),
            preMarketOpen: instant(date, minuteOfDay: 4 * 60),
            regularOpen: instant(date, minuteOfDay: 9 * 60 + 30),
            regularClose: instant(date, minuteOfDay: closeMinute),
            afterHoursClose: instant(date, minuteOfDay: closeMinute + 4 * 60),
            isEarlyClose: isEarlyClose)
    }

    /// The instant at which New York wall clocks show `minuteOfDay` on `date`.
    ///
    /// The UTC offset depends on the instant we are solving for, so take the offset at a
    /// first guess and correct once; that is exact for any time not skipped or repeated by a
    /// DST change. Sessions start at 04:00 or later and US changes happen at 02:00, so the
    /// precondition only fires if the tz rules change radically.
    func instant(_ date: CalendarDate, minuteOfDay: Int) -> Date {
        let localSeconds = date.daysSinceEpoch * 86_400 + minuteOfDay * 60
        let guess = localSeconds - offsetSeconds(atUTC: localSeconds)
        let utcSeconds = localSeconds - offsetSeconds(atUTC: guess)
        precondition(
            utcSeconds + offsetSeconds(atUTC: utcSeconds) == localSeconds,
            "\(date) minute \(minuteOfDay) does not exist in \(timeZone.identifier)")
        assert(
            offsetSeconds(atUTC: utcSeconds)
                == timeZone.secondsFromGMT(for: Self.date(utcSeconds)),
            "transition list disagrees with the tz database at \(date) minute \(minuteOfDay)")
        return Self.date(utcSeconds)
    }

    /// The offset in force at `seconds` (UTC), or nil outside the converter's years.
    func offsetSecondsIfCovered(atUTC seconds: Int) -> Int? {
        guard seconds >= changes[0].utcSeconds, seconds < endSeconds else { return nil }
        return offsetSeconds(atUTC: seconds)
    }

    /// The offset in force at `seconds` (UTC): the last change at or before it.
    private func offsetSeconds(atUTC seconds: Int) -> Int {
        precondition(seconds >= changes[0].utcSeconds, "instant before the converter's range")
        var low = 0
        var high = changes.count
        while low < high {
            let mid = (low + high) >> 1
            if changes[mid].utcSeconds <= seconds { low = mid + 1 } else { high = mid }
        }
        return changes[low - 1].offsetSeconds
    }

    /// Integer seconds convert to `TimeInterval` exactly (|value| < 2^53).
    private static func date(_ utcSeconds: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(utcSeconds))
    }
}
