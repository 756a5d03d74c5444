import Foundation

/// One account's right to one cash dividend, fixed when the ex date begins, and its payment.
///
/// Arithmetic (exact): `shares × amount per share` is in 10⁻¹² USD; the gross is rounded
/// **up** to whole ledger units (10⁻⁶ USD: the customer's favour) and the difference the house
/// pays is kept in `roundingPicoUnits`; the tax is `gross × rate`, rounded **down** (again the
/// customer's favour); the customer is paid `net = gross − tax`.
public struct DividendEntitlement: StoredDocument, Equatable {
    public static let kind = "dividend_entitlement"

    public enum Status: String, Sendable, Codable {
        /// In the snapshot; not paid yet (the pay date has not come).
        case entitled = "ENTITLED"
        case paid = "PAID"
    }

    public let actionID: CorporateActionID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let stockID: StockID
    public let symbol: String
    /// Tokens held when the ex date began, in ledger units (10⁻⁶ share).
    public let sharesUnits: Int64
    public let amountPerShareUnits: Int64
    /// Who the holder was for withholding; nil without any KYC submission (taxed at 30 %).
    public let residence: WithholdingTax.Residence?
    public let rateBps: Int
    public let grossUnits: Int64
    public let taxUnits: Int64
    public let netUnits: Int64
    /// What rounding the gross up gave the customer, in 10⁻¹² USD (below one ledger unit).
    public let roundingPicoUnits: Int64
    public let payDate: CalendarDate
    public var status: Status
    public var paidAt: Date?
    /// When the snapshot was taken (business time).
    public let createdAt: Date

    public var documentID: String { "\(actionID.rawValue):\(accountID.rawValue)" }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    public var lookupKey: String? { actionID.rawValue }
    public var statusKey: String? { status.rawValue }

    /// The entitlement of `sharesUnits` at `amountPerShareUnits`, withheld at `rateBps`.
    static func amounts(
        sharesUnits: Int64, amountPerShareUnits: Int64, rateBps: Int
    ) -> (gross: Int64, tax: Int64, net: Int64, rounding: Int64) {
        let exact = Int128(sharesUnits) * Int128(amountPerShareUnits)  // 10⁻¹² USD
        let scale = Int128(1_000_000)
        let gross = (exact + scale - 1) / scale
        let tax = gross * Int128(rateBps) / 10_000
        return (Int64(gross), Int64(tax), Int64(gross - tax), Int64(gross * scale - exact))
    }
}

/// The holders of a dividend, taken once when its ex date begins (`DividendPayer`).
public struct DividendSnapshot: StoredDocument, Equatable {
    public static let kind = "dividend_snapshot"
    public let actionID: CorporateActionID
    public let symbol: String
    public let holders: Int
    public let sharesUnits: Int64
    public let grossUnits: Int64
    public let taxUnits: Int64
    public let createdAt: Date

    public var documentID: String { actionID.rawValue }
    public var ownerOrganizationID: OrganizationID { .house }
}

/// Pays cash dividends to token holders (scheduler replica; decides by the business clock).
///
/// - **Ex date**: when a dividend's ex date has begun (00:00 New York), the job snapshots
///   every account holding the stock, in one store transaction: tokens held then are
///   entitled, so a buy on the ex date (no session runs before 04:00) is not, and a sell on
///   the ex date keeps the dividend. Each entitlement records the holder's withholding rate
///   (`WithholdingTax`).
/// - **Pay date**: from 00:00 New York of the pay date, each entitlement is paid in its own
///   transaction: the broker's dividend on the custody shares is swept into the USDC reserve
///   (`dividends_received` → `usdc_reserve`, the gross), USD+ is issued to the holder (net) and
///   to `withholding_tax` (the tax), so USD+ stays fully backed. On `--chain evm:` the net is
///   minted to the holder's wallet through the chain outbox.
/// - The action is then stored PROCESSED. The job's cursor keeps the last day it finished,
///   so a restart, a second replica or a jump of the sandbox clock pays nothing twice; a
///   clock moved back rewinds the cursor, and processed actions are never due again.
public struct DividendPayer: Sendable {
    public let calendar: CorporateActionCalendar
    let ledger: Ledger

    public init(calendar: CorporateActionCalendar, chain: ChainRecorder = .off) {
        self.calendar = calendar
        ledger = Ledger(clock: calendar.clock, chain: chain)
    }

    public struct PassReport: Sendable, Equatable {
        public var snapshots = 0
        public var payments = 0
        public var paidUnits: Int64 = 0
    }

    public func pass(_ store: any Store) async throws -> PassReport {
        var report = PassReport()
        let today = calendar.today(), now = calendar.clock.now()
        var ex = try await MilestoneCursor.read(.exDate, today: today, at: now, store: store)
        if ex.through < today {
            for action in try await ex.due(calendar, today: today, store: store) where action.dividend != nil {
                if try await snapshot(action, store: store) { report.snapshots += 1 }
            }
            try await ex.finish(today, store: store)
        }
        var pay = try await MilestoneCursor.read(.payDate, today: today, at: now, store: store)
        if pay.through < today {
            for action in try await pay.due(calendar, today: today, store: store) where action.dividend != nil {
                let paid = try await self.pay(action, store: store)
                report.payments += paid.count
                report.paidUnits += paid.units
            }
            try await pay.finish(today, store: store)
        }
        return report
    }

    /// Records every holder's entitlement, once; false when the snapshot exists already.
    func snapshot(_ action: CorporateAction, store: any Store) async throws -> Bool {
        guard let dividend = action.dividend else { return false }
        let now = calendar.clock.now()
        return try await store.transaction { tx in
            if try await tx.document(DividendSnapshot.self, id: action.id.rawValue) != nil { return false }
            var holders: [LedgerBalance] = []
            try await LedgerBalancePages.forEach(.stock(action.symbol), in: tx) { page in
                holders += page.filter { $0.id.isCustomer && $0.balanceUnits > 0 }
            }
            var total = (shares: Int64(0), gross: Int64(0), tax: Int64(0))
            for row in holders {
                guard case .customer(let accountID) = row.id.owner,
                    let account = try await tx.document(Account.self, id: accountID.rawValue)
                else { continue }
                let residence = try await WithholdingTax.residence(of: account.entityID, in: tx)
                let rate = residence.map(WithholdingTax.rateBps) ?? WithholdingTax.statutoryBps
                let amounts = DividendEntitlement.amounts(
                    sharesUnits: row.balanceUnits, amountPerShareUnits: dividend.amountPerShareUnits, rateBps: rate)
                try await tx.insertDocument(
                    DividendEntitlement(
                        actionID: action.id, accountID: accountID, organizationID: account.organizationID, stockID: action.stockID,
                        symbol: action.symbol, sharesUnits: row.balanceUnits, amountPerShareUnits: dividend.amountPerShareUnits,
                        residence: residence, rateBps: rate, grossUnits: amounts.gross, taxUnits: amounts.tax, netUnits: amounts.net,
                        roundingPicoUnits: amounts.rounding, payDate: dividend.payDate, status: .entitled, paidAt: nil, createdAt: now))
                total = (total.shares + row.balanceUnits, total.gross + amounts.gross, total.tax + amounts.tax)
            }
            try await tx.insertDocument(
                DividendSnapshot(
                    actionID: action.id, symbol: action.symbol, holders: holders.count, sharesUnits: total.shares, grossUnits: total.gross,
                    taxUnits: total.tax, createdAt: now))
            return true
        }
    }

    /// Pays every unpaid entitlement of `action`, each in its own transaction, then stores
    /// the action PROCESSED. An action without a snapshot had its ex date before these books
    /// (the gateway was not running): it is closed without payments.
    func pay(_ action: CorporateAction, store: any Store) async throws -> (count: Int, units: Int64) {
        let entitlements = try await store.read { tx in
            try await tx.allDocuments(
                DividendEntitlement.self,
                query: DocumentQuery(owner: nil, lookupKey: action.id.rawValue, statusKey: DividendEntitlement.Status.entitled.rawValue))
        }
        var paid = (count: 0, units: Int64(0))
        for entitlement in entitlements {
            let done = try await store.transaction { [ledger, calendar] tx -> Bool in
                guard var current = try await tx.document(DividendEntitlement.self, id: entitlement.documentID), current.status == .entitled
                else { return false }
                let reference = (kind: DividendEntitlement.kind, id: current.documentID)
                try await ledger.transfer(
                    current.grossUnits, from: .house(.dividendsReceived, .usdc), to: .house(.usdcReserve, .usdc), reason: .dividend,
                    reference: reference, in: tx)
                if current.netUnits > 0 {
                    try await ledger.transfer(
                        current.netUnits, from: .house(.usdPlusIssuance, .usdPlus), to: .customer(current.accountID, .usdPlus),
                        reason: .dividend, reference: reference, in: tx)
                }
                if current.taxUnits > 0 {
                    try await ledger.transfer(
                        current.taxUnits, from: .house(.usdPlusIssuance, .usdPlus), to: .house(.withholdingTax, .usdPlus),
                        reason: .withholdingTax, reference: reference, in: tx)
                }
                current.status = .paid
                current.paidAt = calendar.clock.now()
                try await tx.updateDocument(current)
                return true
            }
            if done {
                paid.count += 1
                paid.units += entitlement.netUnits
            }
        }
        try await store.transaction { tx in
            var processed = action
            processed.status = .processed
            try await tx.saveDocument(processed)
        }
        return paid
    }
}
