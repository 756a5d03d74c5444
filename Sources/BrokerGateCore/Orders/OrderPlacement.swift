/// What placing an order produced.
public enum Placement<T: Sendable>: Sendable {
    /// Placed by this call, as the engine's first go left it; as committed when that go
    /// failed (`firstGoError`, worth a warning: the order is durable and open, and the
    /// engine's next tick advances it).
    case placed(T, firstGoError: (any Error)?)
    /// The recorded first outcome of the same request, replayed (the order as committed then).
    case replayed(RecordedResponse)
}

/// Placing an order: the one write use case behind the four order-request create calls and
/// issuance's mint and redeem. The checks, the hold, the order (the engine's outbox entry),
/// the idempotency record and the audit record commit in one transaction (`CommandRunner`);
/// then the engine gets one go at the new order outside it, so a market order in the regular
/// session fills before the answer. The broker call never runs inside the placement's
/// transaction.
public struct OrderPlacement: Sendable {
    let store: any Store
    let runner: CommandRunner
    let orders: OrderCommands
    let issuance: IssuanceService
    let engine: OrderEngine
    /// Sells from a customer's own wallet must be covered on chain (`--chain evm:`).
    let chain: ChainHoldings?

    public init(
        store: any Store, runner: CommandRunner, orders: OrderCommands, issuance: IssuanceService, engine: OrderEngine,
        chain: ChainHoldings? = nil
    ) {
        self.chain = chain
        self.store = store
        self.runner = runner
        self.orders = orders
        self.issuance = issuance
        self.engine = engine
    }

    /// A partner's market or limit order request.
    public func place(
        _ input: OrderRequestInput, accountID: AccountID, for principal: Principal, command: CommandEnvelope<OrderRecord>
    ) async throws -> Placement<OrderRecord> {
        if let chain, input.side == .sell, let quantity = input.assetQuantity {
            try await requireCoveredOnChain(quantity, of: input.stockID, accountID: accountID, for: principal, chain: chain)
        }
        let orders = orders
        return try await commitThenAdvance(command, account: accountID, order: { $0 }, routed: { _, routed in routed }) { tx in
            try await orders.create(input, accountID: accountID, for: principal, in: tx)
        }
    }

    /// An eligible issuer's mint or redeem of an exact number of tokens.
    public func place(
        _ direction: IssuanceDirection, _ input: IssuanceInput, accountID: AccountID, for principal: Principal,
        command: CommandEnvelope<IssuanceView>
    ) async throws -> Placement<IssuanceView> {
        let issuance = issuance
        return try await commitThenAdvance(
            command, account: accountID, order: \.order, routed: { IssuanceView(record: $0.record, order: $1) }
        ) { tx in
            try await issuance.request(direction, input, accountID: accountID, for: principal, in: tx)
        }
    }

    /// Before the placement's transaction (a chain read never runs inside one): a sell from
    /// an external wallet must be covered by what the wallet holds on chain, net of what
    /// earlier sells hold. A request this check cannot judge (unknown stock or account) goes
    /// on to the placement's own checks and their errors.
    func requireCoveredOnChain(
        _ quantity: Amount, of stockID: String?, accountID: AccountID, for principal: Principal, chain: ChainHoldings
    ) async throws {
        guard let stock = try? OrderChecks.stock(stockID, market: orders.market),
            let exact = try? quantity.rescaled(to: LedgerAsset.scale, rounding: .exact), let units = Int64(exactly: exact.units), units > 0
        else { return }
        let asset = LedgerAsset.stock(stock.symbol)
        let found = try await store.read { tx -> (WalletRecord, Int64)? in
            guard let account = try? await tx.account(accountID, for: principal),
                let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue), ChainHoldings.readsChain(wallet)
            else { return nil }
            // Self-custody sells hold tokens that already left the wallet for the processor's escrow.
            let held = try await tx.ledgerBalance(.customer(account.id, asset))?.heldUnits ?? 0
            return (wallet, held - (try await ProcessorEscrow.heldInEscrow(asset, account: account.id, in: tx)))
        }
        guard let (wallet, held) = found else { return }
        try await chain.requireCovered(units, heldUnits: held, of: asset, in: wallet)
    }

    private func commitThenAdvance<T: Sendable>(
        _ command: CommandEnvelope<T>, account: AccountID, order: (T) -> OrderRecord, routed: (T, OrderRecord) -> T,
        _ body: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> Placement<T> {
        let placed: T
        switch try await runner.run(command, queuingFor: [account], body) {
        case .replayed(let recorded): return .replayed(recorded)
        case .fresh(let value, _): placed = value
        }
        do {
            guard let advanced = try await engine.advance(order(placed), store: store) else { return .placed(placed, firstGoError: nil) }
            return .placed(routed(placed, advanced), firstGoError: nil)
        } catch {
            return .placed(placed, firstGoError: error)
        }
    }
}
