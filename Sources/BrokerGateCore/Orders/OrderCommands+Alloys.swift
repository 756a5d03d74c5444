import Foundation

/// Alloy orders: one request, one order per constituent ("leg").
///
/// - Kinds: market buys by `payment_amount` and market sells by `asset_quantity` (alloy
///   units). Limit orders on a basket have no single price to compare a limit with, so they
///   are refused with `alloy_order_type_not_supported`.
/// - Splitting: `AlloyLegs` (exact, explicit rounding never against the customer).
/// - Atomic placement: every leg passes the same checks and takes the same hold as a
///   single-stock order, inside the caller's one transaction, so either all legs are placed
///   or none (a leg's failed check or short balance refuses the whole order, naming the leg).
/// - Representation: each leg is an ordinary `OrderRecord` (so the engine, fills, custody
///   and proof of reserves treat it like any order) carrying `alloyID` and `basketID`, the
///   first leg's request id. The customer ends up holding the constituents' own tokens: an
///   alloy token would need its own custody and a mint/redeem path against baskets, and
///   could not be sold one constituent at a time.
/// - A leg the broker rejects is reported as it stands, not unwound: the filled legs stay
///   filled (the customer owns those shares), the rejected leg's hold is voided and it ends
///   REJECTED. Unwinding would sell the customer's shares at a second spread and fee without
///   being asked, and could itself fail half-way.
extension OrderCommands {
    /// Checks an alloy order, splits it and holds and stores every leg (PENDING_SUBMIT), in `tx`.
    /// The legs come back in constituent (symbol) order; the first carries `client_order_id`.
    public func createAlloy(
        _ input: OrderRequestInput, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> [OrderRecord] {
        let now = clock.now()
        let alloy = try OrderChecks.alloy(input.alloyID, market: market)
        guard input.type == .market else {
            throw DomainError(
                .ruleViolation, code: "alloy_order_type_not_supported",
                message: "alloy_id: alloys trade by market_buy (payment_amount) or market_sell (asset_quantity) only")
        }
        guard input.stockID == nil else { throw DomainError.invalidField("stock_id", "send stock_id or alloy_id, not both") }
        let account = try await OrderChecks.tradableAccount(accountID, for: principal, clock: clock, in: tx)
        try SessionRules.requireMarketOrderAllowed(try market.marketState())
        try broker.requireSupported(type: input.type, tif: input.tif, fractional: true)
        let legs: [AlloyLeg]
        switch input.side {
        case .buy:
            let payment = try OrderChecks.positive(input.paymentAmount, field: "payment_amount", scale: 2)
            legs = try AlloyLegs.buy(
                alloy, payment: payment, prices: try alloy.constituents.map { try market.model.price(of: $0.stock, at: now).price })
        case .sell:
            legs = try AlloyLegs.sell(alloy, units: try OrderChecks.positive(input.assetQuantity, field: "asset_quantity", scale: 4))
        }
        let clientOrderID = try await OrderChecks.unusedClientOrderID(input.clientOrderID, account: account, in: tx)
        let basketID = OrderRequestID.generate()
        var orders: [OrderRecord] = []
        for leg in legs {
            var legInput = input
            legInput.stockID = leg.stock.id.rawValue
            legInput.paymentAmount = leg.paymentAmount
            legInput.assetQuantity = leg.assetQuantity
            legInput.alloyID = nil
            do {
                let price = try market.model.price(of: leg.stock, at: now).price
                let sized = try OrderChecks.sized(legInput, stock: leg.stock, price: price)
                orders.append(
                    try await insert(
                        legInput, stock: leg.stock, sized: sized, account: account, clientOrderID: orders.isEmpty ? clientOrderID : nil,
                        requestID: orders.isEmpty ? basketID : .generate(), alloy: (alloy.id, basketID),
                        organizationID: principal.organizationID, in: tx))
            } catch let error as DomainError {
                throw DomainError(
                    error.kind, code: error.code, message: "\(alloy.symbol) leg \(leg.stock.symbol): \(error.message)",
                    retryAfterSeconds: error.retryAfterSeconds)
            }
        }
        return orders
    }
}

extension OrderChecks {
    /// A known, tradable alloy. Unknown ids are a 422 naming the list to pick from.
    static func alloy(_ id: String?, market: MarketDataService) throws -> Alloy {
        guard let id else { throw DomainError.invalidField("alloy_id", "is required") }
        let alloy: Alloy
        do {
            alloy = try market.alloy(id: id)
        } catch let error as DomainError where error.kind == .notFound {
            throw DomainError(
                .ruleViolation, code: "unknown_alloy", message: "alloy_id \(id.prefix(40)) is not an alloy; see /api/v2/market_data/alloys/"
            )
        }
        guard alloy.isTradable else {
            throw DomainError(.ruleViolation, code: "alloy_not_tradable", message: "\(alloy.symbol) is not tradable now")
        }
        return alloy
    }
}
