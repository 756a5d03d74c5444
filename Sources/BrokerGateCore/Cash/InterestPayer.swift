import Foundation

/// Tag for interest payment ids.
public enum InterestPaymentTag {}
public typealias InterestPaymentID = Identifier<InterestPaymentTag>

/// Interest paid to an account for one New York day, with the exact arithmetic behind it:
/// `carryBefore + accrued − paidUnits × denominator == carryAfter` (1/3,650,000 units).
public struct InterestPayment: StoredDocument, Equatable {
    public static let kind = "interest_payment"

    public let id: InterestPaymentID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    /// The day the interest was earned.
    public let accrualDate: CalendarDate
    /// The day it was paid: the day after `accrualDate` (a day is paid once it has ended).
    public let paymentDate: CalendarDate
    public let endOfDayBalanceUnits: Int64
    public let rateBps: Int
    public let accrued: WideInteger
    public let carryBefore: WideInteger
    public let paidUnits: Int64
    public let carryAfter: WideInteger
    /// The business instant the payment was actually made (a catch-up pays several days late).
    public let paidAt: Date
    /// 00:00 New York on `paymentDate`, when the payment fell due. Ordering the listing by
    /// it makes a `start_date`/`end_date` query a cursor walk over one index.
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
}

/// Where an account's interest accrual stands (one per account that ever held USD+).
public struct InterestAccrualState: StoredDocument, Equatable {
    public static let kind = "interest_accrual_state"

    public let accountID: AccountID
    public let organizationID: OrganizationID
    public var state: InterestAccrual.State
    public let createdAt: Date
    public var updatedAt: Date

    public var documentID: String { accountID.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
}

/// What one run did: payments made, and accounts that failed (each retried next run).
/// Counts and totals cover the whole run; the payments and failures themselves are kept
/// only up to `keptMax` each, so the first run of a day over 100k holders does not hold
/// 100k payments in memory to report them.
public struct InterestRunSummary: Sendable, Equatable {
    /// The run's first payments (at most `keptMax`), for tests and logs.
    public var payments: [InterestPayment] = []
    public var paymentCount = 0
    public var paidUnits: Int64 = 0
    /// The run's first failures (at most `keptMax`).
    public var failures: [String] = []
    public var failureCount = 0

    public static let keptMax = 1_000

    public init() {}

    mutating func record(_ made: [InterestPayment]) {
        paymentCount += made.count
        paidUnits += made.reduce(0) { $0 + $1.paidUnits }
        payments += made.prefix(Self.keptMax - payments.count)
    }

    mutating func recordFailure(_ message: String) {
        failureCount += 1
        if failures.count < Self.keptMax { failures.append(message) }
    }
}

/// Runs `InterestAccrual` against the store: per account, in one transaction, read the
/// state and the new journal entries, accrue every ended day, pay each day's whole cents as
/// a ledger transfer (`CashLedger.payInterest`) with its `InterestPayment`, save the state.
/// Running again for the same instant finds nothing due, so it pays once.
public struct InterestPayer: Sendable {
    public let clock: any BusinessClock
    let cash: CashLedger
    /// The nominal annual rate in basis points, applied as rate/365 per calendar day.
    public let rateBps: Int

    /// Journal entries read per query, and at most per account per run (a bound on work).
    static let journalPageSize = 500
    static let movementsPerRunMax = 50_000

    public init(clock: any BusinessClock, rateBps: Int, chain: ChainRecorder = .off) {
        precondition((0...InterestAccrual.rateBpsMax).contains(rateBps), "rate out of range")
        self.clock = clock
        cash = CashLedger(clock: clock, chain: chain)
        self.rateBps = rateBps
    }

    /// Accrues and pays every New York day that ended at or before `now`, for every account
    /// holding or having held USD+. One account's failure does not stop the others.
    ///
    /// Holders are read a page at a time, each page in its own short transaction: the walk
    /// needs no snapshot (each account is settled in its own transaction anyway), and a
    /// page's memory is all it holds, however many customers there are.
    public func runDue(now: Date, store: any Store) async throws -> InterestRunSummary {
        let lastDate = NewYorkDay.date(of: now).adding(days: -1)
        var summary = InterestRunSummary()
        var after: LedgerAccountID?
        while true {
            let page = try await store.read { [after] tx in
                try await tx.ledgerBalances(asset: .usdPlus, after: after, limit: LedgerBalancePages.pageSize)
            }
            for row in page {
                guard case .customer(let accountID) = row.id.owner else { continue }
                do {
                    summary.record(try await store.transaction { tx in try await accrue(accountID, through: lastDate, in: tx) })
                } catch {
                    summary.recordFailure("account \(accountID): \(error)")
                }
            }
            guard page.count == LedgerBalancePages.pageSize, let last = page.last else { return summary }
            after = last.id
        }
    }

    /// Accrues one account through `lastDate` in the caller's transaction.
    public func accrue(
        _ accountID: AccountID, through lastDate: CalendarDate, in tx: any StoreTransaction
    ) async throws -> [InterestPayment] {
        guard let account = try await tx.document(Account.self, id: accountID.rawValue) else { return [] }
        let stored = try await tx.document(InterestAccrualState.self, id: accountID.rawValue)
        let state = stored?.state ?? .initial
        if let last = state.lastAccruedDate, last >= lastDate { return [] }
        let (movements, complete) = try await journal(of: accountID, after: state.journalSequence, in: tx)
        guard let firstDate = state.lastAccruedDate?.adding(days: 1) ?? movements.first.map({ NewYorkDay.date(of: $0.at) }) else {
            return []
        }
        // A journal read cut short covers only the days that ended before its last entry.
        let throughDate = complete ? lastDate : min(lastDate, NewYorkDay.date(of: movements.last?.at ?? clock.now()).adding(days: -1))
        let outcome = InterestAccrual.accrue(
            state, movements: movements, firstDate: firstDate, through: throughDate, rateBps: rateBps, endOfDay: NewYorkDay.end(of:))
        guard !outcome.days.isEmpty else { return [] }
        var payments: [InterestPayment] = []
        for day in outcome.days where day.paidUnits > 0 {
            payments.append(try await pay(day, to: account, in: tx))
        }
        try await save(outcome.state, of: account, previous: stored, in: tx)
        return payments
    }

    /// The account's interest payments with `paymentDate` in `start..<end` (New York dates,
    /// as Dinari's `start_date` inclusive, `end_date` exclusive).
    public func list(
        _ accountID: AccountID, start: CalendarDate, end: CalendarDate, page: PageRequest, for principal: Principal,
        in tx: any StoreTransaction
    ) async throws -> Page<InterestPayment> {
        let account = try await tx.account(accountID, for: principal)
        let range = PageCursor.micros(NewYorkDay.start(of: start))..<PageCursor.micros(NewYorkDay.start(of: end))
        let query = DocumentQuery(owner: principal.organizationID, parentID: account.id.rawValue, page: page)
        return try await DateRangePage.walk(InterestPayment.self, query: query, range: range, in: tx)
    }

    private func pay(_ day: InterestAccrual.Day, to account: Account, in tx: any StoreTransaction) async throws -> InterestPayment {
        let id = InterestPaymentID.generate()
        let paymentDate = day.accrualDate.adding(days: 1)
        let payment = InterestPayment(
            id: id, accountID: account.id, organizationID: account.organizationID, accrualDate: day.accrualDate, paymentDate: paymentDate,
            endOfDayBalanceUnits: day.endOfDayBalanceUnits, rateBps: rateBps, accrued: WideInteger(day.accrued),
            carryBefore: WideInteger(day.carryBefore), paidUnits: day.paidUnits, carryAfter: WideInteger(day.carryAfter),
            paidAt: clock.now(),
            createdAt: NewYorkDay.start(of: paymentDate))
        try await tx.insertDocument(payment)
        try await cash.payInterest(day.paidUnits, to: account, reference: (InterestPayment.kind, id.rawValue), in: tx)
        try await tx.emit(.interestPaid, .interestPayment(payment), at: payment.paidAt)
        return payment
    }

    private func save(
        _ state: InterestAccrual.State, of account: Account, previous: InterestAccrualState?, in tx: any StoreTransaction
    ) async throws {
        let now = clock.now()
        if var previous {
            previous.state = state
            previous.updatedAt = now
            try await tx.updateDocument(previous)
        } else {
            try await tx.insertDocument(
                InterestAccrualState(
                    accountID: account.id, organizationID: account.organizationID, state: state, createdAt: now, updatedAt: now))
        }
    }

    /// The account's USD+ journal after `sequence`, signed from its side; `complete` is false
    /// when `movementsPerRunMax` cut it short.
    private func journal(
        of accountID: AccountID, after sequence: Int64, in tx: any StoreTransaction
    ) async throws -> (movements: [InterestAccrual.Movement], complete: Bool) {
        let ledgerAccount = LedgerAccountID.customer(accountID, .usdPlus)
        var movements: [InterestAccrual.Movement] = []
        var cursor = sequence
        while movements.count < Self.movementsPerRunMax {
            let batch = try await tx.ledgerTransfers(touching: ledgerAccount, afterSequence: cursor, limit: Self.journalPageSize)
            for (sequence, transfer) in batch {
                let signed = transfer.credit == ledgerAccount ? transfer.amountUnits : -transfer.amountUnits
                movements.append(InterestAccrual.Movement(sequence: sequence, signedUnits: signed, at: transfer.createdAt))
            }
            guard batch.count == Self.journalPageSize, let last = batch.last else { return (movements, true) }
            cursor = last.sequence
        }
        return (movements, false)
    }
}
