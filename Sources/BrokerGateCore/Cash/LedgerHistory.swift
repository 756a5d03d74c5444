import Foundation

/// The operator's view of any account's ledger: balances per asset and every transfer that
/// touched the account, in journal order (`GET /api/v2/operator/accounts/{id}/ledger`).
public struct LedgerHistory: Sendable {
    /// The assets a customer account can hold: USD+ and every stock token.
    public let assets: [LedgerAsset]

    public static let limitDefault = 50
    public static let limitMax = 200

    public init(universe: StockUniverse = .standard) {
        assets = [.usdPlus] + universe.stocks.map { .stock($0.symbol) }
    }

    /// One page of history.
    public struct Page: Sendable {
        public let account: Account
        /// Rows of the assets asked for that exist, in `assets` order.
        public let balances: [LedgerBalance]
        public let entries: [(sequence: Int64, transfer: LedgerTransfer)]
        /// Pass as `after_sequence` for the next page; nil on the last one.
        public let nextAfterSequence: Int64?
    }

    /// The asset a query names: `USD+` or a stock symbol; nil for all. 400 otherwise.
    public func asset(named text: String?) throws(DomainError) -> LedgerAsset? {
        guard let text else { return nil }
        if text == PaymentTokens.usdPlusSymbol { return .usdPlus }
        if let symbol = StockUniverse.normalizedSymbol(text), assets.contains(.stock(symbol)) { return .stock(symbol) }
        throw DomainError.invalidField("asset", "must be USD+ or a stock symbol of the universe (e.g. AAPL); got \(text.prefix(20))")
    }

    /// Transfers after `afterSequence` touching the account in `asset` (or any asset), at
    /// most `limit`. Any organization's account: the caller is an operator.
    public func page(
        of accountID: AccountID, asset: LedgerAsset?, afterSequence: Int64, limit: Int, in tx: any StoreTransaction
    ) async throws -> Page {
        guard let account = try await tx.document(Account.self, id: accountID.rawValue) else { throw DomainError.notFound("account") }
        let limit = min(max(limit, 1), Self.limitMax)
        var balances: [LedgerBalance] = []
        var merged: [(sequence: Int64, transfer: LedgerTransfer)] = []
        let rows = Dictionary(uniqueKeysWithValues: try await tx.ledgerBalances(customer: account.id).map { ($0.id.asset, $0) })
        for asset in asset.map({ [$0] }) ?? assets {
            let id = LedgerAccountID.customer(account.id, asset)
            guard let row = rows[asset] else { continue }
            balances.append(row)
            // Each asset's first `limit + 1` entries hold every entry of the merged page.
            merged += try await tx.ledgerTransfers(touching: id, afterSequence: afterSequence, limit: limit + 1)
        }
        merged.sort { $0.sequence < $1.sequence }
        let entries = Array(merged.prefix(limit))
        return Page(
            account: account, balances: balances, entries: entries, nextAfterSequence: merged.count > limit ? entries.last?.sequence : nil)
    }
}
