import Foundation

/// New York civil days as instants. Cash rules count by the business day in New York
/// (faucet quota, withdrawal limit, interest accrual), never by UTC midnight, because
/// that is the day a US customer and a US reserve custodian count by.
public enum NewYorkDay {
    /// The New York date of `instant`.
    public static func date(of instant: Date) -> CalendarDate {
        TradingCalendar.nyse.calendarDate(of: instant)
    }

    /// 00:00 in New York on `date` (EST or EDT as the day has it; DST changes at 02:00,
    /// so midnight always exists exactly once).
    public static func start(of date: CalendarDate) -> Date {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TradingCalendar.nyse.timeZone
        guard let start = gregorian.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) else {
            preconditionFailure("no New York midnight for \(date)")
        }
        return start
    }

    /// The instant `date` ends: the next day's midnight.
    public static func end(of date: CalendarDate) -> Date {
        start(of: date.adding(days: 1))
    }
}
