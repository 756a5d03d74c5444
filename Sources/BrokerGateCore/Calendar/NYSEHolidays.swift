/// The New York Stock Exchange's non-standard days, computed from the exchange's published
/// rules (NYSE Rule 7.2 and its yearly holiday announcements) rather than from a pasted
/// table, plus a short list of one-off, individually sourced exceptions.
///
/// The rules are stated as they apply from 2000 on: the calendar does not answer for earlier
/// years, where other rules held (MLK Day only from 1998, 14:00 early closes before 1993,
/// Election Day closures before 1981, ...).
///
/// Cross-checked day by day for 2000-2041 against `exchange_calendars` 4.13.2 (XNYS):
/// identical sessions and early closes. See `Tests/conformance/` for the live comparison.
public enum NYSEHolidays {
    /// A weekday on which the NYSE does not hold a normal full session, and why.
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        /// The affected date (always a Monday-Friday).
        public let date: CalendarDate
        /// A human-readable reason, e.g. "Thanksgiving Day" or "Hurricane Sandy".
        public let name: String

        public var description: String { "\(date) \(name)" }
    }

    /// Local (America/New_York) minute of day at which the regular session ends on an early
    /// close day: 13:00 ET, the NYSE standard since 1993.
    public static let earlyCloseMinuteOfDay = 13 * 60

    /// Every weekday of `year` on which the NYSE is closed all day: the regular holidays as
    /// observed, plus special closures. Sorted by date.
    public static func closures(in year: Int) -> [Entry] {
        let regular = regularHolidays(in: year).filter { !$0.date.weekday.isWeekend }
        let special = specialClosures.filter { $0.date.year == year }
        return (regular + special).sorted { $0.date < $1.date }
    }

    /// Every trading day of `year` whose regular session ends at 13:00 ET instead of 16:00.
    /// Sorted by date. Only days that are trading days are returned.
    public static func earlyCloses(in year: Int) -> [Entry] {
        let closed = Set(closures(in: year).map(\.date))
        let candidates =
            ruleEarlyCloses(in: year) + specialEarlyCloses.filter { $0.date.year == year }
        return
            candidates
            .filter { !$0.date.weekday.isWeekend && !closed.contains($0.date) }
            .sorted { $0.date < $1.date }
    }

    // MARK: - Regular holidays (NYSE Rule 7.2)

    /// The regular holidays of `year` on their observed dates (some may fall on a weekend and
    /// be dropped by the caller, e.g. New Year's Day on a Saturday).
    static func regularHolidays(in year: Int) -> [Entry] {
        var holidays: [Entry] = []
        func add(_ date: CalendarDate?, _ name: String) {
            if let date { holidays.append(Entry(date: date, name: name)) }
        }
        add(newYearsDay(year), "New Year's Day")
        if year >= 1998 {  // NYSE first closed for MLK Day in 1998.
            add(.nth(3, .monday, month: 1, year: year), "Martin Luther King, Jr. Day")
        }
        add(.nth(3, .monday, month: 2, year: year), "Washington's Birthday")
        add(easterSunday(year).adding(days: -2), "Good Friday")
        add(.last(.monday, month: 5, year: year), "Memorial Day")
        if year >= 2022 {  // Juneteenth became a federal holiday in 2021; NYSE from 2022.
            add(
                nearestWeekday(month: 6, day: 19, year: year),
                "Juneteenth National Independence Day")
        }
        add(independenceDay(year), "Independence Day")
        add(.nth(1, .monday, month: 9, year: year), "Labor Day")
        add(thanksgiving(year), "Thanksgiving Day")
        add(nearestWeekday(month: 12, day: 25, year: year), "Christmas Day")
        return holidays
    }

    /// January 1, or Monday January 2 when the 1st is a Sunday. When the 1st is a Saturday there
    /// is no holiday at all: NYSE Rule 7.2 does not move it back to Friday December 31, which
    /// would close the last trading day of the accounting year (e.g. 2021-12-31 traded).
    static func newYearsDay(_ year: Int) -> CalendarDate? {
        let first = CalendarDate(uncheckedYear: year, month: 1, day: 1)
        switch first.weekday {
        case .saturday: return nil
        case .sunday: return first.adding(days: 1)
        default: return first
        }
    }

    /// July 4, observed on the nearest weekday (Saturday → Friday July 3, Sunday → Monday July 5).
    static func independenceDay(_ year: Int) -> CalendarDate {
        nearestWeekday(month: 7, day: 4, year: year)
    }

    /// The fourth Thursday of November.
    static func thanksgiving(_ year: Int) -> CalendarDate {
        .nth(4, .thursday, month: 11, year: year)
    }

    /// A fixed-date holiday observed on the nearest weekday: Saturday → Friday, Sunday → Monday.
    static func nearestWeekday(month: Int, day: Int, year: Int) -> CalendarDate {
        let date = CalendarDate(uncheckedYear: year, month: month, day: day)
        switch date.weekday {
        case .saturday: return date.adding(days: -1)
        case .sunday: return date.adding(days: 1)
        default: return date
        }
    }

    /// Western (Gregorian) Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/
    /// Butcher). Good Friday, an NYSE holiday that is not a federal one, is two days earlier.
    static func easterSunday(_ year: Int) -> CalendarDate {
        let a = year % 19  // position in the 19-year Metonic cycle
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30  // epact-related: days from equinox to full moon
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7  // days from full moon to the next Sunday
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CalendarDate(uncheckedYear: year, month: month, day: day)
    }

    // MARK: - Regular early closes (13:00 ET)

    /// The rule-based early closes of `year`, before removing days that are not trading days.
    static func ruleEarlyCloses(in year: Int) -> [Entry] {
        var days: [Entry] = []
        if let eve = independenceDayEarlyClose(year) {
            days.append(Entry(date: eve, name: "Independence Day early close"))
        }
        days.append(Entry(date: thanksgiving(year).adding(days: 1), name: "Day after Thanksgiving"))
        // Christmas Eve closes early when it is a Monday-Thursday. On a Friday it is itself
        // the observed Christmas holiday (the 25th is a Saturday); on a weekend it is moot.
        let christmasEve = CalendarDate(uncheckedYear: year, month: 12, day: 24)
        if christmasEve.weekday != .friday {
            days.append(Entry(date: christmasEve, name: "Christmas Eve"))
        }
        return days
    }

    /// The early close around Independence Day, if any.
    ///
    /// - July 3 on a Monday, Tuesday or Thursday (July 4 on Tue/Wed/Fri): July 3 closes early.
    ///   Examples: 2000, 2001, 2003, 2008, 2017, 2018, 2023, 2025.
    /// - July 3 on a Wednesday (July 4 on a Thursday): since 2013 July 3 closes early and
    ///   Friday July 5 is a full day (2013, 2019, 2024); before 2013 July 3 was a full day and
    ///   Friday July 5 closed early instead (2002).
    /// - July 3 on a Friday is the observed holiday (July 4 on a Saturday: 2015, 2020, 2026),
    ///   so there is no early close that week; July 3 on a weekend (July 4 on Sun/Mon): none.
    static func independenceDayEarlyClose(_ year: Int) -> CalendarDate? {
        let julyThird = CalendarDate(uncheckedYear: year, month: 7, day: 3)
        switch julyThird.weekday {
        case .monday, .tuesday, .thursday:
            return julyThird
        case .wednesday:
            return year >= 2013 ? julyThird : julyThird.adding(days: 2)
        case .friday, .saturday, .sunday:
            return nil
        }
    }

    // MARK: - One-off exceptions (sourced; add new ones only with the exchange's notice)

    /// Unscheduled full-day closures since 2000. The exchange announces these days ahead at
    /// best; when it does, add the date here with its source and a test naming it.
    static let specialClosures: [Entry] = [
        // September 11 attacks: NYSE did not open on 2001-09-11 and stayed closed through
        // Friday 2001-09-14, reopening Monday 2001-09-17. Source: NYSE "Market Closings"
        // history (nyse.com/pdfs/closings.pdf); exchange_calendars XNYS September11Closings.
        closure(2001, 9, 11, "September 11 attacks"),
        closure(2001, 9, 12, "September 11 attacks"),
        closure(2001, 9, 13, "September 11 attacks"),
        closure(2001, 9, 14, "September 11 attacks"),
        // National Day of Mourning for President Reagan. Source: NYSE announcement of
        // 2004-06-07, reported at money.cnn.com/2004/06/07/markets/nyse_reagan/.
        closure(2004, 6, 11, "National Day of Mourning: President Ronald Reagan"),
        // National Day of Mourning for President Ford. Source: NYSE Group announcement of
        // 2006-12-29, reported by Crain's New York Business ("NYSE to shut on January 2 in
        // honor of Ford") and money.cnn.com/2006/12/28/markets/ford_nyse/.
        closure(2007, 1, 2, "National Day of Mourning: President Gerald R. Ford"),
        // Hurricane Sandy: NYSE Euronext closed its equities markets Monday Oct 29 and
        // Tuesday Oct 30, reopening Wednesday Oct 31, 2012. Source: NYSE Euronext notices
        // (announced a day at a time); exchange_calendars XNYS HurricaneSandyClosings.
        closure(2012, 10, 29, "Hurricane Sandy"),
        closure(2012, 10, 30, "Hurricane Sandy"),
        // National Day of Mourning for President George H. W. Bush. Source: NYSE
        // announcement (December 2018) closing its equity and options markets on Wednesday
        // 2018-12-05; exchange_calendars XNYS USNationalDaysofMourning.
        closure(2018, 12, 5, "National Day of Mourning: President George H. W. Bush"),
        // National Day of Mourning for President Carter. Source: NYSE Group statement of
        // 2024-12-30 closing all its equity and options markets on Thursday 2025-01-09
        // (reported by Fox Business and IBTimes the same day).
        closure(2025, 1, 9, "National Day of Mourning: President Jimmy Carter"),
    ]

    /// Unscheduled 13:00 ET early closes since 2000 that no rule above produces.
    static let specialEarlyCloses: [Entry] = [
        // Friday after a Thursday Christmas, 2003: NYSE closed at 13:00. Source:
        // exchange_calendars XNYS special_closes_adhoc, compiled from the NYSE historical
        // closings list (not re-verified against a 2003 NYSE notice). The same calendar
        // position did NOT close early in 2008, 2014 or 2025 (full days: 2008 and 2025 per
        // contemporary market-hours reports), so this is an exception, not a rule.
        Entry(
            date: CalendarDate(uncheckedYear: 2003, month: 12, day: 26),
            name: "Day after Christmas 2003")
    ]

    private static func closure(_ year: Int, _ month: Int, _ day: Int, _ name: String) -> Entry {
        Entry(date: CalendarDate(uncheckedYear: year, month: month, day: day), name: name)
    }
}
