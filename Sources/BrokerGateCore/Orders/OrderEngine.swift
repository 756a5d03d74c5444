import Crypto
import Foundation

/// A pass that advanced what it could but failed on at least one order; the first error.
public struct OrderEngineFailure: Error, CustomStringConvertible {
    public let changed: Int
    public let underlying: any Error
    public var description: String { "\(changed) orders advanced; an order failed: \(underlying)" }
}

/// Drives open orders forward with the business clock: routes them when their session
/// allows, fills what the broker executes, expires DAY/GTC orders and settles IOC/FOK.
/// Every step for one order is one store transaction, so a crash leaves each order either
/// before or after a step, and the open order itself is the outbox entry the next run
/// (on any replica, after any restart) picks up.
public struct OrderEngine: Sendable {
    public let clock: any BusinessClock
    public let broker: any BrokerAdapter
    public let calendar: TradingCalendar

    public init(clock: any BusinessClock, broker: any BrokerAdapter, calendar: TradingCalendar = .nyse) {
        self.clock = clock
        self.broker = broker
        self.calendar = calendar
    }

    /// Advances every open order once (up to `limit`, oldest first); returns how many changed.
    /// Walks every page of open orders: resting orders that do not change must not hide the
    /// ones behind them from routing and expiry.
    @discardableResult
    public func runDue(store: any Store, limit: Int = 10_000) async throws -> Int {
        var query = DocumentQuery(owner: nil, statusKey: OrderRecord.openStatusKey, page: PageRequest(limit: PageRequest.limitMax))
        var changed = 0
        var seen = 0
        var firstFailure: (any Error)?
        while seen < limit {
            let open = try await store.transaction { [query] tx in try await tx.page(OrderRecord.self, query: query) }
            for order in open.items.prefix(limit - seen) {
                // One order that fails (a bug, a broker error) must not stall the ones after it.
                do {
                    if try await advance(order.id, store: store) { changed += 1 }
                } catch {
                    firstFailure = firstFailure ?? error
                }
            }
            seen += open.items.count
            guard let next = open.next else { break }
            query.page.direction = .after(next)
        }
        if let firstFailure { throw OrderEngineFailure(changed: changed, underlying: firstFailure) }
        return changed
    }

    /// Advances one order in its own transaction; true when it changed.
    @discardableResult
    public func advance(_ id: OrderID, store: any Store) async throws -> Bool {
        try await store.transaction { tx in
            guard var order = try await tx.document(OrderRecord.self, id: id.rawValue), !order.status.isTerminal else { return false }
            let before = order
            try await step(&order, in: tx)
            return order != before
        }
    }

    /// One decision for one order, the `if`s in one place.
    func step(_ order: inout OrderRecord, in tx: any StoreTransaction) async throws {
        let now = clock.now()
        if let expiry = order.expiresAt, now >= expiry {
            let message = order.tif == .gtc ? "GTC order reached its \(SessionRules.gtcDaysMax)-day limit" : "DAY order expired at the end of its session"
            return try await Self.close(&order, as: .cancelled, requestStatus: .expired, message: message, clock: clock, in: tx)
        }
        let state = try calendar.state(at: now)
        guard SessionRules.mayRoute(order.type, in: state.session) else { return }
        if order.status == .pendingSubmit { try order.move(to: .submitted, at: now) }
        if let price = try broker.marketablePrice(for: order, at: now) {
            try await fill(&order, at: price, now: now, in: tx)
        } else if order.tif == .ioc || order.tif == .fok {
            return try await Self.close(&order, as: .cancelled, requestStatus: .cancelled, message: "\(order.tif.rawValue) order was not marketable", clock: clock, in: tx)
        }
        try await tx.updateDocument(order)
    }

    /// Ends an open order: voids what is left of its hold, records why.
    static func close(_ order: inout OrderRecord, as status: BrokerageOrderStatus, requestStatus: OrderRequestStatus, message: String, clock: any BusinessClock, in tx: any StoreTransaction) async throws {
        try order.move(to: status, at: clock.now())
        order.requestStatus = requestStatus
        order.cancelMessage = message
        try await Ledger(clock: clock).void(order.holdID, in: tx)
        try await tx.updateDocument(order)
    }

    /// Fills the whole order at `price`: the ledger moves and the fulfillment record.
    func fill(_ order: inout OrderRecord, at price: Amount, now: Date, in tx: any StoreTransaction) async throws {
        let ledger = Ledger(clock: clock)
        let moves = try OrderSettlement.amounts(order, price: price)
        switch order.side {
        case .buy: try await OrderSettlement.settleBuy(order, moves, ledger: ledger, in: tx)
        case .sell: try await OrderSettlement.settleSell(order, moves, ledger: ledger, in: tx)
        }
        order.filledQuantityUnits = moves.quantityUnits
        order.paymentUnits = moves.paymentUnits
        order.feeUnits = moves.feeUnits
        try order.move(to: .filled, at: now)
        let fulfillment = FulfillmentRecord(
            id: .generate(), orderID: order.id, accountID: order.accountID, organizationID: order.organizationID, stockID: order.stockID,
            side: order.side, quantityUnits: moves.quantityUnits, paymentUnits: moves.paymentUnits, feeUnits: moves.feeUnits, price: price,
            transactionHash: Self.transactionHash(order.id.rawValue, "fill", now), createdAt: now)
        try await tx.insertDocument(fulfillment)
    }

    /// A stable pseudo transaction hash: 0x + SHA-256 of the inputs.
    static func transactionHash(_ parts: String...) -> String {
        "0x" + Hex.encode(SHA256.hash(data: Array(parts.joined(separator: "|").utf8)))
    }

    static func transactionHash(_ id: String, _ what: String, _ at: Date) -> String {
        transactionHash(id, what, String(Int64(at.timeIntervalSince1970 * 1_000_000)))
    }
}
