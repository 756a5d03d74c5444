/// An operator's new corporate action as sent, fields still raw, so every rule and every
/// error naming its field lives here rather than in the HTTP layer.
public struct CorporateActionRequest: Sendable {
    /// The two kinds an operator may create; a reverse split is a `SPLIT` with
    /// `split_from` > `split_to`.
    public enum Kind: String, Sendable, CaseIterable {
        case cashDividend = "CASH_DIVIDEND"
        case split = "SPLIT"
    }

    public var stockID: String?
    public var type: String?
    // Cash dividends.
    public var cashAmount: Amount?
    public var dividendType: String?
    public var declaredDate: String?
    public var exDate: String?
    public var recordDate: String?
    public var payDate: String?
    // Splits.
    /// Whole shares; sent as exact numbers so a fraction is refused naming the field.
    public var splitFrom: Amount?
    public var splitTo: Amount?
    public var effectiveDate: String?

    public init(
        stockID: String?, type: String?, cashAmount: Amount? = nil, dividendType: String? = nil, declaredDate: String? = nil,
        exDate: String? = nil, recordDate: String? = nil, payDate: String? = nil, splitFrom: Amount? = nil, splitTo: Amount? = nil,
        effectiveDate: String? = nil
    ) {
        self.stockID = stockID
        self.type = type
        self.cashAmount = cashAmount
        self.dividendType = dividendType
        self.declaredDate = declaredDate
        self.exDate = exDate
        self.recordDate = recordDate
        self.payDate = payDate
        self.splitFrom = splitFrom
        self.splitTo = splitTo
        self.effectiveDate = effectiveDate
    }

    /// The terms, or the first rule the request breaks: 400 `invalid_field` for a missing,
    /// malformed or misplaced field; 422 for a valid value a rule refuses (dates out of order,
    /// a closed day, an ex or effective date not after `today`, a 1:1 ratio, an amount with
    /// more than 6 decimals or not positive).
    func validatedTerms(today: CalendarDate, dates: CorporateActionDates) throws -> CorporateActionTerms {
        guard let text = type, !text.isEmpty else {
            throw DomainError.invalidField(
                "type", "is required: CASH_DIVIDEND or SPLIT (a reverse split is a SPLIT with split_from > split_to)")
        }
        guard let kind = Kind(rawValue: text) else {
            throw DomainError.invalidField("type", "must be CASH_DIVIDEND or SPLIT (got '\(text.prefix(40))')")
        }
        switch kind {
        case .cashDividend:
            try refuse(["split_from": splitFrom, "split_to": splitTo, "effective_date": effectiveDate], in: "CASH_DIVIDEND")
            return .cashDividend(try dividendTerms(today: today, dates: dates))
        case .split:
            try refuse(
                [
                    "cash_amount": cashAmount, "dividend_type": dividendType, "declared_date": declaredDate, "ex_date": exDate,
                    "record_date": recordDate, "pay_date": payDate,
                ], in: "SPLIT")
            return .split(try splitTerms(today: today, dates: dates))
        }
    }

    private func dividendTerms(today: CalendarDate, dates: CorporateActionDates) throws -> CashDividendTerms {
        guard let cashAmount else { throw DomainError.invalidField("cash_amount", "is required: USD per share, e.g. 0.26") }
        let units = try CashAmount.units(cashAmount, field: "cash_amount")
        guard units <= CorporateActionCalendar.dividendPerShareMax * CashAmount.unitsPerWhole else {
            throw DomainError(
                .ruleViolation, code: "amount_too_large",
                message: "cash_amount must be at most \(CorporateActionCalendar.dividendPerShareMax) USD per share")
        }
        let kind =
            try dividendType.map { text in
                guard let kind = CashDividendTerms.Kind(rawValue: text) else {
                    throw DomainError.invalidField("dividend_type", "must be CD (regular) or SC (special) (got '\(text.prefix(20))')")
                }
                return kind
            } ?? .regular
        let declared = try declaredDate.map { try Self.tradingDate($0, field: "declared_date", dates: dates) } ?? today
        let ex = try Self.tradingDate(exDate, field: "ex_date", dates: dates)
        let record = try Self.tradingDate(recordDate, field: "record_date", dates: dates)
        let pay = try Self.tradingDate(payDate, field: "pay_date", dates: dates)
        guard declared <= today else {
            throw DomainError(
                .ruleViolation, code: "declared_date_in_future",
                message: "declared_date \(declared) is after today (\(today), New York): record a dividend once it is declared")
        }
        let ordered = [("declared_date", declared), ("ex_date", ex), ("record_date", record), ("pay_date", pay)]
        for (earlier, later) in zip(ordered, ordered.dropFirst()) where earlier.1 > later.1 {
            throw DomainError(
                .ruleViolation, code: "corporate_action_dates_out_of_order",
                message:
                    "\(later.0) \(later.1) is before \(earlier.0) \(earlier.1); dates must run declared_date ≤ ex_date ≤ record_date ≤ pay_date"
            )
        }
        try Self.requireFuture(ex, field: "ex_date", today: today)
        return CashDividendTerms(
            amountPerShareUnits: units, currency: "USD", kind: kind, declaredDate: declared, exDate: ex, recordDate: record, payDate: pay)
    }

    private func splitTerms(today: CalendarDate, dates: CorporateActionDates) throws -> SplitTerms {
        guard let splitFrom else {
            throw DomainError.invalidField("split_from", "is required: shares before the split, e.g. 1 (for 4-for-1)")
        }
        guard let splitTo else { throw DomainError.invalidField("split_to", "is required: shares after the split, e.g. 4 (for 4-for-1)") }
        let ratio = try SplitRatio(from: try Self.shares(splitFrom, field: "split_from"), to: try Self.shares(splitTo, field: "split_to"))
        let effective = try Self.tradingDate(effectiveDate, field: "effective_date", dates: dates)
        try Self.requireFuture(effective, field: "effective_date", today: today)
        let (record, payable) = try dates.splitDates(effectiveDate: effective)
        return SplitTerms(ratio: ratio, recordDate: record, payableDate: payable, effectiveDate: effective)
    }

    /// A field that belongs to the other type is a mistake worth naming, not a value to ignore.
    private func refuse(_ fields: [String: (any Sendable)?], in type: String) throws {
        if let field = fields.filter({ $0.value != nil }).keys.sorted().first {
            throw DomainError.invalidField(field, "does not apply to type \(type); leave it out")
        }
    }

    /// A whole number of shares within `SplitRatio`'s bounds (checked there), or 400 naming `field`.
    private static func shares(_ amount: Amount, field: String) throws -> Int64 {
        guard let whole = try? amount.rescaled(to: 0, rounding: .exact), let value = Int64(exactly: whole.units),
            value.magnitude <= SplitRatio.termMax
        else {
            throw DomainError.invalidField(
                field, "must be a whole number of shares from 1 to \(SplitRatio.termMax) (got \(amount.trimmedDescription))")
        }
        return value
    }

    private static func requireFuture(_ date: CalendarDate, field: String, today: CalendarDate) throws {
        guard date > today else {
            throw DomainError(
                .ruleViolation, code: "date_not_in_future",
                message: "\(field) \(date) must be after today (\(today), New York): the gateway needs the days before it to prepare")
        }
    }

    /// A required `YYYY-MM-DD` that is a trading day within the calendar.
    private static func tradingDate(_ text: String?, field: String, dates: CorporateActionDates) throws -> CalendarDate {
        guard let text, !text.isEmpty else { throw DomainError.invalidField(field, "is required: YYYY-MM-DD, a New York trading day") }
        guard let date = try? CalendarDate(parsing: text) else {
            throw DomainError.invalidField(field, "'\(text.prefix(40))' is not a date; send YYYY-MM-DD, e.g. 2026-12-14")
        }
        let calendar = dates.calendar
        guard date >= calendar.firstDate, date <= calendar.lastDate.adding(days: -1) else {
            throw DomainError.invalidField(field, "\(date) is outside the trading calendar (\(calendar.validRangeDescription))")
        }
        guard dates.isTradingDay(date) else {
            let next = (try? calendar.nextTradingDay(after: date).date).map { "; the next trading day is \($0)" } ?? ""
            throw DomainError(
                .ruleViolation, code: "not_a_trading_day", message: "\(field) \(date) is not a New York trading day\(next)")
        }
        return date
    }
}
