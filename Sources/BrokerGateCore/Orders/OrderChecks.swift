import Foundation

/// The checks an order request must pass, each with its own error code.
enum OrderChecks {
    /// Owned, active, KYC passed, with a wallet to mint into.
    static func tradableAccount(
        _ id: AccountID, for principal: Principal, clock: any BusinessClock, in tx: any StoreTransaction
    ) async throws -> Account {
        try await tx.prefetchDocuments(.accountAndWallet(id), parents: .accountEntity(id))
        let account = try await tx.account(id, for: principal)
        guard account.isActive else {
            throw DomainError(
                .ruleViolation, code: "account_inactive", message: "the account is deactivated; orders need an active account")
        }
        let entity = try await EntityService(clock: clock).get(account.entityID, for: principal, in: tx)
        guard entity.isKYCComplete else {
            throw DomainError(
                .ruleViolation, code: "kyc_not_passed", message: "the account holder's KYC has not passed; submit KYC before trading")
        }
        guard try await tx.document(WalletRecord.self, id: account.id.rawValue) != nil else {
            throw DomainError(
                .ruleViolation, code: "wallet_required", message: "link a wallet to the account first: tokens are minted to it")
        }
        return account
    }

    /// A valid `client_order_id` not yet used by another order of the account's entity.
    static func unusedClientOrderID(_ raw: String?, account: Account, in tx: any StoreTransaction) async throws -> String? {
        guard let raw else { return nil }
        let clientOrderID = try TextRules.identifier(raw, field: "client_order_id", lengthMax: 100)
        let uniqueKey = "\(account.entityID.rawValue):\(clientOrderID)"
        if try await tx.document(OrderRecord.self, owner: account.organizationID, uniqueKey: uniqueKey) != nil {
            throw DomainError(
                .ruleViolation, code: "duplicate_client_order_id",
                message: "client_order_id \(clientOrderID) is already used by another order of this entity")
        }
        return clientOrderID
    }

    static func stock(_ id: String?, market: MarketDataService) throws -> Stock {
        guard let id else { throw DomainError.invalidField("stock_id", "is required") }
        let stock = try listedStock(id, market: market)
        guard stock.isTradable else {
            throw DomainError(.ruleViolation, code: "stock_not_tradable", message: "\(stock.symbol) is not tradable now")
        }
        return stock
    }

    /// The stock a body's `stock_id` names, or 422 `unknown_stock` (a body field, not a path:
    /// not a 404).
    static func listedStock(_ id: String, market: MarketDataService) throws -> Stock {
        do {
            return try market.stock(id: id)
        } catch let error as DomainError where error.kind == .notFound {
            throw DomainError(
                .ruleViolation, code: "unknown_stock",
                message: "stock_id \(id.prefix(40)) is not a listed stock; see /api/v2/market_data/stocks/")
        }
    }

    /// What to hold and the quoted fee, after precision, fractional and minimum checks.
    static func sized(_ input: OrderRequestInput, stock: Stock, price: Amount) throws -> (holdUnits: Int64, feeUnits: Int64) {
        switch (input.side, input.type) {
        case (.buy, .market):
            let payment = try positive(input.paymentAmount, field: "payment_amount", scale: 2)
            let notional = try OrderPricing.units(payment)
            try requireMinimum(notional)
            let fee = OrderPricing.feeUnits(onNotionalUnits: notional)
            return (notional + fee, fee)
        case (.buy, .limit):
            let quantity = try positive(input.assetQuantity, field: "asset_quantity", scale: 4)
            let limit = try positive(input.limitPrice, field: "limit_price", scale: 2)
            try requireFractionable(quantity, stock)
            let notional = try OrderPricing.notionalUnits(quantityUnits: try OrderPricing.units(quantity), price: limit, rounding: .up)
            try requireMinimum(notional)
            let fee = OrderPricing.feeUnits(onNotionalUnits: notional)
            return (notional + fee, fee)
        case (.sell, _):
            let quantity = try positive(input.assetQuantity, field: "asset_quantity", scale: input.type == .market ? 6 : 4)
            try requireFractionable(quantity, stock)
            let reference = input.type == .limit ? try positive(input.limitPrice, field: "limit_price", scale: 2) : price
            let units = try OrderPricing.units(quantity)
            let notional = try OrderPricing.notionalUnits(quantityUnits: units, price: reference, rounding: .down)
            try requireMinimum(notional)
            return (units, OrderPricing.feeUnits(onNotionalUnits: notional))
        }
    }

    static func positive(_ amount: Amount?, field: String, scale: Int) throws -> Amount {
        guard let amount else { throw DomainError.invalidField(field, "is required") }
        let exact: Amount
        do {
            exact = try amount.requiringScale(scale, field: field)
        } catch {
            throw DomainError(.ruleViolation, code: error.code, message: error.message)
        }
        guard exact.isPositive else {
            throw DomainError(.ruleViolation, code: "amount_not_positive", message: "\(field) must be greater than 0")
        }
        guard exact <= Amount(units: 10_000_000_000, scale: 2) else {
            throw DomainError(.ruleViolation, code: "amount_too_large", message: "\(field) must be at most 100000000")
        }
        return exact
    }

    static func requireFractionable(_ quantity: Amount, _ stock: Stock) throws {
        guard !stock.isFractionable, quantity.units % Int128(Amount.powerOfTen(quantity.scale)) != 0 else { return }
        throw DomainError(.ruleViolation, code: "fractional_not_allowed", message: "\(stock.symbol) trades in whole shares only")
    }

    static func requireMinimum(_ notionalUnits: Int64) throws {
        guard notionalUnits >= (try OrderPricing.units(OrderPricing.minimumNotional)) else {
            throw DomainError(
                .ruleViolation, code: "below_minimum_notional", message: "orders must be worth at least \(OrderPricing.minimumNotional) USD"
            )
        }
    }

}
