import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/accounts/{account_id}/orders…`, `…/order_fulfillments…` and the organization-wide
/// `/api/v2/orders/`: reading orders and their fills, and cancelling.
struct OrdersController {
    let store: any Store
    let commands: Commands
    let orders: OrderCommands
    let queries: OrderQueries

    var routes: [RouteDefinition] {
        let account = "/api/v2/accounts/{account_id}"
        return [
            RouteDefinition(.get, "\(account)/orders", .partner, list),
            RouteDefinition(.post, "\(account)/orders/cancel", .partner, batchCancel),
            RouteDefinition(.get, "\(account)/orders/{order_id}", .partner, get),
            RouteDefinition(.post, "\(account)/orders/{order_id}/cancel", .partner, cancel),
            RouteDefinition(.get, "\(account)/orders/{order_id}/fulfillments", .partner, orderFulfillments),
            RouteDefinition(.get, "\(account)/order_fulfillments", .partner, queryFulfillments),
            RouteDefinition(.get, "\(account)/order_fulfillments/{order_fulfillment_id}", .partner, fulfillment),
            RouteDefinition(.get, "/api/v2/orders/", .partner, listOrganization),
        ]
    }

    /// Filters: `chain_id`, `client_order_id`, `order_transaction_hash`.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let filter = OrderFilter(
            clientOrderID: try query.string("client_order_id"), orderTransactionHash: try query.string("order_transaction_hash"),
            chainID: try query.string("chain_id"))
        let page = try query.page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.orders(accountID: accountID, filter: filter, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found) { OrderDTO($0) }
    }

    /// Every account's orders in the caller's organization (`v2.list_orders`). Filters:
    /// `chain_id`, `order_request_id`, `order_transaction_hash`, `order_fulfillment_transaction_hash`.
    @Sendable func listOrganization(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let filter = OrderFilter(
            requestID: try query.string("order_request_id"), orderTransactionHash: try query.string("order_transaction_hash"),
            fulfillmentTransactionHash: try query.string("order_fulfillment_transaction_hash"), chainID: try query.string("chain_id"))
        let page = try query.page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.orders(accountID: nil, filter: filter, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found) { EntityOrderDTO($0) }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let id = try request.id("order_id", context: context, as: OrderID.self, what: "order")
        let principal = try context.caller()
        let found = try await store.read { tx in try await queries.order(id, accountID: accountID, for: principal, in: tx) }
        return OrderDTO(found)
    }

    /// Cancels an open order at once (the simulated broker has no cancel latency) and
    /// releases the rest of its hold; a filled, cancelled or rejected order is a 422
    /// `order_not_open`. The SDK sends no body.
    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let id = try request.id("order_id", context: context, as: OrderID.self, what: "order")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let queries = queries
        return try await commands.run(request, context, body: body, status: .ok, render: OrderDTO.init) { tx in
            _ = try await orders.cancel(id, accountID: accountID, for: principal, in: tx)
            return try await queries.order(id, accountID: accountID, for: principal, in: tx)
        }
    }

    struct BatchCancelInput: Decodable {
        let order_ids: [String]
    }

    /// Most orders one batch may name.
    static let batchOrdersMax = 100

    /// Cancels every open order of `order_ids` in one transaction; orders already closed are
    /// listed as failed. An id that is not one of the account's orders is a 404 naming it,
    /// and then nothing is cancelled: the response can only describe orders it may show.
    @Sendable func batchCancel(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(BatchCancelInput.self, from: body)
        guard (1...Self.batchOrdersMax).contains(input.order_ids.count) else {
            throw DomainError.invalidField("order_ids", "must list 1 to \(Self.batchOrdersMax) order ids (got \(input.order_ids.count))")
        }
        let principal = try context.caller()
        let queries = queries
        return try await commands.run(request, context, body: body, status: .ok, render: { $0 }) { tx in
            var queued: [OrderDTO] = []
            var failed: [OrderDTO] = []
            var seen = Set<OrderID>()
            for text in input.order_ids {
                let notFound = DomainError(.notFound, code: "not_found", message: "order \(text.prefix(40)) was not found")
                guard let id = OrderID(parsing: text) else { throw notFound }
                guard seen.insert(id).inserted else { continue }
                let view: OrderView
                do {
                    view = try await queries.order(id, accountID: accountID, for: principal, in: tx)
                } catch let error as DomainError where error.kind == .notFound {
                    throw notFound
                }
                guard !view.order.status.isTerminal else {
                    failed.append(OrderDTO(view))
                    continue
                }
                _ = try await orders.cancel(id, accountID: accountID, for: principal, in: tx)
                queued.append(OrderDTO(try await queries.order(id, accountID: accountID, for: principal, in: tx)))
            }
            return BatchCancelDTO(cancel_queued_orders: queued, failed_to_cancel_orders: failed)
        }
    }

    @Sendable func orderFulfillments(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let id = try request.id("order_id", context: context, as: OrderID.self, what: "order")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.fulfillments(ofOrder: id, accountID: accountID, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, FulfillmentDTO.init)
    }

    /// `order_ids` may repeat (`order_ids=a&order_ids=b`, the SDK's form) or hold a comma list.
    @Sendable func queryFulfillments(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let values = request.uri.queryParameters.getAll("order_ids").prefix(OrderQueries.orderIDsMax + 1)
        let orderIDs = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map(String.init) }
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.fulfillments(accountID: accountID, orderIDs: orderIDs, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, FulfillmentDTO.init)
    }

    @Sendable func fulfillment(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let id = try request.id("order_fulfillment_id", context: context, as: FulfillmentID.self, what: "order fulfillment")
        let principal = try context.caller()
        let found = try await store.read { tx in try await queries.fulfillment(id, accountID: accountID, for: principal, in: tx) }
        return FulfillmentDTO(found)
    }
}
