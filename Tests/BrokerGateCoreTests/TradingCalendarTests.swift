import Foundation
import Testing

@testable import BrokerGateCore

// Expected instants are written in UTC on purpose: they pin the conversion from New York
// wall-clock times instead of repeating it. EST = UTC-5 (winter), EDT = UTC-4 (summer).

private let nyse = TradingCalendar.nyse

private func date(_ text: String) -> CalendarDate {
    // Test literals are known-good; a typo should crash loudly.
    try! CalendarDate(parsing: text)
}

private func utc(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

private func day(_ text: String) throws -> TradingDay {
    try #require(try nyse.tradingDay(on: date(text)), "\(text) should be a trading day")
}

private func isTrading(_ text: String) throws -> Bool {
    try nyse.isTradingDay(date(text))
}

// MARK: - CalendarDate

@Test func test_calendarDate_parsesStrictYYYYMMDD() throws {
    let parsed = try CalendarDate(parsing: "2024-02-29")
    #expect((parsed.year, parsed.month, parsed.day) == (2024, 2, 29))
    #expect(parsed.description == "2024-02-29")
    #expect(try CalendarDate(year: 2026, month: 1, day: 5).description == "2026-01-05")
}

@Test(arguments: [
    "", "2026-1-05", "2026-01-5", "2026/01/05", "20260105", "2026-02-29", "2025-13-01",
    "2025-00-10", "2025-04-31", "0000-01-01", " 2026-01-05", "2026-01-05 ", "2026-01-05T00:00:00Z",
    "+026-01-05", "2026-0a-05", "２０２６-01-05",
])
func test_calendarDate_rejectsAnythingButAValidYYYYMMDD(_ text: String) {
    #expect(throws: CalendarError.self) { try CalendarDate(parsing: text) }
}

@Test func test_calendarDate_codesAsYYYYMMDDString() throws {
    let encoded = try JSONEncoder().encode([date("2026-11-27")])
    #expect(String(decoding: encoded, as: UTF8.self) == #"["2026-11-27"]"#)
    let decoded = try JSONDecoder().decode([CalendarDate].self, from: Data(#"["2000-01-03"]"#.utf8))
    #expect(decoded == [date("2000-01-03")])
    #expect(throws: (any Error).self) {
        try JSONDecoder().decode([CalendarDate].self, from: Data(#"["2000-1-3"]"#.utf8))
    }
}

@Test func test_calendarDate_arithmeticMatchesFoundationGregorianEveryDay1999to2042() throws {
    var gregorian = Calendar(identifier: .gregorian)
    gregorian.timeZone = try #require(TimeZone(identifier: "UTC"))
    var current = date("1999-01-01")
    for offset in 0..<(44 * 366) {
        let instant = Date(timeIntervalSince1970: TimeInterval(current.daysSinceEpoch * 86_400))
        let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: instant)
        #expect(
            parts.year == current.year && parts.month == current.month && parts.day == current.day)
        #expect(parts.weekday == current.weekday.rawValue + 1)  // Foundation: 1 = Sunday
        #expect(CalendarDate(daysSinceEpoch: current.daysSinceEpoch) == current)
        #expect(date("1999-01-01").adding(days: offset) == current)
        let next = current.adding(days: 1)
        #expect(current < next && next.adding(days: -1) == current)
        current = next
    }
}

// MARK: - Holidays

@Test func test_newYear2022OnSaturday_noFridayObservance() throws {
    #expect(try isTrading("2021-12-31"))
    #expect(try !day("2021-12-31").isEarlyClose)
    #expect(try isTrading("2022-01-03"))
}

@Test func test_newYear2023OnSunday_observedMonday() throws {
    #expect(try !isTrading("2023-01-02"))
    #expect(try isTrading("2022-12-30"))
}

@Test func test_mlkDay_thirdMondayOfJanuary() throws {
    #expect(try !isTrading("2026-01-19"))
    #expect(try isTrading("2026-01-12"))
    #expect(try !isTrading("2000-01-17"))
}

@Test func test_washingtonsBirthday_thirdMondayOfFebruary() throws {
    #expect(try !isTrading("2026-02-16"))
    #expect(try !isTrading("2021-02-15"))
}

@Test(arguments: [
    "2000-04-21", "2008-03-21", "2019-04-19", "2024-03-29", "2025-04-18", "2026-04-03",
    "2038-04-23",
])
func test_goodFriday_twoDaysBeforeComputedEaster(_ goodFriday: String) throws {
    #expect(try !isTrading(goodFriday))
    #expect(try isTrading(date(goodFriday).adding(days: -1).description))
    #expect(try isTrading(date(goodFriday).adding(days: 3).description))
}

@Test func test_memorialDay_lastMondayOfMay() throws {
    #expect(try !isTrading("2026-05-25"))
    #expect(try !isTrading("2021-05-31"))
    #expect(try isTrading("2021-05-24"))
}

@Test func test_juneteenth_from2022_observedOnNearestWeekday() throws {
    #expect(try !isTrading("2022-06-20"))  // June 19 2022 was a Sunday
    #expect(try isTrading("2022-06-17"))
    #expect(try isTrading("2021-06-18"))  // federal observance, but NYSE only from 2022
    #expect(try !isTrading("2027-06-18"))  // June 19 2027 is a Saturday
}

@Test func test_independenceDayOnSaturday_observedFridayJuly3() throws {
    #expect(try !isTrading("2015-07-03"))
    #expect(try !isTrading("2020-07-03"))
    #expect(try !isTrading("2026-07-03"))
}

@Test func test_laborDayAndThanksgiving_closed() throws {
    #expect(try !isTrading("2026-09-07"))
    #expect(try !isTrading("2026-11-26"))
}

@Test func test_christmasOnSaturday_observedFriday24_andThursday23IsAFullDay() throws {
    #expect(try !isTrading("2021-12-24"))
    #expect(try !day("2021-12-23").isEarlyClose)
}

// MARK: - Early closes

@Test func test_earlyClose_dayBeforeIndependenceDay2019_closes1300EDT() throws {
    let july3 = try day("2019-07-03")
    #expect(july3.isEarlyClose)
    #expect(july3.regularClose == utc("2019-07-03T17:00:00Z"))
    #expect(july3.afterHoursClose == utc("2019-07-03T21:00:00Z"))
}

@Test(arguments: ["2015-07-02", "2020-07-02"])
func test_noEarlyClose_whenJuly3IsTheObservedHoliday(_ thursday: String) throws {
    let fullDay = try day(thursday)
    #expect(!fullDay.isEarlyClose)
    #expect(fullDay.regularClose == utc(thursday + "T20:00:00Z"))
}

@Test func test_july4OnThursday_earlyCloseWednesdaySince2013_FridayBefore() throws {
    #expect(try day("2013-07-03").isEarlyClose)
    #expect(try !day("2013-07-05").isEarlyClose)
    #expect(try day("2024-07-03").isEarlyClose)
    #expect(try !day("2002-07-03").isEarlyClose)
    #expect(try day("2002-07-05").isEarlyClose)
}

@Test func test_noEarlyClose_whenJuly4IsMonday() throws {
    #expect(try !day("2022-07-01").isEarlyClose)
}

@Test func test_earlyClose_dayAfterThanksgiving2024() throws {
    let friday = try day("2024-11-29")
    #expect(friday.isEarlyClose && friday.regularClose == utc("2024-11-29T18:00:00Z"))
}

@Test func test_earlyClose_christmasEve2025_andDecember26IsAFullDay() throws {
    #expect(try day("2025-12-24").regularClose == utc("2025-12-24T18:00:00Z"))
    #expect(try !day("2025-12-26").isEarlyClose)
}

@Test func test_specialEarlyClose_december26_2003_only() throws {
    #expect(try day("2003-12-26").isEarlyClose)
    #expect(try !day("2008-12-26").isEarlyClose)
    #expect(try !day("2014-12-26").isEarlyClose)
}

// MARK: - Special closures

@Test func test_september11_closedThroughFriday14_reopenedMonday17() throws {
    for closedDay in ["2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14"] {
        #expect(try !isTrading(closedDay))
    }
    #expect(try nyse.nextTradingDay(after: date("2001-09-10")).date == date("2001-09-17"))
}

@Test func test_hurricaneSandy_closedOctober29and30_2012() throws {
    #expect(try !isTrading("2012-10-29") && !isTrading("2012-10-30"))
    #expect(try isTrading("2012-10-31"))
}

@Test(arguments: ["2004-06-11", "2007-01-02", "2018-12-05", "2025-01-09"])
func test_nationalDayOfMourning_closed(_ mourning: String) throws {
    #expect(try !isTrading(mourning))
}

/// Counts from exchange_calendars 4.13.2 (XNYS); the conformance test compares every day.
@Test func test_sessionCounts_matchExchangeCalendars() throws {
    let counts = [
        2000: 252, 2001: 248, 2012: 250, 2022: 251, 2024: 252, 2025: 250, 2026: 251, 2040: 251,
    ]
    for (year, count) in counts {
        let days = try nyse.tradingDays(
            from: CalendarDate(year: year, month: 1, day: 1),
            through: CalendarDate(year: year, month: 12, day: 31))
        #expect(days.count == count, "year \(year)")
    }
    let all = try nyse.tradingDays(from: date("2000-01-01"), through: date("2035-12-31"))
    #expect(all.count == 9049)
    #expect(all.filter(\.isEarlyClose).count == 79)
}

// MARK: - Sessions, time zone and DST

@Test func test_dstSpringForward2026_regularOpenMovesFrom1430To1330UTC() throws {
    #expect(try day("2026-03-06").regularOpen == utc("2026-03-06T14:30:00Z"))
    let monday = try day("2026-03-09")
    #expect(monday.regularOpen == utc("2026-03-09T13:30:00Z"))
    #expect(monday.regularClose == utc("2026-03-09T20:00:00Z"))
    #expect(monday.overnightOpen == utc("2026-03-09T00:00:00Z"))  // Sunday 03-08 20:00 EDT
    #expect(monday.preMarketOpen == utc("2026-03-09T08:00:00Z"))
}

@Test func test_dstFallBack2026_regularOpenMovesFrom1330To1430UTC() throws {
    #expect(try day("2026-10-30").regularOpen == utc("2026-10-30T13:30:00Z"))
    let monday = try day("2026-11-02")
    #expect(monday.regularOpen == utc("2026-11-02T14:30:00Z"))
    #expect(monday.overnightOpen == utc("2026-11-02T01:00:00Z"))  // Sunday 11-01 20:00 EST
    #expect(monday.afterHoursClose == utc("2026-11-03T01:00:00Z"))
}

@Test func test_everyTradingDay_sessionsAreNewYorkWallClockTimesInOrder() throws {
    var newYork = Calendar(identifier: .gregorian)
    newYork.timeZone = nyse.timeZone
    func wallClock(_ instant: Date) -> (CalendarDate, Int) {
        let parts = newYork.dateComponents([.year, .month, .day, .hour, .minute], from: instant)
        let civil = CalendarDate(uncheckedYear: parts.year!, month: parts.month!, day: parts.day!)
        return (civil, parts.hour! * 60 + parts.minute!)
    }
    for tradingDay in try nyse.tradingDays(from: date("2000-01-01"), through: date("2040-12-31")) {
        let close = tradingDay.isEarlyClose ? 13 * 60 : 16 * 60
        #expect(wallClock(tradingDay.overnightOpen) == (tradingDay.date.adding(days: -1), 20 * 60))
        #expect(wallClock(tradingDay.preMarketOpen) == (tradingDay.date, 4 * 60))
        #expect(wallClock(tradingDay.regularOpen) == (tradingDay.date, 9 * 60 + 30))
        #expect(wallClock(tradingDay.regularClose) == (tradingDay.date, close))
        #expect(wallClock(tradingDay.afterHoursClose) == (tradingDay.date, close + 4 * 60))
    }
}

@Test func test_saturday20261128_closed_nextRegularOpenMonday1430Z() throws {
    let state = try nyse.state(at: utc("2026-11-28T15:00:00Z"))  // 10:00 EST
    #expect(state.session == .closed && !state.isRegularOpen && !state.isAnySessionOpen)
    #expect(state.tradingDay == nil && state.currentSession == nil)
    #expect(state.nextRegularOpenDay.regularOpen == utc("2026-11-30T14:30:00Z"))
    #expect(state.nextSession.date == date("2026-11-30"))
    #expect(state.sessionStart == utc("2026-11-27T22:00:00Z"))  // Friday's 17:00 EST close
    #expect(state.sessionEnd == utc("2026-11-30T01:00:00Z"))  // Sunday 20:00 EST overnight
}

@Test func test_thanksgiving2026_closedAllDay_noOvernightIntoIt() throws {
    let wednesdayNight = try nyse.state(at: utc("2026-11-26T02:00:00Z"))  // Wed 21:00 EST
    #expect(wednesdayNight.session == .closed)
    let thursday = try nyse.state(at: utc("2026-11-26T17:00:00Z"))
    #expect(thursday.session == .closed)
    #expect(thursday.nextRegularOpenDay.date == date("2026-11-27"))
    let thursdayNight = try nyse.state(at: utc("2026-11-27T01:00:00Z"))  // Thu 20:00 EST
    #expect(
        thursdayNight.session == .overnight && thursdayNight.tradingDay?.date == date("2026-11-27"))
}

@Test func test_dayAfterThanksgiving2026_earlyClose1300ET_afterHoursUntil1700ET() throws {
    let friday = try day("2026-11-27")
    #expect(friday.isEarlyClose)
    #expect(friday.regularClose == utc("2026-11-27T18:00:00Z"))
    #expect(friday.afterHoursClose == utc("2026-11-27T22:00:00Z"))
    #expect(try nyse.state(at: utc("2026-11-27T17:59:59Z")).session == .regular)
    let afterHours = try nyse.state(at: utc("2026-11-27T18:00:00Z"))
    #expect(afterHours.session == .afterHours && afterHours.sessionEnd == friday.afterHoursClose)
    let closed = try nyse.state(at: utc("2026-11-27T22:00:00Z"))
    #expect(closed.session == .closed && closed.sessionEnd == utc("2026-11-30T01:00:00Z"))
}

@Test func test_overnight_sunday2000ET_beforeTradingMonday() throws {
    #expect(try nyse.state(at: utc("2026-11-30T00:59:59Z")).session == .closed)
    let state = try nyse.state(at: utc("2026-11-30T01:00:00Z"))  // Sunday 20:00 EST
    #expect(state.session == .overnight)
    #expect(state.tradingDay?.date == date("2026-11-30"))
    #expect(state.sessionStart == utc("2026-11-30T01:00:00Z"))
    #expect(state.sessionEnd == utc("2026-11-30T09:00:00Z"))  // 04:00 EST
    #expect(state.nextRegularOpenDay.date == date("2026-11-30"))
    #expect(state.nextSession.date == date("2026-12-01"))
}

@Test func test_noOvernight_fridayNight2000ET_beforeSaturday() throws {
    let state = try nyse.state(at: utc("2026-11-21T01:00:00Z"))  // Friday 11-20 20:00 EST
    #expect(state.session == .closed && state.tradingDay == nil)
    #expect(state.nextSession.date == date("2026-11-23"))
}

@Test func test_preMarket_0500ET_belongsToToday_nextRegularOpenIsToday() throws {
    let state = try nyse.state(at: utc("2026-12-01T10:00:00Z"))  // 05:00 EST
    #expect(state.session == .preMarket)
    #expect(state.sessionStart == utc("2026-12-01T09:00:00Z"))
    #expect(state.sessionEnd == utc("2026-12-01T14:30:00Z"))
    #expect(state.currentSession?.date == date("2026-12-01"))
    #expect(state.nextRegularOpenDay.date == date("2026-12-01"))
    #expect(state.nextSession.date == date("2026-12-02"))
}

@Test func test_sessionBoundaries_areHalfOpen_andBackToBackBetweenWeekdays() throws {
    let monday = try day("2026-11-30")
    #expect(try nyse.state(at: monday.regularOpen).session == .regular)
    #expect(try nyse.state(at: monday.regularOpen.addingTimeInterval(-1)).session == .preMarket)
    let afterClose = try nyse.state(at: monday.regularClose)
    #expect(
        afterClose.session == .afterHours
            && afterClose.nextRegularOpenDay.date == date("2026-12-01"))
    let mondayNight = try nyse.state(at: monday.afterHoursClose)  // Mon 20:00 EST
    #expect(mondayNight.session == .overnight && mondayNight.tradingDay?.date == date("2026-12-01"))
}

@Test func test_stateDuringRegular_fillsEveryDinariMarketHoursField() throws {
    let state = try nyse.state(at: utc("2026-12-01T16:00:00Z"))
    #expect(state.isRegularOpen)
    let current = try #require(state.currentSession)
    #expect(current.overnightOpen == utc("2026-12-01T01:00:00Z"))
    #expect(current.preMarketOpen == utc("2026-12-01T09:00:00Z"))
    #expect(current.regularOpen == utc("2026-12-01T14:30:00Z"))
    #expect(current.regularClose == utc("2026-12-01T21:00:00Z"))
    #expect(current.afterHoursClose == utc("2026-12-02T01:00:00Z"))
    #expect(state.nextSession.regularOpen == utc("2026-12-02T14:30:00Z"))
    #expect(state.nextSession.regularClose == utc("2026-12-02T21:00:00Z"))
}

/// Brute force over two weeks, minute by minute: `state(at:)` agrees with the definition
/// "the trading day whose [overnightOpen, afterHoursClose) contains the instant".
@Test func test_stateAt_agreesWithSessionIntervals_everyMinuteAroundThanksgiving2026() throws {
    let days = try nyse.tradingDays(from: date("2026-11-19"), through: date("2026-12-04"))
    var instant = utc("2026-11-20T00:00:00Z")
    while instant < utc("2026-12-04T00:00:00Z") {
        let state = try nyse.state(at: instant)
        let owner = days.first { $0.overnightOpen <= instant && instant < $0.afterHoursClose }
        #expect(state.tradingDay == owner)
        let expected = MarketSession.allCases.first { session in
            owner?.interval(of: session).map { $0.start <= instant && instant < $0.end } ?? false
        }
        #expect(state.session == (expected ?? .closed))
        #expect(state.nextRegularOpenDay == days.first { $0.regularOpen > instant })
        instant.addTimeInterval(60)
    }
}

// MARK: - Range

@Test func test_outOfRangeDatesAndInstants_throwNamingTheValidRange() throws {
    for outside in ["1999-12-31", "2041-01-01"] {
        #expect(throws: CalendarError.self) { try nyse.isTradingDay(date(outside)) }
    }
    #expect(throws: CalendarError.self) { try nyse.state(at: utc("2000-01-01T04:59:59Z")) }
    #expect(throws: CalendarError.self) { try nyse.state(at: utc("2041-01-01T05:00:00Z")) }
    do {
        _ = try nyse.tradingDay(on: date("1999-12-31"))
        Issue.record("expected outOfRange")
    } catch let error as CalendarError {
        #expect(error.code == "date_out_of_range")
        #expect(error.message.contains("2000-01-01 through 2040-12-31 (America/New_York)"))
    }
    #expect(try nyse.state(at: utc("2000-01-01T05:00:00Z")).nextSession.date == date("2000-01-03"))
    #expect(try nyse.state(at: utc("2041-01-01T04:59:59Z")).nextSession.date == date("2041-01-02"))
}

@Test func test_tradingDays_inclusiveRange_andStartAfterEndThrows() throws {
    let week = try nyse.tradingDays(from: date("2026-11-23"), through: date("2026-11-30"))
    #expect(
        week.map(\.date.description) == [
            "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30",
        ])
    #expect(throws: CalendarError.invalidRange(start: date("2026-12-01"), end: date("2026-11-30"))) {
        try nyse.tradingDays(from: date("2026-12-01"), through: date("2026-11-30"))
    }
}

@Test func test_nextAndPreviousTradingDay_skipWeekendsAndHolidays() throws {
    #expect(try nyse.nextTradingDay(after: date("2026-11-25")).date == date("2026-11-27"))
    #expect(try nyse.previousTradingDay(before: date("2026-11-30")).date == date("2026-11-27"))
    #expect(try nyse.nextTradingDay(after: date("2040-12-31")).date == date("2041-01-02"))
    #expect(throws: CalendarError.self) { try nyse.previousTradingDay(before: date("2000-01-03")) }
}

@Test func test_calendarDateOfInstant_usesNewYorkWallClock() {
    #expect(nyse.calendarDate(of: utc("2026-11-28T04:59:59Z")) == date("2026-11-27"))
    #expect(nyse.calendarDate(of: utc("2026-11-28T05:00:00Z")) == date("2026-11-28"))
    // Summer time: midnight is 04:00Z; a fraction of a second before it is still the day before.
    #expect(nyse.calendarDate(of: utc("2026-07-04T04:00:00Z").addingTimeInterval(-0.25)) == date("2026-07-03"))
    #expect(nyse.calendarDate(of: utc("2026-07-04T04:00:00Z")) == date("2026-07-04"))
    // Past the session table's years the answer comes from Foundation's calendar.
    #expect(nyse.calendarDate(of: utc("2045-06-01T03:59:59Z")) == date("2045-05-31"))
}

/// The session table's offsets give the same date as Foundation's calendar every 7½ minutes
/// across both DST changes of a year, at the table's first instants and at its last.
@Test func test_calendarDateOfInstant_agreesWithFoundation_acrossDSTChanges() {
    var gregorian = Calendar(identifier: .gregorian)
    gregorian.timeZone = nyse.timeZone
    func foundation(_ instant: Date) -> CalendarDate {
        let parts = gregorian.dateComponents([.year, .month, .day], from: instant)
        return date(String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))
    }
    let starts = ["2026-03-07T00:00:00Z", "2026-10-31T00:00:00Z", "2000-01-01T00:00:00Z", "2041-12-29T00:00:00Z"]
    for start in starts.map(utc) {
        for step in 0..<(4 * 24 * 8) {
            let instant = start.addingTimeInterval(Double(step) * 450)
            #expect(nyse.calendarDate(of: instant) == foundation(instant), "at \(instant)")
        }
    }
}
