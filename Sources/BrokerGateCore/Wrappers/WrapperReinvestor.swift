import Foundation

/// Reinvests what wrapper vaults are paid (dividends net of tax, cash in lieu at splits):
/// in the regular session, each vault holding at least the minimum order in USD+ places a
/// market buy of its whole cash in cents, without fee, through the order engine and the
/// broker like any order, so custody, fills and reconciliation see an ordinary buy. When it
/// fills, the vault holds more shares for the same wrapped supply: shares per wrapped token
/// rise (`Wrapper`). The sub-cent rest, and cash below the minimum, wait for the next time.
///
/// One open reinvestment per vault at a time (the next pass sees it open and waits). Runs on
/// the scheduler replica; a vault's orders belong to the house organization.
public struct WrapperReinvestor: Sendable {
    public let orders: OrderCommands
    public let engine: OrderEngine

    public init(orders: OrderCommands, engine: OrderEngine) {
        self.orders = orders
        self.engine = engine
    }

    /// Places the reinvestments due now; returns the orders placed.
    @discardableResult
    public func pass(_ store: any Store) async throws -> [OrderRecord] {
        guard try orders.market.marketState().isRegularOpen else { return [] }
        let placed = try await store.transaction { tx -> [OrderRecord] in
            let open = try await tx.allDocuments(
                OrderRecord.self, query: DocumentQuery(owner: .house, statusKeys: OrderRecord.openStatusKeys))
            var placed: [OrderRecord] = []
            for vault in try await tx.allDocuments(Account.self, query: DocumentQuery(owner: .house)) where Wrapper.isVault(vault) {
                guard !open.contains(where: { $0.accountID == vault.id }) else { continue }
                if let order = try await reinvest(vault, in: tx) { placed.append(order) }
            }
            return placed
        }
        for order in placed {
            _ = try? await engine.advance(order.id, store: store)
        }
        return placed
    }

    /// A fee-free market buy of the vault's USD+ in whole cents, or nil below the minimum.
    func reinvest(_ vault: Account, in tx: any StoreTransaction) async throws -> OrderRecord? {
        let symbol = String(vault.brokerageAccountID.dropFirst(Wrapper.vaultBrokeragePrefix.count))
        guard let stock = orders.market.universe.stock(symbol: symbol), stock.isTradable else { return nil }
        let cash = try await tx.ledgerBalance(.customer(vault.id, .usdPlus))?.availableUnits ?? 0
        let centUnits = Int64(Amount.powerOfTen(LedgerAsset.scale - 2))
        let payment = Amount(units: Int128(cash / centUnits), scale: 2)
        guard payment >= OrderPricing.minimumNotional else { return nil }
        let input = OrderRequestInput(side: .buy, type: .market, tif: .day, stockID: stock.id.rawValue, paymentAmount: payment)
        let notional = try OrderPricing.units(payment)
        return try await orders.insert(
            input, stock: stock, sized: (notional, 0), account: vault, clientOrderID: nil, organizationID: .house, in: tx)
    }
}
