import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/operator/outbox`: the order outbox's depth (DESIGN.md "Operator API:
/// outbox/broker status"), for the operator console and on-call. Operator keys only: the
/// counts span every organization.
struct OperatorOutboxController {
    let store: any Store
    let clock: any BusinessClock
    let outbox: OrderOutbox

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/operator/outbox", .operator, status)]
    }

    struct OutboxDTO: Encodable {
        let open_orders: Int
        /// Open orders by brokerage status (PENDING_SUBMIT, SUBMITTED, PARTIALLY_FILLED…).
        let by_status: [String: Int]
        let oldest_pending_submit_dt: Nullable<Date>
        let truncated: Bool
        let count_max: Int
        let checked_dt: Date
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        let found = try await store.transaction { tx in try await outbox.status(in: tx) }
        return try Reply.json(
            OutboxDTO(
                open_orders: found.openOrders,
                by_status: Dictionary(uniqueKeysWithValues: found.byStatus.map { ($0.key.rawValue, $0.value) }),
                oldest_pending_submit_dt: Nullable(found.oldestPendingSubmitAt), truncated: found.truncated,
                count_max: OrderOutbox.countMax, checked_dt: clock.now()))
    }
}
