import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/operator/order_desk`: the outbox, who runs the scheduler, and the broker's
/// own book, for operators.
struct OrderDeskController {
    let store: any Store
    let desk: OrderDesk
    let role: SchedulerRole

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/operator/order_desk", .operator, status)]
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        OrderDeskDTO(try await desk.status(store: store), thisReplicaLeads: role.isLeader)
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

    /// An order an operator must look at: why, and since when.
    struct Attention: ResponseEncodable, Sendable {
        let order_id: String
        let account_id: String
        let organization_id: String
        let status: String
        let reason: String?
        let since_dt: Date
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
        attention = status.attention.map { order in
            Attention(
                order_id: order.id.rawValue, account_id: order.accountID.rawValue, organization_id: order.organizationID.rawValue,
                status: order.status.rawValue, reason: order.brokerTrouble ?? order.cancelMessage,
                since_dt: order.brokerTroubleSince ?? order.updatedAt)
        }
    }
}
