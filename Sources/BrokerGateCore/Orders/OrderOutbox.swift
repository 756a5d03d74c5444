import Foundation

/// How many orders the order engine still has to act on, for operators.
///
/// Open orders are the outbox (`OrderRecord.openStatusKey`): PENDING_SUBMIT ones have not
/// reached the broker yet (they wait for a session that allows them, or for the next engine
/// tick after a restart); SUBMITTED and PARTIALLY_FILLED ones are working at the broker. A
/// PENDING_SUBMIT order much older than a session is the thing to look at.
public struct OrderOutboxStatus: Sendable, Equatable {
    /// Open orders counted (at most `OrderOutbox.countMax`).
    public var openOrders: Int
    /// Open orders by brokerage status, statuses with none left out.
    public var byStatus: [BrokerageOrderStatus: Int]
    /// The oldest open order not yet at the broker (PENDING_SUBMIT), nil when none waits.
    public var oldestPendingSubmitAt: Date?
    /// True when there were more than `OrderOutbox.countMax` open orders and counting stopped.
    public var truncated: Bool
}

/// Reads the outbox's depth by walking the open orders, page by page, in one transaction.
public struct OrderOutbox: Sendable {
    /// Counting stops here: a status read must stay cheap even if the engine is far behind,
    /// and "more than 10,000" is as actionable as the exact number.
    public static let countMax = 10_000

    public init() {}

    public func status(in tx: any StoreTransaction) async throws -> OrderOutboxStatus {
        var status = OrderOutboxStatus(openOrders: 0, byStatus: [:], oldestPendingSubmitAt: nil, truncated: false)
        var query = DocumentQuery(owner: nil, statusKey: OrderRecord.openStatusKey, page: PageRequest(limit: PageRequest.limitMax))
        while true {
            let page = try await tx.page(OrderRecord.self, query: query)
            for order in page.items {
                guard status.openOrders < Self.countMax else {
                    status.truncated = true
                    return status
                }
                Self.count(order, into: &status)
            }
            guard let next = page.next else { return status }
            query.page.direction = .after(next)
        }
    }

    static func count(_ order: OrderRecord, into status: inout OrderOutboxStatus) {
        status.openOrders += 1
        status.byStatus[order.status, default: 0] += 1
        if order.status == .pendingSubmit {
            status.oldestPendingSubmitAt = min(status.oldestPendingSubmitAt ?? order.createdAt, order.createdAt)
        }
    }
}
