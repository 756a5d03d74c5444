import Foundation

/// What a partner asks for; the API decodes the four Dinari create calls into this.
public struct OrderRequestInput: Sendable {
    public var side: OrderSide
    public var type: OrderType
    public var tif: OrderTIF
    public var stockID: String?
    public var paymentAmount: Amount?
    public var assetQuantity: Amount?
    public var limitPrice: Amount?
    public var clientOrderID: String?
    /// An alloy to trade instead of one stock (`OrderCommands.createAlloy`).
    public var alloyID: String?

    public init(
        side: OrderSide, type: OrderType, tif: OrderTIF = .day, stockID: String?, paymentAmount: Amount? = nil,
        assetQuantity: Amount? = nil, limitPrice: Amount? = nil, clientOrderID: String? = nil, alloyID: String? = nil
    ) {
        self.alloyID = alloyID
        self.side = side
        self.type = type
        self.tif = tif
        self.stockID = stockID
        self.paymentAmount = paymentAmount
        self.assetQuantity = assetQuantity
        self.limitPrice = limitPrice
        self.clientOrderID = clientOrderID
    }
}

/// The order writes a partner asks for: accepting an order (inside `OrderPlacement`, which
/// owns the transaction and the engine's first go) and asking to cancel one. Reads are
/// `OrderQueries`'. Each check has its own error code.
public struct OrderCommands: Sendable {
    public let clock: any BusinessClock
    let ledger: Ledger
    public let market: MarketDataService
    /// What the broker takes: an order it can never take is refused here, not after its hold.
    public let broker: BrokerCapabilities
    /// The splits of the stocks: no order of a stock while one of its splits is applied.
    let corporateActions: CorporateActionCalendar

    public init(clock: any BusinessClock, market: MarketDataService, broker: BrokerCapabilities = .everything) {
        self.clock = clock
        ledger = Ledger(clock: clock)
        self.market = market
        self.broker = broker
        corporateActions = CorporateActionCalendar(clock: clock, calendar: market.calendar, universe: market.universe)
    }

    /// Checks the request, holds cash (buys) or tokens (sells) and stores the order as
    /// PENDING_SUBMIT: the engine routes it when its session allows. `requestID` names the
    /// request a self-custody order comes from (`PermitOrderRequest`); nil: a new one.
    public func create(
        _ input: OrderRequestInput, accountID: AccountID, for principal: Principal, requestID: OrderRequestID? = nil,
        in tx: any StoreTransaction
    ) async throws -> OrderRecord {
        // What the checks and the split rule read by id, and the account's entity, in one
        // statement; an unknown stock is `check`'s to report.
        if let stock = try? OrderChecks.stock(input.stockID, market: market) {
            try await tx.prefetchDocuments(
                .accountAndWallet(accountID) + corporateActions.documentsRead(placing: stock), parents: .accountEntity(accountID))
        }
        let checked = try await check(input, accountID: accountID, for: principal, session: true, in: tx)
        return try await insert(
            input, stock: checked.stock, sized: (checked.holdUnits, checked.feeUnits), account: checked.account,
            clientOrderID: checked.clientOrderID, requestID: requestID ?? .generate(), organizationID: principal.organizationID, in: tx)
    }

    /// Holds what `sized` says and stores the order as PENDING_SUBMIT with its accepted
    /// event: the part of accepting an order that single-stock orders and each leg of an
    /// alloy order share, once their checks have passed. A stock whose split is being applied
    /// takes no order (`requireNoSplitInProgress`).
    func insert(
        _ input: OrderRequestInput, stock: Stock, sized: (holdUnits: Int64, feeUnits: Int64), account: Account, clientOrderID: String?,
        requestID: OrderRequestID = .generate(), alloy: (id: AlloyID, basketID: OrderRequestID)? = nil,
        organizationID: OrganizationID, in tx: any StoreTransaction
    ) async throws -> OrderRecord {
        try await corporateActions.requireNoSplitInProgress(stock, in: tx)
        let now = clock.now()
        let orderID = OrderID.generate()
        let holdAccount = LedgerAccountID.customer(account.id, input.side == .buy ? .usdPlus : .stock(stock.symbol))
        let hold = try await ledger.hold(sized.holdUnits, on: holdAccount, reference: ("order", orderID.rawValue), in: tx)
        let order = OrderRecord(
            id: orderID, requestID: requestID, accountID: account.id, entityID: account.entityID,
            organizationID: organizationID,
            stockID: stock.id, symbol: stock.symbol, side: input.side, type: input.type, tif: input.tif, paymentAmount: input.paymentAmount,
            assetQuantity: input.assetQuantity, limitPrice: input.limitPrice, quotedFeeUnits: sized.feeUnits, holdID: hold.id,
            clientOrderID: clientOrderID, status: .pendingSubmit, requestStatus: .submitted, filledQuantityUnits: 0, paymentUnits: 0,
            feeUnits: 0, expiresAt: try SessionRules.expiry(tif: input.tif, type: input.type, acceptedAt: now), cancelMessage: nil,
            createdAt: now, updatedAt: now, alloyID: alloy?.id, basketID: alloy?.basketID)
        try await tx.insertDocument(order)
        try await tx.emit(.orderRequestAccepted, .orderRequest(order), at: now)
        return order
    }

    /// What an accepted request holds and is quoted.
    public struct Checked: Sendable {
        public let account: Account
        public let stock: Stock
        /// USD+ (buys: notional plus fee) or token units (sells) to hold.
        public let holdUnits: Int64
        public let feeUnits: Int64
        public let clientOrderID: String?
    }

    /// Every check `create` makes, without writing: the account, the stock, the broker's
    /// support, precision and minimums, `client_order_id`; and the session when `session`
    /// (a self-custody quote leaves it to the moment its order reaches the chain).
    public func check(
        _ input: OrderRequestInput, accountID: AccountID, for principal: Principal, session: Bool, in tx: any StoreTransaction
    ) async throws -> Checked {
        let account = try await OrderChecks.tradableAccount(accountID, for: principal, clock: clock, in: tx)
        let stock = try OrderChecks.stock(input.stockID, market: market)
        if session, input.type == .market { try SessionRules.requireMarketOrderAllowed(try market.marketState()) }
        let fractional =
            input.paymentAmount != nil || (input.assetQuantity.map { $0.units % Int128(Amount.powerOfTen($0.scale)) != 0 } ?? false)
        try broker.requireSupported(type: input.type, tif: input.tif, fractional: fractional)
        let sized = try OrderChecks.sized(input, stock: stock, price: try market.model.price(of: stock, at: clock.now()).price)
        let clientOrderID = try await OrderChecks.unusedClientOrderID(input.clientOrderID, account: account, in: tx)
        return Checked(account: account, stock: stock, holdUnits: sized.holdUnits, feeUnits: sized.feeUnits, clientOrderID: clientOrderID)
    }

    /// Asks to cancel an open order (PENDING_CANCEL): the order engine cancels it at the
    /// broker and voids what is left of its hold. Fills made before the broker's answer stand.
    public func cancel(
        _ id: OrderID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> OrderRecord {
        var order = try await OrderQueries.record(id, accountID: accountID, for: principal, in: tx)
        try order.requestCancel(.partner, at: clock.now())
        try await tx.updateDocument(order)
        return order
    }
}
