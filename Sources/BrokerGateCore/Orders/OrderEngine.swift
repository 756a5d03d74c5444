import Foundation

/// A pass that advanced what it could but failed on at least one order; the first error.
public struct OrderEngineFailure: Error, CustomStringConvertible {
    public let changed: Int
    public let underlying: any Error
    public var description: String { "\(changed) orders advanced; an order failed: \(underlying)" }
}

/// Drives open orders forward with the business clock: routes them to the broker when
/// their session allows, settles the broker's fills, and ends them when the broker does
/// (filled, cancelled, rejected) or their time in force runs out.
///
/// The outbox: an open order is the broker instruction, written with its hold in the
/// order's own transaction. Delivery is at least once: the engine calls the broker
/// outside any transaction, then records the answer in one; a crash in between leaves the
/// order open, and the next pass (on any replica, after any restart) asks again under the
/// same broker order id, which the broker answers without executing twice. Fills are
/// settled in the broker's order, each once (`settledFillCount`, and each fulfillment's
/// transaction hash is unique), so a repeated answer settles nothing twice.
public struct OrderEngine: Sendable {
    public let clock: any BusinessClock
    let ledger: Ledger
    public let broker: any BrokerAdapter
    public let calendar: TradingCalendar
    public let faults: OrderFaultInjector
    /// How long an order that never reached the broker waits for it to become reachable
    /// before it ends in ERROR (its hold released). An order the broker has is never given
    /// up: it may still fill, so it is asked about until the broker answers.
    public let unreachableLimit: TimeInterval
    /// Failed broker calls in a row after which an order that never reached the broker ends
    /// in ERROR, whichever of this and `unreachableLimit` comes first.
    public let attemptsMax: Int

    public init(
        clock: any BusinessClock, broker: any BrokerAdapter, calendar: TradingCalendar = .nyse, faults: OrderFaultInjector = .none,
        unreachableLimit: TimeInterval = 300, attemptsMax: Int = 8, chain: ChainRecorder = .off
    ) {
        precondition(attemptsMax >= 1, "at least one attempt")
        self.clock = clock
        ledger = Ledger(clock: clock, chain: chain)
        self.broker = broker
        self.calendar = calendar
        self.faults = faults
        self.unreachableLimit = unreachableLimit
        self.attemptsMax = attemptsMax
    }

    /// The longest wait between two broker calls about one order.
    public static let backoffMax: TimeInterval = 60

    /// The wait after `attempts` failed calls in a row: 1, 2, 4, … seconds, at most a minute,
    /// so a broker that is down is not hammered and one that is back is asked again soon.
    public static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(backoffMax, TimeInterval(1 << min(max(attempts - 1, 0), 16)))
    }

    /// Advances every open order once (up to `limit`, oldest first); returns how many changed.
    /// Walks every page of open orders: resting orders that do not change must not hide the
    /// ones behind them from routing and expiry.
    @discardableResult
    public func runDue(store: any Store, limit: Int = 10_000) async throws -> Int {
        var query = DocumentQuery.openOrders(page: PageRequest(limit: PageRequest.limitMax))
        var changed = 0
        var seen = 0
        var firstFailure: (any Error)?
        while seen < limit {
            let open = try await store.read { [query] tx in try await tx.page(OrderRecord.self, query: query) }
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

    /// Advances one order: asks the broker, then records its answer in one transaction;
    /// true when the order changed.
    @discardableResult
    public func advance(_ id: OrderID, store: any Store) async throws -> Bool {
        guard let order = try await store.read({ tx in try await tx.document(OrderRecord.self, id: id.rawValue) }) else { return false }
        return try await advance(order, store: store) != nil
    }

    /// Advances `order` as last read (a new order hands itself in, so placing it costs no
    /// second read): asks the broker, then records its answer in one transaction, which
    /// works on the order as stored then. Returns the order as it committed, or nil when
    /// nothing changed.
    public func advance(_ order: OrderRecord, store: any Store) async throws -> OrderRecord? {
        guard !order.status.isTerminal else { return nil }
        let id = order.id
        let now = clock.now()
        // Backing off after failed broker calls: the order waits its turn (an operator's
        // retry from the desk clears the wait). A wait longer than any backoff means the
        // sandbox clock was moved back: the order is due.
        if let retryAt = order.brokerRetryAt, now < retryAt, retryAt.timeIntervalSince(now) <= Self.backoffMax { return nil }
        let expired = order.expiresAt.map { now >= $0 } ?? false
        let answer: BrokerOrderState?
        do {
            answer = try await ask(about: order, expired: expired, now: now)
        } catch let trouble as BrokerUnavailable {
            try await recordTrouble(trouble, on: id, now: now, store: store)
            throw trouble
        }
        guard let state = answer else { return nil }
        let settles = !state.unsettledFills(of: order).isEmpty
        if settles { try faults.hit(.beforeSettlement) }
        let cause = order.cancelCause ?? (expired ? .expiry : nil)
        return try await store.transaction(queuingFor: [order.accountID]) { tx in
            // A fill's fulfillment shows the account's chain, from its wallet.
            if settles {
                try await tx.prefetchDocuments([
                    DocumentKey(OrderRecord.self, id: id.rawValue), DocumentKey(WalletRecord.self, id: order.accountID.rawValue),
                ])
            }
            guard var fresh = try await tx.document(OrderRecord.self, id: id.rawValue), !fresh.status.isTerminal else { return nil }
            let before = fresh
            fresh.brokerTroubleSince = nil
            fresh.brokerTrouble = nil
            fresh.brokerAttempts = nil
            fresh.brokerRetryAt = nil
            try await record(state, on: &fresh, cause: cause, now: now, in: tx)
            guard fresh != before else { return nil }
            try await tx.updateDocument(fresh)
            try await announce(fresh, was: before, at: now, in: tx)
            return fresh
        }
    }

    /// Notes that the broker could not be reached about an order and when to try again
    /// (`backoff`); one that never reached it ends in ERROR, its hold released, after
    /// `attemptsMax` failed calls or `unreachableLimit`, whichever comes first.
    func recordTrouble(_ trouble: BrokerUnavailable, on id: OrderID, now: Date, store: any Store) async throws {
        try await store.transaction { tx in
            guard var order = try await tx.document(OrderRecord.self, id: id.rawValue), !order.status.isTerminal else { return }
            let before = order
            let since = order.brokerTroubleSince ?? now
            let attempts = (order.brokerAttempts ?? 0) + 1
            order.brokerTroubleSince = since
            order.brokerTrouble = String(trouble.reason.prefix(500))
            order.brokerAttempts = attempts
            order.brokerRetryAt = now.addingTimeInterval(Self.backoff(afterAttempts: attempts))
            if order.status == .pendingSubmit, attempts >= attemptsMax || now.timeIntervalSince(since) >= unreachableLimit {
                let seconds = Int(now.timeIntervalSince(since))
                order.brokerRetryAt = nil
                try await close(
                    &order, as: .error, requestStatus: .error,
                    message: "the broker could not be reached (\(attempts) attempts over \(seconds) s): \(order.brokerTrouble ?? "")",
                    in: tx)
            }
            guard order != before else { return }
            try await tx.updateDocument(order)
            try await announce(order, was: before, at: now, in: tx)
        }
    }

    /// The broker's answer for `order` now: a cancel when one was asked or the order
    /// expired, a submission when its session allows it, else the order as the broker has
    /// it. Nil when there is nothing to ask yet (a queued order outside its session).
    func ask(about order: OrderRecord, expired: Bool, now: Date) async throws -> BrokerOrderState? {
        if order.status == .pendingCancel || expired { return try await broker.cancel(order.id.rawValue) }
        if order.status == .pendingSubmit {
            let session = try calendar.state(at: now).session
            guard SessionRules.mayRoute(order.type, tif: order.tif, in: session, at: broker.capabilities) else { return nil }
            try faults.hit(.beforeBrokerSubmit)
            let state = try await broker.submit(try BrokerInstruction(order))
            try faults.hit(.afterBrokerSubmit)
            return state
        }
        // Working at the broker. One the broker has lost is delivered again (idempotent).
        if let state = try await broker.query(order.id.rawValue) { return state }
        return try await broker.submit(try BrokerInstruction(order))
    }

    /// Settles the fills the order has not settled yet, then follows the broker's status.
    /// An answer older than what the order already settled (a concurrent pass got a newer
    /// one) changes nothing.
    func record(
        _ state: BrokerOrderState, on order: inout OrderRecord, cause: OrderCancelCause?, now: Date, in tx: any StoreTransaction
    ) async throws {
        let current =
            state.totals.map { $0.quantityUnits >= order.filledQuantityUnits } ?? (state.fills.count >= (order.settledFillCount ?? 0))
        guard current else { return }
        let unsettled = state.unsettledFills(of: order)
        for fill in unsettled {
            try await settle(fill, of: &order, now: now, in: tx)
        }
        if state.totals == nil { order.settledFillCount = state.fills.count }
        switch state.status {
        case .working:
            if order.status == .pendingSubmit { try order.move(to: .submitted, at: now) }
            if !unsettled.isEmpty, order.status != .pendingCancel { try order.move(to: .partiallyFilled, at: now) }
        case .filled:
            try await close(&order, as: .filled, requestStatus: order.requestStatus, message: nil, in: tx)
        case .cancelled:
            let message =
                switch cause {
                case .partner: order.origin == .issuance ? "cancelled by the issuer" : "cancelled by the partner"
                case .expiry:
                    order.tif == .gtc
                        ? "GTC order reached its \(SessionRules.gtcDaysMax)-day limit" : "DAY order expired at the end of its session"
                case .corporateAction: order.cancelMessage ?? "cancelled for a corporate action of \(order.symbol)"
                case .operator: order.cancelMessage ?? "cancelled by the operator"
                case nil: state.reason ?? "cancelled by the broker"
                }
            try await close(
                &order, as: .cancelled, requestStatus: cause == .expiry ? .expired : .cancelled, message: message, in: tx)
        case .rejected:
            // Rejected after partial fills (e.g. a sell slice beyond custody): the fills
            // stand, so the order ends cancelled, with the broker's reason.
            let reason = "rejected by the broker: \(state.reason ?? "no reason given")"
            let partly = order.filledQuantityUnits > 0
            try await close(
                &order, as: partly ? .cancelled : .rejected, requestStatus: partly ? .cancelled : .rejected, message: reason,
                in: tx)
        }
    }

    /// The events of one recorded answer: the order's new status (a partial fill each time
    /// more fills), and the request's rejection.
    func announce(_ order: OrderRecord, was before: OrderRecord, at now: Date, in tx: any StoreTransaction) async throws {
        let filledMore = order.status == .partiallyFilled && order.filledQuantityUnits != before.filledQuantityUnits
        if order.status != before.status || filledMore { try await tx.emitOrderStatus(order, at: now) }
        if order.requestStatus == .rejected, before.requestStatus != .rejected {
            try await tx.emit(.orderRequestRejected, .orderRequest(order), at: now)
        }
    }

    /// Ends an open order: voids what is left of its hold, records why.
    func close(
        _ order: inout OrderRecord, as status: BrokerageOrderStatus, requestStatus: OrderRequestStatus, message: String?,
        in tx: any StoreTransaction
    ) async throws {
        try order.move(to: status, at: clock.now())
        order.requestStatus = requestStatus
        order.cancelMessage = message
        try await ledger.void(order.holdID, in: tx)
    }

    /// One broker fill in our books: the ledger moves and the fulfillment record.
    func settle(_ fill: BrokerFill, of order: inout OrderRecord, now: Date, in tx: any StoreTransaction) async throws {
        let moves = OrderSettlement.moves(order, fill: fill)
        let fulfillmentID = FulfillmentID.generate()
        let shownOn = (kind: FulfillmentRecord.kind, id: fulfillmentID.rawValue)
        switch order.side {
        case .buy: try await OrderSettlement.settleBuy(order, moves, ledger: ledger, shownOn: shownOn, in: tx)
        case .sell: try await OrderSettlement.settleSell(order, moves, ledger: ledger, shownOn: shownOn, in: tx)
        }
        order.filledQuantityUnits += moves.quantityUnits
        order.paymentUnits += moves.paymentUnits
        order.feeUnits += moves.feeUnits
        order.updatedAt = now
        let fulfillment = FulfillmentRecord(
            id: fulfillmentID, orderID: order.id, accountID: order.accountID, organizationID: order.organizationID, stockID: order.stockID,
            side: order.side, quantityUnits: moves.quantityUnits, paymentUnits: moves.paymentUnits, feeUnits: moves.feeUnits,
            price: fill.price,
            transactionHash: CashAmount.transactionHash(kind: FulfillmentRecord.kind, id: fill.id), createdAt: fill.at)
        try await tx.insertDocument(fulfillment)
        var chains = AccountChains()
        let view = FulfillmentView(fulfillment: fulfillment, chainID: try await chains.chain(of: order.accountID, in: tx))
        try await tx.emit(.fulfillmentCreated, .fulfillment(view), at: now)
    }
}
