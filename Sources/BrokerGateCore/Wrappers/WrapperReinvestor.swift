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

    /// Places the reinvestments due now, each vault in its own transaction, so one that is
    /// refused (a split of its stock in progress) waits without holding back the others;
    /// returns the orders placed, and throws the first refusal after trying every vault.
    @discardableResult
    public func pass(_ store: any Store) async throws -> [OrderRecord] {
        guard try orders.market.marketState().isRegularOpen else { return [] }
        let vaults = try await store.read { tx in
            try await tx.allDocuments(Account.self, query: DocumentQuery(owner: .house)).filter(Wrapper.isVault)
        }
        var placed: [OrderRecord] = []
        var firstFailure: (any Error)?
        for vault in vaults {
            do {
                if let order = try await store.transaction({ tx in try await reinvestIfIdle(vault, in: tx) }) {
                    placed.append(order)
                    _ = try? await engine.advance(order.id, store: store)
                }
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
        return placed
    }

    /// Nothing while the vault's previous reinvestment is open (one at a time).
    func reinvestIfIdle(_ vault: Account, in tx: any StoreTransaction) async throws -> OrderRecord? {
        let open = try await tx.allDocuments(
            OrderRecord.self, query: DocumentQuery(owner: .house, parentID: vault.id.rawValue, statusKeys: OrderRecord.openStatusKeys))
        guard open.isEmpty else { return nil }
        return try await reinvest(vault, in: tx)
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
