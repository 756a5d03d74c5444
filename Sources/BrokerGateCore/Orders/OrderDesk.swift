import Foundation

/// The outbox as operators see it: open orders (each an instruction the engine still has
/// to deliver or follow), by status, and the oldest one's age.
public struct OutboxStatus: Sendable, Equatable {
    public var depth: Int
    public var byStatus: [BrokerageOrderStatus: Int]
    public var oldestCreatedAt: Date?
}

/// Order counts for `/metrics`: open orders (the outbox) and ended orders by status, and
/// the ledger's transfer count, each one index lookup.
public struct OrderCounts: Sendable, Equatable {
    public var open: Int
    public var ended: [BrokerageOrderStatus: Int]
    public var ledgerSequence: Int64
}

/// What operators read about order flow: the outbox, the scheduler lease and the
/// broker's own book.
public struct OrderDeskStatus: Sendable {
    public let outbox: OutboxStatus
    public let scheduler: SchedulerLeaseRecord?
    /// The broker's book; nil when it could not be read (`bookError` says why).
    public let book: BrokerBook?
    public let bookError: String?
    /// Orders an operator must look at: open ones the broker could not be reached about,
    /// and the latest that ended in ERROR.
    public let attention: [OrderRecord]
}

/// Reads the outbox, the order counts and the broker's book.
public struct OrderDesk: Sendable {
    public let broker: any BrokerAdapter
    /// For the desk's actions (`OrderDesk+Actions`): when they happen, and holds they take.
    public let clock: any BusinessClock

    public init(broker: any BrokerAdapter, clock: any BusinessClock = SystemClock()) {
        self.broker = broker
        self.clock = clock
    }

    /// How many ERROR orders the desk lists, newest first.
    public static let errorsListed = 50

    /// The outbox walked in full (open orders are few: they end within a session or wait
    /// for one), the lease, the orders needing attention, then the broker's book: a broker
    /// that cannot be read is reported, not a desk that cannot be read.
    public func status(store: any Store) async throws -> OrderDeskStatus {
        let (outbox, lease, attention) = try await store.read { tx in
            let open = try await tx.allDocuments(OrderRecord.self, query: .openOrders())
            var byStatus: [BrokerageOrderStatus: Int] = [:]
            for order in open { byStatus[order.status, default: 0] += 1 }
            let outbox = OutboxStatus(depth: open.count, byStatus: byStatus, oldestCreatedAt: open.map(\.createdAt).min())
            let errors = try await tx.page(
                OrderRecord.self,
                query: DocumentQuery(
                    owner: nil, statusKey: BrokerageOrderStatus.error.rawValue, page: PageRequest(limit: Self.errorsListed, order: .desc)))
            let troubled = open.filter { $0.brokerTrouble != nil }
            return (outbox, try await tx.document(SchedulerLeaseRecord.self, id: SchedulerLease.name), troubled + errors.items)
        }
        do {
            return OrderDeskStatus(outbox: outbox, scheduler: lease, book: try await broker.book(), bookError: nil, attention: attention)
        } catch {
            return OrderDeskStatus(outbox: outbox, scheduler: lease, book: nil, bookError: "\(error)", attention: attention)
        }
    }

    /// Open orders: one indexed count, for `/ready`.
    public static func outboxDepth(store: any Store) async throws -> Int {
        try await store.read { tx in try await outboxDepth(in: tx) }
    }

    static func outboxDepth(in tx: any StoreTransaction) async throws -> Int {
        try await tx.countDocuments(OrderRecord.self, query: .openOrders())
    }

    /// Counts for metrics: one indexed count per status, no document read.
    public static func counts(store: any Store) async throws -> OrderCounts {
        try await store.read { tx in
            let open = try await outboxDepth(in: tx)
            var ended: [BrokerageOrderStatus: Int] = [:]
            for status in BrokerageOrderStatus.allCases where status.isTerminal {
                ended[status] = try await tx.countDocuments(OrderRecord.self, query: DocumentQuery(owner: nil, statusKey: status.rawValue))
            }
            return OrderCounts(open: open, ended: ended, ledgerSequence: try await tx.ledgerSequence())
        }
    }
}
