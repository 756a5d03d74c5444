/// The date rules of corporate actions, in one place, on the exchange's trading calendar.
public struct CorporateActionDates: Sendable {
    public let calendar: TradingCalendar

    /// The day US equities moved to T+1 settlement. From then on a dividend's record date is
    /// its ex date (a buyer on the ex date settles after the record date); before, under T+2,
    /// the ex date was one trading day before the record date.
    public static let tPlusOneSettlementStart = CalendarDate(uncheckedYear: 2024, month: 5, day: 28)

    public init(calendar: TradingCalendar) {
        self.calendar = calendar
    }

    /// `date` when the exchange trades that day, else the next trading day.
    public func tradingDay(onOrAfter date: CalendarDate) throws -> CalendarDate {
        try calendar.isTradingDay(date) ? date : try calendar.nextTradingDay(after: date).date
    }

    /// `date` when the exchange trades that day, else the trading day before.
    public func tradingDay(onOrBefore date: CalendarDate) throws -> CalendarDate {
        try calendar.isTradingDay(date) ? date : try calendar.previousTradingDay(before: date).date
    }

    /// The record date that goes with a dividend's ex date under the settlement cycle of the
    /// time: the same day from T+1 on, the next trading day under T+2.
    public func dividendRecordDate(exDate: CalendarDate) throws -> CalendarDate {
        exDate >= Self.tPlusOneSettlementStart ? exDate : try calendar.nextTradingDay(after: exDate).date
    }

    /// A split's record and payable dates, from its effective date. A forward split is paid as
    /// a stock distribution after the close of the trading day before the effective date; we
    /// take that day as both record and payable date, since the gateway's own books (not a
    /// transfer agent's) decide who holds what. (record, payable).
    public func splitDates(effectiveDate: CalendarDate) throws -> (record: CalendarDate, payable: CalendarDate) {
        let payable = try calendar.previousTradingDay(before: effectiveDate).date
        return (payable, payable)
    }

    /// Whether `date` is a trading day inside the calendar's range (false outside it).
    public func isTradingDay(_ date: CalendarDate) -> Bool {
        (try? calendar.isTradingDay(date)) ?? false
    }
}
