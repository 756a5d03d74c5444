import Foundation

/// Walks every balance row of one asset in bounded pages. With 100k customers an asset has
/// 100k rows; reading them as one array held them (and the store's row dictionaries) in
/// memory at once, every minute, and glibc kept the peak (BENCHMARKS.md). A page at a time
/// keeps a walk's memory at one page whatever the number of customers.
public enum LedgerBalancePages {
    /// Rows per page: a walk over 100k holders is 100 queries, and a page is ~200 KB.
    public static let pageSize = 1_000

    /// Calls `visit` with each page of `asset`'s rows, in account order, all read inside `tx`
    /// (one snapshot).
    public static func forEach(
        _ asset: LedgerAsset, in tx: any LedgerRepository, pageSize: Int = pageSize, _ visit: ([LedgerBalance]) throws -> Void
    ) async throws {
        precondition(pageSize > 0, "a page holds at least one row")
        var after: LedgerAccountID?
        while true {
            let page = try await tx.ledgerBalances(asset: asset, after: after, limit: pageSize)
            try visit(page)
            guard page.count == pageSize, let last = page.last else { return }
            after = last.id
        }
    }
}

/// One asset's balance rows reduced to what reports use: each house account's balance and
/// the customers' total. Built from a page walk, so it costs no memory per customer.
public struct AssetBalances: Sendable, Equatable {
    /// Balance per house account (summed, should a house account ever span several rows).
    public var house: [HouseAccount: Int64] = [:]
    /// Sum of every customer balance of the asset.
    public var customerUnits: Int64 = 0
    /// Customer rows seen (zero balances included).
    public var customerRowCount = 0
    /// Sum of what customer rows are below zero, by balance or by what is available after
    /// holds: 0 while DESIGN.md rule 2 holds (`no_negative_balance`).
    public var negativeCustomerUnits: Int64 = 0

    public init() {}

    /// The balance of `account` (0 when it has no row).
    public func house(_ account: HouseAccount) -> Int64 { house[account] ?? 0 }
    /// Every house balance together.
    public var houseUnits: Int64 { house.values.reduce(0, +) }
    /// The asset's sum over all rows: 0 when the books balance.
    public var totalUnits: Int64 { customerUnits + houseUnits }

    mutating func add(_ row: LedgerBalance) {
        switch row.id.owner {
        case .house(let account): house[account, default: 0] += row.balanceUnits
        case .customer:
            customerUnits += row.balanceUnits
            customerRowCount += 1
            negativeCustomerUnits += min(0, row.balanceUnits, row.availableUnits)
        }
    }

    /// Reads `asset` in pages inside `tx`; `customerRow` sees each customer row as it passes
    /// (for a caller that needs them, like the liabilities tree), nothing is kept here.
    public static func read(
        _ asset: LedgerAsset, in tx: any LedgerRepository, customerRow: (LedgerBalance) -> Void = { _ in }
    ) async throws -> AssetBalances {
        var balances = AssetBalances()
        try await LedgerBalancePages.forEach(asset, in: tx) { page in
            for row in page {
                balances.add(row)
                if row.id.isCustomer { customerRow(row) }
            }
        }
        return balances
    }
}
