import Foundation

/// What one applied split did, stored once in the transaction that applied it (its id is the
/// action's). `brokerStatus` is the outbox of the broker's side: the split is carried into
/// the broker's book after the ledger commits, and retried until the broker has it.
public struct SplitRecord: StoredDocument, Equatable {
    public static let kind = "split_record"

    public enum BrokerStatus: String, Sendable, Codable {
        /// The ledger is split; the broker's book not yet (`BrokerAdapter.applySplit`).
        case pending = "PENDING"
        case applied = "APPLIED"
    }

    public let actionID: CorporateActionID
    public let symbol: String
    public let ratio: SplitRatio
    public let effectiveDate: CalendarDate
    /// Customer accounts holding the stock when it was applied.
    public let holders: Int
    /// Tokens outstanding (== custody) before and after, in ledger units.
    public let tokensBeforeUnits: Int64
    public let tokensAfterUnits: Int64
    /// What the house holds in `split_fractions` after: fractions bought back, at every split.
    public let houseFractionsUnits: Int64
    /// USD+ paid to holders as cash in lieu, in ledger units.
    public let cashInLieuUnits: Int64
    /// The previous close per pre-split share the fractions were paid at.
    public let closePrice: Amount
    public var brokerStatus: BrokerStatus
    public let createdAt: Date

    public var documentID: String { actionID.rawValue }
    public var ownerOrganizationID: OrganizationID { .house }
    public var statusKey: String? { brokerStatus.rawValue }
}

/// Applies splits and reverse splits to every holder (scheduler replica; decides by the
/// business clock): operator-scheduled ones, and historical ones (`HistoricalSplits`) whose
/// effective date the business clock crosses while the gateway runs, i.e. a sandbox clock
/// moved back before it and then forward (`MilestoneCursor.due`). Historical splits before
/// the gateway's first run stay `REFERENCE`: balances never held their old share count.
///
/// From 00:00 New York of the effective date (before any session of that day opens), once:
/// 1. **Open orders of the stock are cancelled** (the policy): each is asked to cancel with a
///    message naming the split, and advanced through the order engine at once, so fills the
///    broker made first are settled at the old share count and every hold is released. An
///    order's limit price and quantity are the customer's own decision at a price that no
///    longer exists; re-pricing it silently would trade on terms they never saw, so they
///    place it again at split-adjusted terms (as most US brokers do for splits).
/// 2. **One store transaction** applies the ledger side, and only when no order of the stock
///    is open in it (an order placed meanwhile waits for the next tick's pass): each holder's
///    tokens become floor(tokens × to ÷ from) at 10⁻⁶ share (minted from or burned into
///    `token_issuance`); the fraction below that is paid as USD+ cash in lieu at the previous
///    regular close, rounded up (`SplitArithmetic.cashInLieu`), backed like a dividend
///    (`cash_in_lieu` USDC swept into `usdc_reserve`). Custody becomes floor(custody × to ÷
///    from) (`market` ↔ `broker_custody`), exactly what the broker's book becomes; the house
///    keeps the difference to the holders' new tokens in `split_fractions` (tokens it bought
///    back), so tokens outstanding == custody after as before. The action is stored PROCESSED.
/// 3. **The broker's book** is split after the commit (`BrokerAdapter.applySplit`,
///    idempotent per split), retried each pass until done (the `SplitRecord` is the outbox).
///
/// Prices: an applied operator split is registered on the price model; a historical one
/// never is, because the model prices every instant before its effective date as traded
/// already (`PriceModel+Splits.swift`). The model's price flips at 00:00 New York of the
/// effective date and this pass follows within its interval (about a second); no session
/// runs then, and new orders of the stock are refused meanwhile (`split_in_progress`).
///
/// On `--chain evm:` each holder's move is a mint or burn on their wallet (`ChainRecorder`).
/// The cursor keeps the last effective date done, so a restart, a second replica or a jump
/// of the sandbox clock applies nothing twice; a clock moved back rewinds the cursor only.
public struct SplitApplier: Sendable {
    public let calendar: CorporateActionCalendar
    public let engine: OrderEngine
    public let model: PriceModel
    let ledger: Ledger

    /// `model` is the market's price model: applied splits are registered on it so prices
    /// are split-adjusted from the effective date (`PriceModel.registerSplit`).
    public init(calendar: CorporateActionCalendar, engine: OrderEngine, model: PriceModel, chain: ChainRecorder = .off) {
        self.calendar = calendar
        self.engine = engine
        self.model = model
        ledger = Ledger(clock: calendar.clock, chain: chain)
    }

    public struct PassReport: Sendable, Equatable {
        public var applied = 0
        public var cancelledOrders = 0
        /// Splits due that could not be applied yet (an order still open); retried next pass.
        public var waiting = 0
        public var brokerApplied = 0
        public init() {}
    }

    public func pass(_ store: any Store) async throws -> PassReport {
        var report = PassReport()
        report.brokerApplied = try await applyAtBroker(store)
        try await registerPrices(store)
        let today = calendar.today()
        var cursor = try await MilestoneCursor.read(.effectiveDate, today: today, at: calendar.clock.now(), store: store)
        guard cursor.through < today else { return report }
        let due = try await cursor.due(calendar, today: today, store: store)
        for action in due where action.split != nil {
            report.cancelledOrders += try await cancelOpenOrders(of: action, store: store)
            guard let record = try await applyToLedger(action, store: store) else {
                report.waiting += 1
                continue
            }
            report.applied += 1
            // Prices follow the holdings at once, not after the broker's book (a call out):
            // in between, holders had their split tokens at the unsplit price.
            registerPrice(record)
        }
        report.brokerApplied += try await applyAtBroker(store)
        // Only a pass that applied everything due moves on; otherwise the same days come again.
        // A clock moved back meanwhile keeps its rewind (`clockMoved`): never past its today.
        guard report.waiting == 0 else { return report }
        try await cursor.finish(min(today, calendar.today()), store: store)
        return report
    }

    /// The sandbox clock was moved to `instant` (`PUT /api/v2/sandbox/clock`): a historical
    /// split after its New York date will count as crossed when the clock reaches it.
    public static func clockMoved(to instant: Date, calendar: TradingCalendar = .nyse, store: any Store) async throws {
        try await MilestoneCursor.clockMoved(to: calendar.calendarDate(of: instant), at: instant, store: store)
    }

    /// Asks every open order of the split's stock to cancel, then advances each through the
    /// engine (broker cancel, fills settled, hold voided). Returns how many were newly asked.
    func cancelOpenOrders(of action: CorporateAction, store: any Store) async throws -> Int {
        guard let split = action.split else { return 0 }
        let message =
            "cancelled: \(action.symbol) \(split.ratio.isReverse ? "reverse split" : "split") \(split.ratio.from):\(split.ratio.to) "
            + "effective \(split.effectiveDate); place it again at split-adjusted price and quantity"
        let now = calendar.clock.now()
        let (asked, open) = try await store.transaction { tx -> (Int, [OrderID]) in
            var asked = 0
            let open = try await Self.openOrders(of: action.symbol, in: tx)
            for var order in open where order.status != .pendingCancel {
                try order.requestCancel(.corporateAction, at: now)
                order.cancelMessage = message
                try await tx.updateDocument(order)
                asked += 1
            }
            return (asked, open.map(\.id))
        }
        // Every open order of the stock, including those a failed pass asked already. A
        // broker that cannot answer now leaves the order open: the split waits for it.
        for id in open {
            _ = try? await engine.advance(id, store: store)
        }
        return asked
    }

    static func openOrders(of symbol: String, in tx: any StoreTransaction) async throws -> [OrderRecord] {
        try await tx.allDocuments(OrderRecord.self, query: .openOrders()).filter { $0.symbol == symbol }
    }

    /// Applies the split to the ledger in one transaction; nil while an order of the stock
    /// is still open. A split applied already returns its record unchanged.
    func applyToLedger(_ action: CorporateAction, store: any Store) async throws -> SplitRecord? {
        guard let split = action.split, let stock = calendar.universe.stock(id: action.stockID) else { return nil }
        let previous = try calendar.dates.calendar.previousTradingDay(before: split.effectiveDate)
        let close = try model.price(of: stock, at: previous.regularClose).price
        let closeUnits = try OrderPricing.units(close)
        return try await store.transaction { [ledger, calendar] tx -> SplitRecord? in
            if let done = try await tx.document(SplitRecord.self, id: action.id.rawValue) { return done }
            guard try await Self.openOrders(of: action.symbol, in: tx).isEmpty else { return nil }
            var holdings = try await SplitHoldings.read(action.symbol, in: tx)
            try holdings.requireBacked(action)
            let reference = (kind: SplitRecord.kind, id: action.id.rawValue)
            let moves = SplitMoves(ledger: ledger, stock: .stock(action.symbol), reference: reference)
            var cashUnits: Int64 = 0
            for row in holdings.customers {
                guard case .customer(let accountID) = row.id.owner else { continue }
                let (units, remainder) = SplitArithmetic.holding(row.balanceUnits, split.ratio)
                try await moves.move(.customer(accountID, moves.stock), from: row.balanceUnits, to: units, in: tx)
                let cash = SplitArithmetic.cashInLieu(remainder: remainder, ratio: split.ratio, closeUnits: closeUnits)
                try await moves.payCashInLieu(cash, to: accountID, in: tx)
                cashUnits += cash
                holdings.customersAfterUnits += units
            }
            let custodyAfter = SplitArithmetic.split(holdings.custodyUnits, split.ratio)
            let fractionsAfter = custodyAfter - holdings.customersAfterUnits
            precondition(fractionsAfter >= 0, "the sum of floors never exceeds the floor of the sum")
            try await moves.move(.house(.splitFractions, moves.stock), from: holdings.fractionsUnits, to: fractionsAfter, in: tx)
            try await moves.moveCustody(from: holdings.custodyUnits, to: custodyAfter, in: tx)
            try await SplitHoldings.read(action.symbol, in: tx).requireBacked(action)
            var processed = action
            processed.status = .processed
            try await tx.saveDocument(processed)
            let record = SplitRecord(
                actionID: action.id, symbol: action.symbol, ratio: split.ratio, effectiveDate: split.effectiveDate,
                holders: holdings.customers.count, tokensBeforeUnits: holdings.custodyUnits, tokensAfterUnits: custodyAfter,
                houseFractionsUnits: fractionsAfter, cashInLieuUnits: cashUnits, closePrice: close, brokerStatus: .pending,
                createdAt: calendar.clock.now())
            try await tx.insertDocument(record)
            return record
        }
    }

    /// Registers every applied operator split on the price model (after a restart too: each
    /// pass; on the replicas that do not apply splits, each tick). Historical splits are left
    /// out: the model prices them as traded already.
    public func registerPrices(_ store: any Store) async throws {
        let applied = try await store.read { tx in try await tx.allDocuments(SplitRecord.self, query: DocumentQuery(owner: .house)) }
        for record in applied { registerPrice(record) }
    }

    /// Registers one applied split on the price model, unless it is historical.
    private func registerPrice(_ record: SplitRecord) {
        guard !calendar.isHistorical(record.actionID) else { return }
        model.registerSplit(symbol: record.symbol, effectiveDate: record.effectiveDate, ratio: record.ratio)
    }

    /// Carries every split the ledger has applied and the broker has not into its book.
    func applyAtBroker(_ store: any Store) async throws -> Int {
        let pending = try await store.read { tx in
            try await tx.allDocuments(
                SplitRecord.self, query: DocumentQuery(owner: .house, statusKey: SplitRecord.BrokerStatus.pending.rawValue))
        }
        for record in pending {
            try await engine.broker.applySplit(symbol: record.symbol, ratio: record.ratio, splitID: record.actionID.rawValue)
            try await store.transaction { tx in
                guard var current = try await tx.document(SplitRecord.self, id: record.documentID), current.brokerStatus == .pending
                else { return }
                current.brokerStatus = .applied
                try await tx.updateDocument(current)
            }
        }
        return pending.count
    }
}

/// One stock's rows as a split reads them: customers holding it, the house's fractions and
/// custody, and tokens outstanding.
struct SplitHoldings {
    var customers: [LedgerBalance] = []
    var fractionsUnits: Int64 = 0
    var custodyUnits: Int64 = 0
    var tokensOutstandingUnits: Int64 = 0
    var totalUnits: Int64 = 0
    /// Sum of the customers' tokens after the split (filled in as they are moved).
    var customersAfterUnits: Int64 = 0

    static func read(_ symbol: String, in tx: any LedgerRepository) async throws -> SplitHoldings {
        var holdings = SplitHoldings()
        var customers: [LedgerBalance] = []
        let balances = try await AssetBalances.read(.stock(symbol), in: tx) { row in
            if row.balanceUnits > 0 { customers.append(row) }
        }
        holdings.customers = customers
        holdings.fractionsUnits = balances.house(.splitFractions)
        holdings.custodyUnits = balances.house(.brokerCustody)
        holdings.tokensOutstandingUnits = -balances.house(.tokenIssuance)
        holdings.totalUnits = balances.totalUnits
        return holdings
    }

    /// Rule 3 and rule 2 around a split: tokens outstanding == custody, every token is held by
    /// a customer or the house's fractions, and the asset sums to zero.
    func requireBacked(_ action: CorporateAction) throws(DomainError) {
        let held = customers.reduce(0) { $0 + $1.balanceUnits } + fractionsUnits
        guard tokensOutstandingUnits == custodyUnits, held == tokensOutstandingUnits, totalUnits == 0 else {
            throw DomainError(
                .ruleViolation, code: "split_backing_broken",
                message: "\(action.symbol): tokens outstanding \(tokensOutstandingUnits), held \(held), custody \(custodyUnits), "
                    + "ledger sum \(totalUnits) units; the split \(action.id) is applied only to books that balance")
        }
    }
}

/// The ledger moves of one split, all under the split's reference.
struct SplitMoves {
    let ledger: Ledger
    let stock: LedgerAsset
    let reference: (kind: String, id: String)

    /// Brings a token holding from `before` to `after` units against `token_issuance`.
    func move(_ account: LedgerAccountID, from before: Int64, to after: Int64, in tx: any LedgerRepository) async throws {
        let issuance = LedgerAccountID.house(.tokenIssuance, stock)
        if after > before {
            try await ledger.transfer(after - before, from: issuance, to: account, reason: .split, reference: reference, in: tx)
        } else if after < before {
            try await ledger.transfer(before - after, from: account, to: issuance, reason: .split, reference: reference, in: tx)
        }
    }

    /// Brings custody from `before` to `after` units against `market` (the broker's side).
    func moveCustody(from before: Int64, to after: Int64, in tx: any LedgerRepository) async throws {
        let custody = LedgerAccountID.house(.brokerCustody, stock), market = LedgerAccountID.house(.market, stock)
        if after > before {
            try await ledger.transfer(after - before, from: market, to: custody, reason: .split, reference: reference, in: tx)
        } else if after < before {
            try await ledger.transfer(before - after, from: custody, to: market, reason: .split, reference: reference, in: tx)
        }
    }

    /// Pays `units` of USD+ cash in lieu, swept into the reserve first so USD+ stays backed.
    func payCashInLieu(_ units: Int64, to accountID: AccountID, in tx: any LedgerRepository) async throws {
        guard units > 0 else { return }
        try await ledger.transfer(
            units, from: .house(.cashInLieu, .usdc), to: .house(.usdcReserve, .usdc), reason: .cashInLieu, reference: reference, in: tx)
        try await ledger.transfer(
            units, from: .house(.usdPlusIssuance, .usdPlus), to: .customer(accountID, .usdPlus), reason: .cashInLieu,
            reference: reference, in: tx)
    }
}
