import Foundation

/// The broker's side of reconciliation: its own book, less what it has executed that our
/// books have not settled yet (fills in transit). Read after our side, so every fill we
/// settled is already in the broker's book and only transit separates the two.
public struct BrokerSide: Sendable, Equatable {
    public var book: BrokerBook
    /// Per symbol: shares bought − sold at the broker, not yet settled by us.
    public var transitShares: [String: Int64] = [:]
    /// Cash of those fills: paid − received.
    public var transitCashUnits: Int64 = 0

    public init(book: BrokerBook, transitShares: [String: Int64] = [:], transitCashUnits: Int64 = 0) {
        self.book = book
        self.transitShares = transitShares
        self.transitCashUnits = transitCashUnits
    }

    /// Asks the broker about each of our open orders (fills beyond what we settled are in
    /// transit), then reads its book.
    public static func read(broker: any BrokerAdapter, openOrders: [OrderRecord]) async throws -> BrokerSide {
        var side = BrokerSide(book: BrokerBook(positions: [:], netCashUnits: 0))
        for order in openOrders where order.status != .pendingSubmit {
            guard let state = try await broker.query(order.id.rawValue) else { continue }
            let sign: Int64 = order.side == .buy ? 1 : -1
            for fill in state.unsettledFills(of: order) {
                side.transitShares[order.symbol, default: 0] += sign * fill.quantityUnits
                side.transitCashUnits += sign * fill.cashUnits
            }
        }
        side.book = try await broker.book()
        return side
    }

    /// Shares of `symbol` the broker holds that our books should show as custody.
    func settledShares(_ symbol: String) -> Int64 { (book.positions[symbol] ?? 0) - (transitShares[symbol] ?? 0) }
    var settledCashUnits: Int64 { book.netCashUnits - transitCashUnits }
}

extension Reconciliation {
    /// Breaks between our custody and cash at the broker and the broker's own book.
    static func brokerComparisons(
        _ positions: LedgerPositions, _ broker: BrokerSide
    ) -> [(Check, LedgerAsset, expected: Int64, actual: Int64)] {
        let symbols = Set(positions.stockAssets.compactMap(\.stockSymbol)).union(broker.book.positions.keys)
        var comparisons = symbols.sorted().map { symbol in
            let stock = LedgerAsset.stock(symbol)
            return (Check.brokerCustody, stock, expected: broker.settledShares(symbol), actual: positions.custody(stock))
        }
        comparisons.append((.brokerCash, .usdPlus, broker.settledCashUnits, positions.house(.brokerCash, .usdPlus)))
        return comparisons
    }

    /// Our open orders, read with the positions (the same transaction) for `BrokerSide.read`.
    static func openOrders(in tx: any StoreTransaction) async throws -> [OrderRecord] {
        try await tx.allDocuments(OrderRecord.self, query: .openOrders())
    }

    /// Reads our books and the broker's and reconciles them. A broker break can be a race
    /// (an order placed and filled between the two reads); it is reported only when it
    /// persists over `attempts` passes.
    public static func run(
        store: any Store, clock: any BusinessClock, broker: any BrokerAdapter, chain: ChainSupplyCheck? = nil,
        universe: StockUniverse = .standard, attempts: Int = 3
    ) async throws -> ReconciliationResult {
        var result: ReconciliationResult?
        for _ in 0..<max(1, attempts) {
            let head = try await chain?.adapter.headBlock()
            let (positions, open, snapshot) = try await store.read { tx in
                let positions = try await LedgerPositions.read(in: tx, universe: universe, keepingCustomerRows: chain != nil)
                let snapshot = try await head.asyncMap { try await ChainSupplyCheck.snapshot(block: $0, positions: positions, in: tx) }
                return (positions, try await openOrders(in: tx), snapshot)
            }
            let side = try await BrokerSide.read(broker: broker, openOrders: open)
            var onChain: ChainSupplyReport?
            if let chain, let snapshot { onChain = try await chain.run(positions: positions, snapshot: snapshot) }
            let pass = run(positions, broker: side, checkedAt: clock.now()).adding(onChain)
            result = pass
            if !pass.breaks.contains(where: { $0.check == Check.brokerCustody.rawValue || $0.check == Check.brokerCash.rawValue }) { break }
        }
        return result!
    }
}
