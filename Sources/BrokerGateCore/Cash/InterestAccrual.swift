import Foundation

/// USD+ interest, as a pure function of an account's accrual state and its USD+ journal.
///
/// The rules, each pinned by `InterestAccrualTests`:
/// - **Every calendar day accrues**, weekends and holidays included: a New York day `d`
///   accrues once it has ended (at 00:00 New York on `d + 1`).
/// - **The balance is the end-of-day balance**, replayed from the journal: the balance
///   after every movement made before the day ended. Movements are applied in journal
///   (sequence) order; one stamped after the day's end waits for a later day.
/// - **The day's accrual is exact**: `balance × rateBps / (10,000 × 365)` ledger units,
///   kept as a numerator over `denominator` (3,650,000), never rounded.
/// - **Payments are whole cents, rounded up, with the difference carried**: the day pays
///   `ceil((carry + accrual) / cent)` cents when that is positive, and the carry becomes what
///   was accrued minus what was paid (between minus one cent and zero). Rounding up is in
///   the house's disfavour (DESIGN.md rule 1); carrying the difference means the house is
///   ahead of the customer by less than one cent at any time, and nothing is lost.
/// - **Idempotent**: a day at or before `lastAccruedDate` is never accrued again.
public enum InterestAccrual {
    /// Accruals and the carry are counted in 1/`denominator` ledger units: basis points per
    /// whole (10,000) times days per year (365, also in leap years, as the rate is quoted).
    public static let denominator: Int128 = 3_650_000
    /// One cent in ledger units (scale 6).
    public static let centUnits: Int64 = 10_000
    /// Days one call may accrue: a bound on work; a longer catch-up continues next call.
    public static let daysPerRunMax = 366
    /// The highest rate the configuration accepts: 100% a year.
    public static let rateBpsMax = 10_000

    /// Where an account's accrual stands. Stored per account (`InterestAccrualState`).
    public struct State: Sendable, Equatable, Codable {
        /// The last New York day accrued; nil before the first.
        public var lastAccruedDate: CalendarDate?
        /// The USD+ balance after the journal through `journalSequence`.
        public var balanceUnits: Int64
        /// The last journal sequence applied to `balanceUnits`.
        public var journalSequence: Int64
        /// Accrued minus paid, in 1/`denominator` units: `-cent × denominator < carry ≤ 0`
        /// after a payment.
        public var carry: WideInteger

        public static let initial = State(lastAccruedDate: nil, balanceUnits: 0, journalSequence: 0, carry: WideInteger(0))
    }

    /// One journal entry of the account's USD+: `signedUnits` credited (+) or debited (−).
    public struct Movement: Sendable, Equatable {
        public let sequence: Int64
        public let signedUnits: Int64
        public let at: Date

        public init(sequence: Int64, signedUnits: Int64, at: Date) {
            self.sequence = sequence
            self.signedUnits = signedUnits
            self.at = at
        }
    }

    /// The outcome of one accrued day.
    public struct Day: Sendable, Equatable {
        public let accrualDate: CalendarDate
        public let endOfDayBalanceUnits: Int64
        /// `balance × rateBps`: the day's exact accrual in 1/`denominator` units.
        public let accrued: Int128
        public let carryBefore: Int128
        /// Whole cents, in ledger units; 0 when nothing is owed.
        public let paidUnits: Int64
        /// `carryBefore + accrued − paidUnits × denominator`.
        public let carryAfter: Int128
    }

    /// Accrues every day from the day after `state.lastAccruedDate` (or `firstDate` for a
    /// new account) through `lastDate`, at most `daysPerRunMax` of them. `movements` are the
    /// account's journal entries after `state.journalSequence`, in sequence order.
    public static func accrue(
        _ state: State, movements: [Movement], firstDate: CalendarDate, through lastDate: CalendarDate, rateBps: Int,
        endOfDay: (CalendarDate) -> Date
    ) -> (state: State, days: [Day]) {
        precondition((0...rateBpsMax).contains(rateBps), "rate \(rateBps) bps is outside 0...\(rateBpsMax)")
        var state = state
        var days: [Day] = []
        var pending = ArraySlice(movements.filter { $0.sequence > state.journalSequence })
        var date = state.lastAccruedDate?.adding(days: 1) ?? firstDate
        while date <= lastDate, days.count < daysPerRunMax {
            let end = endOfDay(date)
            while let next = pending.first, next.at < end {
                state.balanceUnits += next.signedUnits
                state.journalSequence = next.sequence
                pending = pending.dropFirst()
            }
            let day = accrueDay(date, balanceUnits: state.balanceUnits, carry: state.carry.value, rateBps: rateBps)
            state.carry = WideInteger(day.carryAfter)
            state.lastAccruedDate = date
            days.append(day)
            date = date.adding(days: 1)
        }
        return (state, days)
    }

    /// One day's accrual and payment (the rounding rule of the type's documentation).
    static func accrueDay(_ date: CalendarDate, balanceUnits: Int64, carry: Int128, rateBps: Int) -> Day {
        precondition(balanceUnits >= 0, "customer balances are never negative")
        let accrued = Int128(balanceUnits) * Int128(rateBps)
        let owed = carry + accrued
        let centNumerator = Int128(centUnits) * denominator
        // Ceiling division for a positive amount owed: whole cents, rounded up.
        let cents = owed > 0 ? (owed + centNumerator - 1) / centNumerator : 0
        let paid = cents * Int128(centUnits)
        return Day(
            accrualDate: date, endOfDayBalanceUnits: balanceUnits, accrued: accrued, carryBefore: carry, paidUnits: Int64(paid),
            carryAfter: owed - paid * denominator)
    }
}

/// An `Int128` stored as decimal text: JSON numbers in documents cannot carry it exactly.
public struct WideInteger: Sendable, Equatable, Codable {
    public let value: Int128

    public init(_ value: Int128) {
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Int128(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected an integer, got \(text.prefix(50))"))
        }
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}
