import Foundation

/// Everything reserves and reconciliation read, taken in one store transaction so every
/// figure is at the same ledger sequence: per asset the house balances and the customers'
/// total (USD+, USDC and every stock), the USD+ reserve identity (`ReserveReport`, the cash
/// module's one definition of "issued"), and the totals of our own execution records
/// (fulfillments). Balance rows are walked in pages and reduced as they pass, so the
/// reconciliation job's memory does not grow with the number of customers; only a caller
/// that builds liabilities trees asks for the customer rows themselves.
public struct LedgerPositions: Sendable {
    /// The journal's last sequence number these figures include.
    public let sequence: Int64
    /// Sum of all balances per asset (zero when the books balance).
    public let sums: [LedgerAsset: Int64]
    /// USD+, USDC and every stock with any row.
    public let balances: [LedgerAsset: AssetBalances]
    /// Customer rows of USD+, every stock and wrapper, read only when asked (`keepingCustomerRows`).
    public let customerRows: [LedgerAsset: [LedgerBalance]]
    public let usdPlus: ReserveReport
    public let fills: FillTotals

    /// Fulfillment pages read at most, as a bound on one pass (10 million fills).
    public static let fillPagesMax = 100_000

    /// Reads the positions inside `tx`. `keepingCustomerRows` holds every customer row of
    /// USD+ and the stocks in memory: only for the reserves report's liabilities trees.
    public static func read(
        in tx: any StoreTransaction, universe: StockUniverse, keepingCustomerRows: Bool = false
    ) async throws -> LedgerPositions {
        let sums = try await tx.ledgerSums()
        var balances: [LedgerAsset: AssetBalances] = [:]
        var customerRows: [LedgerAsset: [LedgerBalance]] = [:]
        for asset in Set(sums.keys).union([.usdPlus, .usdc]) {
            let keep = keepingCustomerRows && (asset.isStock || asset.wrappedSymbol != nil || asset == .usdPlus)
            var rows: [LedgerBalance] = []
            balances[asset] = try await AssetBalances.read(asset, in: tx) { row in if keep { rows.append(row) } }
            if keep { customerRows[asset] = rows }
        }
        return LedgerPositions(
            sequence: try await tx.ledgerSequence(), sums: sums, balances: balances, customerRows: customerRows,
            usdPlus: ReserveReport(usdPlus: balances[.usdPlus] ?? AssetBalances(), usdc: balances[.usdc] ?? AssetBalances()),
            fills: try await FillTotals.read(in: tx, universe: universe))
    }

    /// Stocks with any ledger row, by symbol.
    public var stockAssets: [LedgerAsset] {
        balances.keys.filter(\.isStock).sorted { $0.rawValue < $1.rawValue }
    }

    /// Wrapped tokens with any ledger row, by symbol.
    public var wrappedAssets: [LedgerAsset] {
        balances.keys.filter { $0.wrappedSymbol != nil }.sorted { $0.rawValue < $1.rawValue }
    }

    /// The balance of a house account (0 when it has no row).
    public func house(_ account: HouseAccount, _ asset: LedgerAsset) -> Int64 {
        balances[asset]?.house(account) ?? 0
    }

    /// Tokens held by customers, per their balance rows.
    public func customerUnits(_ asset: LedgerAsset) -> Int64 { balances[asset]?.customerUnits ?? 0 }
    /// Tokens held by customers: what the house owes in `stock`.
    public func tokensOutstanding(_ stock: LedgerAsset) -> Int64 { -house(.tokenIssuance, stock) }
    /// Shares the ledger says the broker holds for us.
    public func custody(_ stock: LedgerAsset) -> Int64 { house(.brokerCustody, stock) }
}

/// What our own fill records say moved at the broker: net shares per stock and net USD+
/// paid to the broker. Written by the order engine in the same transaction as the ledger
/// moves, but by different code, so a mismatch means a settlement bug, never timing.
public struct FillTotals: Sendable, Equatable {
    /// Shares bought minus shares sold, per stock symbol (ledger units).
    public var netSharesBySymbol: [String: Int64] = [:]
    /// USD+ paid for buys minus USD+ received for sells (ledger units).
    public var netBrokerCashUnits: Int64 = 0
    /// Fill records whose stock id is not in the universe (each a break).
    public var unknownStockIDs: Set<String> = []
    /// False when the scan stopped at `LedgerPositions.fillPagesMax` pages.
    public var isComplete = true

    static func read(in tx: any StoreTransaction, universe: StockUniverse) async throws -> FillTotals {
        var totals = FillTotals()
        var query = DocumentQuery(owner: nil, page: PageRequest(limit: PageRequest.limitMax))
        for _ in 0..<LedgerPositions.fillPagesMax {
            let page = try await tx.page(FulfillmentRecord.self, query: query)
            for fill in page.items { totals.add(fill, universe: universe) }
            guard let next = page.next else {
                try await totals.addSplits(in: tx)
                return totals
            }
            query.page.direction = .after(next)
        }
        totals.isComplete = false
        return totals
    }

    /// Custody also moves at splits (`SplitApplier`): each applied split counts as a fill of
    /// the difference it made, so custody == fills + splits holds across them.
    mutating func addSplits(in tx: any StoreTransaction) async throws {
        for split in try await tx.allDocuments(SplitRecord.self, query: DocumentQuery(owner: .house)) {
            netSharesBySymbol[split.symbol, default: 0] += split.tokensAfterUnits - split.tokensBeforeUnits
        }
    }

    mutating func add(_ fill: FulfillmentRecord, universe: StockUniverse) {
        guard let symbol = universe.stock(id: fill.stockID)?.symbol else {
            unknownStockIDs.insert(fill.stockID.rawValue)
            return
        }
        let sign: Int64 = fill.side == .buy ? 1 : -1
        netSharesBySymbol[symbol, default: 0] += sign * fill.quantityUnits
        netBrokerCashUnits += sign * fill.paymentUnits
    }
}
