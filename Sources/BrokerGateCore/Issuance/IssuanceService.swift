import Foundation

/// Issuer mint and redeem (DESIGN.md "Issuer mint/redeem"): an eligible organization's
/// account asks for exactly N tokens of a stock; the order engine has the broker buy N
/// shares into custody and mints N tokens to the account's wallet (redeem: burns N
/// tokens, sells N shares, credits the USD+). Everything after acceptance is the order
/// engine's: the same session rules, outbox, settlement and ledger moves as any order.
public struct IssuanceService: Sendable {
    public let clock: any BusinessClock
    let ledger: Ledger
    public let market: MarketDataService

    public init(clock: any BusinessClock, market: MarketDataService, chain: ChainRecorder = .off) {
        self.clock = clock
        ledger = Ledger(clock: clock, chain: chain)
        self.market = market
    }

    /// Checks the request, holds the USD+ cost at the collar plus fee (mint) or the tokens
    /// (redeem), and stores the order as PENDING_SUBMIT for the engine. Eligibility is
    /// checked first, so an ineligible organization learns nothing else (422).
    public func request(
        _ direction: IssuanceDirection, _ input: IssuanceInput, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> IssuanceView {
        try await IssuerEligibilityService(clock: clock).requireEligible(principal.organizationID, in: tx)
        let account = try await OrderChecks.tradableAccount(accountID, for: principal, clock: clock, in: tx)
        let stock = try OrderChecks.stock(input.stockID, market: market)
        let quantity = try OrderChecks.positive(input.quantity, field: "quantity", scale: 4)
        try OrderChecks.requireFractionable(quantity, stock)
        let now = clock.now()
        let sized = try Self.sized(direction, quantity: quantity, price: try market.model.price(of: stock, at: now).price)
        let clientOrderID = try await OrderChecks.unusedClientOrderID(input.clientOrderID, account: account, in: tx)
        let id = OrderID.generate()
        let heldAsset: LedgerAsset = direction == .mint ? .usdPlus : .stock(stock.symbol)
        let hold = try await ledger.hold(
            sized.holdUnits, on: .customer(account.id, heldAsset), reference: ("order", id.rawValue), in: tx)
        let order = OrderRecord(
            id: id, requestID: .generate(), accountID: account.id, entityID: account.entityID, organizationID: principal.organizationID,
            stockID: stock.id, symbol: stock.symbol, side: direction.side, type: .market, tif: .day, paymentAmount: nil,
            assetQuantity: quantity, limitPrice: nil, quotedFeeUnits: sized.feeUnits, holdID: hold.id, clientOrderID: clientOrderID,
            status: .pendingSubmit, requestStatus: .submitted, filledQuantityUnits: 0, paymentUnits: 0, feeUnits: 0,
            expiresAt: IssuancePolicy.expiry(try market.marketState()), cancelMessage: nil, createdAt: now, updatedAt: now,
            origin: .issuance, collarPrice: sized.collar)
        let record = IssuanceRecord(
            id: id, accountID: account.id, organizationID: principal.organizationID, direction: direction, stockID: stock.id,
            symbol: stock.symbol, quantityUnits: try OrderPricing.units(quantity), createdAt: now)
        try await tx.insertDocument(order)
        try await tx.insertDocument(record)
        return IssuanceView(record: record, order: order)
    }

    /// What to hold, the fee quoted and the collar. A mint holds the notional at the collar
    /// (rounded up) plus the fee on it, so any fill inside the collar is covered; a redeem
    /// holds the tokens. Both must be worth the orders' minimum at today's price.
    static func sized(
        _ direction: IssuanceDirection, quantity: Amount, price: Amount
    ) throws -> (holdUnits: Int64, feeUnits: Int64, collar: Amount) {
        let units = try OrderPricing.units(quantity)
        let collar = try IssuancePolicy.collar(direction, around: price)
        let notionalNow = try OrderPricing.notionalUnits(quantityUnits: units, price: price, rounding: .down)
        try OrderChecks.requireMinimum(notionalNow)
        switch direction {
        case .mint:
            let notional = try OrderPricing.notionalUnits(quantityUnits: units, price: collar, rounding: .up)
            let fee = OrderPricing.feeUnits(onNotionalUnits: notional)
            return (notional + fee, fee, collar)
        case .redeem:
            return (units, OrderPricing.feeUnits(onNotionalUnits: notionalNow), collar)
        }
    }

    /// The caller's issuance order in `accountID`, or 404 (also for a partner order's id).
    public func get(_ id: OrderID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> IssuanceView
    {
        let record = try await tx.owned(
            IssuanceRecord.self, id: id.rawValue, in: accountID, account: \.accountID, by: principal, name: "issuance order")
        return try await view(record, in: tx)
    }

    /// The account's issuance orders, oldest first unless the page says otherwise.
    public func list(
        accountID: AccountID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<IssuanceView> {
        let records = try await tx.page(IssuanceRecord.self, ofAccount: accountID, page: page, for: principal)
        var views: [IssuanceView] = []
        for record in records.items { views.append(try await view(record, in: tx)) }
        return Page(items: views, next: records.next, previous: records.previous)
    }

    /// Asks to cancel an open issuance order (PENDING_CANCEL; the order engine cancels it at
    /// the broker and releases the rest of its hold); a filled one cannot change (422
    /// `order_not_open`).
    public func cancel(
        _ id: OrderID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> IssuanceView {
        let found = try await get(id, accountID: accountID, for: principal, in: tx)
        var order = found.order
        try order.requestCancel(.partner, at: clock.now())
        try await tx.updateDocument(order)
        return IssuanceView(record: found.record, order: order)
    }

    private func view(_ record: IssuanceRecord, in tx: any StoreTransaction) async throws -> IssuanceView {
        guard let order = try await tx.document(OrderRecord.self, id: record.id.rawValue) else {
            throw DomainError(
                .internal, code: "issuance_order_missing", message: "issuance \(record.id) has no order; the store is inconsistent")
        }
        return IssuanceView(record: record, order: order)
    }
}
