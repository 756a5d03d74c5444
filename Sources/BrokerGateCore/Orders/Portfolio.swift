import Foundation

/// One stock position of an account: the tokens it holds and what they are worth now.
public struct PortfolioPosition: Sendable, Equatable {
    public let stock: Stock
    /// Tokens held, ledger units (scale 6), including any a pending sell has on hold: the
    /// hold reserves them but they are still the account's until the sell fills.
    public let quantityUnits: Int64
    public let chainID: String
    /// The stock's token contract on `chainID`, without the CAIP-10 prefix.
    public let tokenAddress: String
    /// The model price now.
    public let price: Amount
    /// `quantity × price`, rounded down to the cent: a valuation never overstates.
    public let marketValue: Amount
}

/// An account's stock positions, read from its customer ledger balances (the tokens minted
/// to it), so the portfolio and the books cannot disagree.
public struct PortfolioService: Sendable {
    public let market: MarketDataService
    /// Dinari's documented maximum `page_size`.
    public static let pageSizeMax = 200

    public init(market: MarketDataService) {
        self.market = market
    }

    /// Page `page` (from 1) of the account's non-zero positions in symbol order.
    public func positions(
        accountID: AccountID, page: Int, pageSize: Int, for principal: Principal, in tx: any StoreTransaction
    ) async throws
        -> [PortfolioPosition]
    {
        let account = try await tx.account(accountID, for: principal)
        let chain = OrderOnChain.chain(of: try await tx.document(WalletRecord.self, id: account.id.rawValue))
        let now = market.clock.now()
        var positions: [PortfolioPosition] = []
        // One unlocked read of the account's rows; a report must not lock balances that
        // trading is about to move.
        let rows = Dictionary(uniqueKeysWithValues: try await tx.ledgerBalances(customer: account.id).map { ($0.id.asset, $0) })
        for stock in market.universe.stocks {
            guard let row = rows[.stock(stock.symbol)], row.balanceUnits > 0 else { continue }
            let price = try market.model.price(of: stock, at: now).price
            let quantity = Amount(units: Int128(row.balanceUnits), scale: LedgerAsset.scale)
            positions.append(
                PortfolioPosition(
                    stock: stock, quantityUnits: row.balanceUnits, chainID: chain,
                    tokenAddress: OrderOnChain.assetToken(symbol: stock.symbol, chain: chain), price: price,
                    marketValue: try quantity.multiplied(by: price, scale: 2, rounding: .down)))
        }
        let size = min(max(pageSize, 1), Self.pageSizeMax)
        return Array(positions.dropFirst(max(page - 1, 0) * size).prefix(size))
    }
}
