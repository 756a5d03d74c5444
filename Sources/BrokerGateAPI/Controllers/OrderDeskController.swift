import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/operator/order_desk`: the outbox, who runs the scheduler, and the broker's
/// own book, for operators; `POST /api/v2/operator/orders/{id}/retry` and `…/cancel`, the
/// desk's actions on an order the broker troubled (audited, idempotent like every write).
struct OrderDeskController {
    let store: any Store
    let commands: Commands
    let desk: OrderDesk
    let role: SchedulerRole

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/operator/order_desk", .operator, status),
            RouteDefinition(.post, "/api/v2/operator/orders/{order_id}/retry", .operator, retry),
            RouteDefinition(.post, "/api/v2/operator/orders/{order_id}/cancel", .operator, cancel),
        ]
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        OrderDeskDTO(try await desk.status(store: store), thisReplicaLeads: role.isLeader)
    }

    @Sendable func retry(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("order_id", context: context, as: OrderID.self, what: "order")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let desk = desk
        return try await commands.run(request, context, body: body, status: .ok, render: OrderDeskDTO.Attention.init) { tx in
            try await desk.retry(id, in: tx)
        }
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("order_id", context: context, as: OrderID.self, what: "order")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let desk = desk
        return try await commands.run(request, context, body: body, status: .ok, render: OrderDeskDTO.Attention.init) { tx in
            try await desk.cancel(id, in: tx)
        }
    }
}

struct OrderDeskDTO: ResponseEncodable, Sendable {
    struct Outbox: ResponseEncodable, Sendable {
        let depth: Int
        let by_status: [String: Int]
        let oldest_created_dt: Date?
    }

    struct Scheduler: ResponseEncodable, Sendable {
        let holder: String?
        let expires_dt: Date?
        let this_replica_leads: Bool
    }

    struct Book: ResponseEncodable, Sendable {
        let positions: [String: Amount]
        let net_cash: Amount
    }

    /// An order an operator must look at: why, since when, the broker calls that failed in
    /// a row, when the engine calls again, and the desk's actions open to it.
    struct Attention: ResponseEncodable, Sendable {
        let order_id: String
        let account_id: String
        let organization_id: String
        let status: String
        let reason: String?
        let since_dt: Date
        let broker_attempts: Int
        let next_attempt_dt: Date?
        let actions: [String]

        init(_ order: OrderRecord) {
            order_id = order.id.rawValue
            account_id = order.accountID.rawValue
            organization_id = order.organizationID.rawValue
            status = order.status.rawValue
            reason = order.brokerTrouble ?? order.cancelMessage
            since_dt = order.brokerTroubleSince ?? order.updatedAt
            broker_attempts = order.brokerAttempts ?? 0
            next_attempt_dt = order.brokerRetryAt
            actions =
                order.status.isTerminal
                ? (order.status == .error && order.brokerTrouble != nil ? ["retry"] : [])
                : (order.status == .pendingCancel ? ["retry"] : ["retry", "cancel"])
        }
    }

    let outbox: Outbox
    let scheduler: Scheduler
    let broker_book: Book?
    let broker_error: String?
    let attention: [Attention]

    init(_ status: OrderDeskStatus, thisReplicaLeads: Bool) {
        outbox = Outbox(
            depth: status.outbox.depth,
            by_status: Dictionary(uniqueKeysWithValues: status.outbox.byStatus.map { ($0.key.rawValue, $0.value) }),
            oldest_created_dt: status.outbox.oldestCreatedAt)
        scheduler = Scheduler(
            holder: status.scheduler?.holder, expires_dt: status.scheduler?.expiresAt, this_replica_leads: thisReplicaLeads)
        broker_book = status.book.map { book in
            Book(positions: book.positions.mapValues(OrderDTO.ledger), net_cash: OrderDTO.ledger(book.netCashUnits))
        }
        broker_error = status.bookError
        attention = status.attention.map(Attention.init)
    }
}
