import Foundation

/// Our orders as the snapshot the broker's book is compared with saw them: the open ones
/// (fills beyond what they settled may be in transit) and the ids of every order created
/// shortly before the snapshot's newest, so that a read after the broker's book can tell
/// the orders the snapshot did not have (`newer(in:)`).
public struct OrdersAtSnapshot: Sendable {
    public let open: [OrderRecord]
    /// Orders are walked from here on, in both reads.
    let since: PageCursor
    /// Ids of the orders from `since` on in the snapshot; nil when there were more than
    /// `recentMax`, and the orders the snapshot lacked cannot be told.
    let recent: Set<OrderID>?

    /// How long before the snapshot's newest order an order the snapshot did not see may
    /// have been created: a placement takes its `createdAt` inside its transaction, so one
    /// that commits after the snapshot is older than its newest order by at most its own
    /// duration. Created earlier still, it is missed: a false break, never a hidden one.
    static let lateCommitMargin: TimeInterval = 5
    /// Most orders a read walks from `since` (50 pages).
    static let recentMax = 50 * PageRequest.limitMax

    /// Reads the open orders and the recent ones, in the snapshot's transaction.
    public static func read(in tx: any StoreTransaction) async throws -> OrdersAtSnapshot {
        let open = try await tx.allDocuments(OrderRecord.self, query: .openOrders())
        let newestFirst = DocumentQuery(owner: nil, page: PageRequest(limit: 1, order: .desc))
        let newest = try await tx.page(OrderRecord.self, query: newestFirst).items.first
        let from = newest.map { PageCursor.of($0).createdAtMicros - Int64(lateCommitMargin * 1_000_000) } ?? .min
        let since = PageCursor(createdAtMicros: from, id: "")
        let recent = try await orders(since: since, in: tx).map { Set($0.map(\.id)) }
        return OrdersAtSnapshot(open: open, since: since, recent: recent)
    }

    /// Orders a read after the snapshot finds that the snapshot did not have, each as the
    /// snapshot would have had it: nothing settled (its fills are not in the snapshot's books).
    public func newer(in tx: any StoreTransaction) async throws -> [OrderRecord] {
        guard let recent, let now = try await Self.orders(since: since, in: tx) else { return [] }
        return now.filter { !recent.contains($0.id) }.map { order in
            var unsettled = order
            unsettled.filledQuantityUnits = 0
            unsettled.paymentUnits = 0
            unsettled.settledFillCount = 0
            return unsettled
        }
    }

    /// Orders created from `since` on (documents_kind), or nil past `recentMax`.
    static func orders(since: PageCursor, in tx: any StoreTransaction) async throws -> [OrderRecord]? {
        try await tx.allDocuments(OrderRecord.self, query: DocumentQuery(owner: nil), after: since, atMost: recentMax)
    }
}

/// What the broker has executed that our snapshot's books have not settled (fills in
/// transit), as the least and the most the reads around the broker's book allow: an
/// order's fills only grow, so what the broker reported before its book was read is a
/// floor and what it reports after is a ceiling.
public struct TransitRange: Sendable, Equatable {
    public var least: Int64 = 0
    public var most: Int64 = 0

    public init(least: Int64 = 0, most: Int64 = 0) {
        self.least = least
        self.most = most
    }

    /// Adds one order's unsettled amount between `floor` and `ceiling`, negated for a sell.
    public mutating func add(floor: Int64, ceiling: Int64, sign: Int64) {
        let (low, high) = (min(floor, ceiling), max(floor, ceiling))
        if sign > 0 {
            least += low
            most += high
        } else {
            least -= high
            most -= low
        }
    }

    /// What our books should show when the broker's book shows `total`.
    public func settled(of total: Int64) -> ClosedRange<Int64> { (total - most)...(total - least) }
}

/// The broker's side of reconciliation: its own book, less what it has executed that our
/// books have not settled yet (fills in transit).
///
/// Our snapshot is read first, the broker's book after it; orders placed or filled in
/// between are in the broker's book and not in ours. They are counted as transit: our
/// snapshot's open orders are asked about before and after the book, and the orders a
/// read after the book finds that the snapshot lacked (`OrdersAtSnapshot.newer`) after
/// it. Every order whose fills are in the book is among these, since an order is stored
/// before it reaches the broker; with no order moving, the range is one figure.
public struct BrokerSide: Sendable, Equatable {
    public var book: BrokerBook
    /// Per symbol: shares bought − sold at the broker, not yet settled by us.
    public var transitShares: [String: TransitRange] = [:]
    /// Cash of those fills: paid − received.
    public var transitCash = TransitRange()

    public init(book: BrokerBook, transitShares: [String: TransitRange] = [:], transitCash: TransitRange = TransitRange()) {
        self.book = book
        self.transitShares = transitShares
        self.transitCash = transitCash
    }

    /// Asks the broker about our snapshot's open orders, reads its book, asks again about
    /// those and about the orders placed since the snapshot (`BrokerSide`).
    public static func read(broker: any BrokerAdapter, orders: OrdersAtSnapshot, store: any Store) async throws -> BrokerSide {
        var before: [OrderID: BrokerOrderState] = [:]
        for order in orders.open {
            before[order.id] = try await broker.query(order.id.rawValue)
        }
        var side = BrokerSide(book: try await broker.book())
        let newer = try await store.read { tx in try await orders.newer(in: tx) }
        for order in orders.open + newer {
            side.add(order, before: before[order.id], after: try await broker.query(order.id.rawValue))
        }
        return side
    }

    /// Adds what `order` (as our snapshot has it) has unsettled at the broker.
    mutating func add(_ order: OrderRecord, before: BrokerOrderState?, after: BrokerOrderState?) {
        let floor = before?.unsettledFills(of: order) ?? []
        let ceiling = after?.unsettledFills(of: order) ?? []
        let sign: Int64 = order.side == .buy ? 1 : -1
        transitShares[order.symbol, default: TransitRange()].add(
            floor: floor.reduce(0) { $0 + $1.quantityUnits }, ceiling: ceiling.reduce(0) { $0 + $1.quantityUnits }, sign: sign)
        transitCash.add(floor: floor.reduce(0) { $0 + $1.cashUnits }, ceiling: ceiling.reduce(0) { $0 + $1.cashUnits }, sign: sign)
    }

    /// Shares of `symbol` our books should show as custody.
    func settledShares(_ symbol: String) -> ClosedRange<Int64> {
        (transitShares[symbol] ?? TransitRange()).settled(of: book.positions[symbol] ?? 0)
    }
    var settledCashUnits: ClosedRange<Int64> { transitCash.settled(of: book.netCashUnits) }
}

extension Reconciliation {
    /// Breaks between our custody and cash at the broker and the broker's own book. Where
    /// transit is a range, the figure expected is the one in it nearest ours.
    static func brokerComparisons(
        _ positions: LedgerPositions, _ broker: BrokerSide
    ) -> [(Check, LedgerAsset, expected: Int64, actual: Int64)] {
        func nearest(_ actual: Int64, in range: ClosedRange<Int64>) -> Int64 { min(max(actual, range.lowerBound), range.upperBound) }
        let symbols = Set(positions.stockAssets.compactMap(\.stockSymbol)).union(broker.book.positions.keys)
        var comparisons = symbols.sorted().map { symbol in
            let stock = LedgerAsset.stock(symbol)
            let actual = positions.custody(stock)
            return (Check.brokerCustody, stock, expected: nearest(actual, in: broker.settledShares(symbol)), actual: actual)
        }
        let cash = positions.house(.brokerCash, .usdPlus)
        comparisons.append((.brokerCash, .usdPlus, nearest(cash, in: broker.settledCashUnits), cash))
        return comparisons
    }

    /// Reads our books and the broker's and reconciles them. A broker break can still be a
    /// race (an order our snapshot did not see committed long after it was created); it is
    /// reported only when it persists over `attempts` passes.
    public static func run(
        store: any Store, clock: any BusinessClock, broker: any BrokerAdapter, chain: ChainSupplyCheck? = nil,
        universe: StockUniverse = .standard, attempts: Int = 3
    ) async throws -> ReconciliationResult {
        var result: ReconciliationResult?
        for _ in 0..<max(1, attempts) {
            let head = try await chain?.adapter.headBlock()
            let (positions, orders, snapshot) = try await store.read { tx in
                let positions = try await LedgerPositions.read(in: tx, universe: universe, keepingCustomerRows: chain != nil)
                let snapshot = try await head.asyncMap { try await ChainSupplyCheck.snapshot(block: $0, positions: positions, in: tx) }
                return (positions, try await OrdersAtSnapshot.read(in: tx), snapshot)
            }
            let side = try await BrokerSide.read(broker: broker, orders: orders, store: store)
            var onChain: ChainSupplyReport?
            if let chain, let snapshot { onChain = try await chain.run(positions: positions, snapshot: snapshot) }
            let pass = run(positions, broker: side, checkedAt: clock.now()).adding(onChain)
            result = pass
            if !pass.breaks.contains(where: { $0.check == Check.brokerCustody.rawValue || $0.check == Check.brokerCash.rawValue }) { break }
        }
        return result!
    }
}
