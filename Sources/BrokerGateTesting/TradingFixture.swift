import BrokerGateCore
import BrokerGateStores
import Foundation

/// A memory store with one partner organization and a fixed business clock, and the steps
/// every module's tests take to reach a customer who may trade: so Core, the broker and the
/// API each test their own rules against a real store, set up the same way.
public struct TradingFixture: Sendable {
    /// Monday 2026-11-30 10:00 ET, regular session.
    public static let mondayMorning = Date(timeIntervalSince1970: 1_796_050_800)
    /// Saturday 2026-11-28 10:00 ET.
    public static let saturday = Date(timeIntervalSince1970: 1_795_878_000)

    public let clock: FixedClock
    public let store: any Store
    public let principal: Principal

    public init(now: Date = mondayMorning, store: any Store = MemoryStore()) {
        clock = FixedClock(now)
        self.store = store
        principal = Principal(
            organization: Organization(id: .generate(), name: "Partner", role: .partner, createdAt: Self.saturday),
            keyID: APIKeyID(parsing: "k")!)
    }

    /// A KYC-passed customer with a wallet and `dollars` of USD+.
    public func customer(dollars: Int64 = 10_000) async throws -> AccountID {
        let principal = principal, clock = clock
        return try await store.transaction { tx in
            var entity = try await EntityService(clock: clock).create(name: "Ada", referenceID: nil, for: principal, in: tx)
            entity.isKYCComplete = true
            try await tx.updateDocument(entity)
            let account = try await AccountService(clock: clock).create(
                entityID: entity.id, jurisdiction: .baseline, for: principal, in: tx)
            _ = try await WalletService(clock: clock, walletKey: nil).linkInternal(
                account.id, chainID: "eip155:1", address: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", isShared: false, for: principal,
                in: tx)
            try await Ledger(clock: clock).transfer(
                dollars * 1_000_000, from: .house(.usdPlusIssuance, .usdPlus), to: .customer(account.id, .usdPlus), reason: .deposit,
                reference: ("test", "fund"), in: tx)
            return account.id
        }
    }

    /// The order as stored now.
    public func reload(_ order: OrderRecord) async throws -> OrderRecord? {
        try await store.transaction { tx in try await tx.document(OrderRecord.self, id: order.id.rawValue) }
    }

    public func balance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        try await store.transaction { tx in try await tx.ledgerBalance(id) }
    }

    /// Tokens outstanding and shares in custody of `symbol`, and whether every asset's
    /// ledger sums to zero (double entry).
    public func backing(_ symbol: String) async throws -> (issued: Int64, custody: Int64, balanced: Bool) {
        let stock = LedgerAsset.stock(symbol)
        let issued = try await balance(.house(.tokenIssuance, stock))?.balanceUnits ?? 0
        let custody = try await balance(.house(.brokerCustody, stock))?.balanceUnits ?? 0
        let sums = try await store.transaction { tx in try await tx.ledgerSums() }
        return (-issued, custody, sums.values.allSatisfy { $0 == 0 })
    }

    /// `OrderPlacement` over this fixture's store and clock, advancing orders with `engine`.
    public func placement(engine: OrderEngine) -> OrderPlacement {
        let market = MarketDataService(clock: clock)
        return OrderPlacement(
            store: store, runner: CommandRunner(store: store, clock: clock), orders: OrderCommands(clock: clock, market: market),
            issuance: IssuanceService(clock: clock, market: market), engine: engine)
    }

    /// `placement(engine:)` with an engine over `broker`.
    public func placement(broker: any BrokerAdapter) -> OrderPlacement {
        placement(engine: OrderEngine(clock: clock, broker: broker))
    }

    /// A placement's command as the order routes make it, answering 201 with the order's id as
    /// its body, without an audit record; idempotent when `idempotency` is given.
    public static func orderCommand(idempotency: IdempotencyRequest? = nil) -> CommandEnvelope<OrderRecord> {
        CommandEnvelope(
            idempotency: idempotency, status: 201, render: { RenderedBody(bytes: Array($0.id.rawValue.utf8), objectID: $0.id.rawValue) },
            audit: nil)
    }

    /// A $1,000 market buy of AAPL on `account`, placed (without an idempotency key) against a
    /// broker that fills it at once at $100: the order as placed.
    public func filledMarketBuy(on account: AccountID) async throws -> OrderRecord {
        let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!
        let outcome = try await placement(broker: try FixedPriceBroker(price: Amount(units: 100, scale: 0))).place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 1_000_00, scale: 2)),
            accountID: account, for: principal, command: Self.orderCommand())
        guard case .placed(let order, _) = outcome else { throw StoreError("expected a placement, got \(outcome)") }
        return order
    }
}
