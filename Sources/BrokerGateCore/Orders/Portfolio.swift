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
/// to it), so the portfolio and the books cannot disagree; for a customer's own wallet on an
/// EVM chain, the quantities are the wallet's balances there (`ChainHoldings`).
public struct PortfolioService: Sendable {
    public let market: MarketDataService
    /// Reads external wallets' balances on chain; nil on the ledger-only chain.
    public let chain: ChainHoldings?
    /// Dinari's documented maximum `page_size`.
    public static let pageSizeMax = 200

    public init(market: MarketDataService, chain: ChainHoldings? = nil) {
        self.market = market
        self.chain = chain
    }

    /// The page from the books, then, for an external wallet on chain, each position's
    /// quantity as the chain has it (read after the store's snapshot is released).
    public func positions(
        accountID: AccountID, page: Int, pageSize: Int, for principal: Principal, store: any Store
    ) async throws -> [PortfolioPosition] {
        let (positions, wallet) = try await store.readInOneStatement { tx in
            let balances = try await tx.prefetchDocuments(.accountAndWallet(accountID), andBalancesOf: accountID)
            let account = try await tx.account(accountID, for: principal)
            let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue)
            return (try self.positions(of: account, wallet: wallet, balances: balances, page: page, pageSize: pageSize), wallet)
        }
        guard let chain, let wallet, ChainHoldings.readsChain(wallet) else { return positions }
        var onChain: [PortfolioPosition] = []
        for position in positions {
            let units = try await chain.ledgerUnits(of: .stock(position.stock.symbol), in: wallet) ?? position.quantityUnits
            let quantity = Amount(units: Int128(units), scale: LedgerAsset.scale)
            onChain.append(
                PortfolioPosition(
                    stock: position.stock, quantityUnits: units, chainID: position.chainID, tokenAddress: position.tokenAddress,
                    price: position.price, marketValue: try quantity.multiplied(by: position.price, scale: 2, rounding: .down)))
        }
        return onChain
    }

    /// Page `page` (from 1) of the account's non-zero positions in symbol order, from its
    /// balance rows.
    func positions(
        of account: Account, wallet: WalletRecord?, balances: [LedgerBalance], page: Int, pageSize: Int
    ) throws -> [PortfolioPosition] {
        let chain = OrderOnChain.chain(of: wallet)
        let now = market.clock.now()
        var positions: [PortfolioPosition] = []
        // One unlocked read of the account's rows; a report must not lock balances that
        // trading is about to move. The rows held are looked up in the universe, not every
        // listed stock in the rows: a customer holds a few of the ~40 listings, and a lookup
        // per listing built a `STOCK:` key string each, on every portfolio read. Listing
        // order, as before.
        var held: [(index: Int, units: Int64)] = []
        for row in balances where row.balanceUnits > 0 {
            guard let symbol = row.id.asset.stockSymbol, let index = market.universe.index(ofSymbol: symbol) else { continue }
            held.append((index, row.balanceUnits))
        }
        held.sort { $0.index < $1.index }
        for (index, units) in held {
            let stock = market.universe.stocks[index]
            let price = try market.model.price(of: stock, at: now).price
            let quantity = Amount(units: Int128(units), scale: LedgerAsset.scale)
            positions.append(
                PortfolioPosition(
                    stock: stock, quantityUnits: units, chainID: chain,
                    tokenAddress: OrderOnChain.assetToken(symbol: stock.symbol, chain: chain), price: price,
                    marketValue: try quantity.multiplied(by: price, scale: 2, rounding: .down)))
        }
        let size = min(max(pageSize, 1), Self.pageSizeMax)
        return Array(positions.dropFirst(max(page - 1, 0) * size).prefix(size))
    }
}
