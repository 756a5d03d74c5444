import BrokerGateCore
import Foundation
import Hummingbird
import Logging

/// `/api/v2/accounts/{account_id}/order_requests…`: placing market and limit orders, and
/// reading the requests back.
struct OrderRequestsController {
    let store: any Store
    let commands: Commands
    let placement: OrderPlacement
    let queries: OrderQueries

    var routes: [RouteDefinition] {
        let base = "/api/v2/accounts/{account_id}/order_requests"
        return [
            RouteDefinition(.post, "\(base)/market_buy", .partner) { try await create(.buy, .market, $0, $1) },
            RouteDefinition(.post, "\(base)/market_sell", .partner) { try await create(.sell, .market, $0, $1) },
            RouteDefinition(.post, "\(base)/limit_buy", .partner) { try await create(.buy, .limit, $0, $1) },
            RouteDefinition(.post, "\(base)/limit_sell", .partner) { try await create(.sell, .limit, $0, $1) },
            RouteDefinition(.get, base, .partner, list),
            RouteDefinition(.get, "\(base)/{order_request_id}", .partner, get),
        ]
    }

    /// The body of the four create calls (Dinari's `order_request_create_*_params`), plus
    /// our `order_tif` extension. Amounts decode exactly from numbers or strings; their
    /// precision and sign are Core's checks (`OrderChecks`).
    struct CreateInput: Decodable {
        let stock_id: String?
        let payment_amount: Amount?
        let asset_quantity: Amount?
        let limit_price: Amount?
        let client_order_id: String?
        let order_tif: String?
        let alloy_id: String?
        let fee: Amount?
        let payment_token_address: String?
        let recipient_account_id: String?

        /// The Core input for one kind of order, refusing fields that kind does not take
        /// (a stray field would otherwise be stored and rendered as if it meant something)
        /// and Dinari options BrokerGate does not offer.
        func orderInput(side: OrderSide, type: OrderType, accountID: AccountID) throws -> OrderRequestInput {
            let route = "\(type.rawValue.lowercased())_\(side.rawValue.lowercased())"
            let takesPayment = side == .buy && type == .market
            if takesPayment, asset_quantity != nil { throw Self.notTaken("asset_quantity", route, "a market buy names payment_amount") }
            if !takesPayment, payment_amount != nil { throw Self.notTaken("payment_amount", route, "send asset_quantity") }
            if type == .market, limit_price != nil { throw Self.notTaken("limit_price", route, "use limit_buy or limit_sell for a limit") }
            try requireSupportedOptions(accountID: accountID)
            return OrderRequestInput(
                side: side, type: type, tif: try tif(), stockID: stock_id, paymentAmount: payment_amount, assetQuantity: asset_quantity,
                limitPrice: limit_price, clientOrderID: client_order_id, alloyID: alloy_id)
        }

        func tif() throws -> OrderTIF {
            guard let text = order_tif else { return .day }
            guard let tif = OrderTIF(rawValue: text) else {
                throw DomainError.invalidField("order_tif", "must be one of DAY, GTC, IOC, FOK (got '\(text.prefix(20))')")
            }
            return tif
        }

        /// Dinari options with no BrokerGate counterpart are refused rather than ignored: a
        /// partner who sets one expects it to change what happens.
        func requireSupportedOptions(accountID: AccountID) throws {
            if fee != nil {
                throw DomainError(
                    .ruleViolation, code: "fee_not_supported",
                    message: "fee: BrokerGate quotes its own fee (\(OrderPricing.feeBps) bps of notional); omit fee")
            }
            if let recipient = recipient_account_id, AccountID(parsing: recipient) != accountID {
                throw DomainError(
                    .ruleViolation, code: "recipient_account_not_supported",
                    message: "recipient_account_id: orders settle into the placing account; omit recipient_account_id")
            }
            if let token = payment_token_address, (try? TokenDirectory.standard.resolve(token).asset) != .usdPlus {
                throw DomainError(
                    .ruleViolation, code: "unsupported_payment_token",
                    message:
                        "payment_token_address: orders pay in USD+ only; omit it or send a USD+ address from GET /api/v2/accounts/{account_id}/cash"
                )
            }
        }

        static func notTaken(_ field: String, _ route: String, _ hint: String) -> DomainError {
            DomainError.invalidField(field, "is not a field of \(route); \(hint)")
        }
    }

    /// Places an order (`OrderPlacement`: committed with its hold, idempotency and audit
    /// records, then one go of the engine), answering the request as it is then. A replayed
    /// `Idempotency-Key` returns the recorded first outcome (the request as committed).
    @Sendable func create(
        _ side: OrderSide, _ type: OrderType, _ request: Request, _ context: AppRequestContext
    ) async throws -> CommandReply {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body).orderInput(side: side, type: type, accountID: accountID)
        if input.alloyID != nil { return try await createAlloy(input, accountID: accountID, body: body, request, context) }
        let render: @Sendable (OrderRecord) -> OrderRequestDTO = { OrderRequestDTO($0) }
        let command = try commands.envelope(request, context, body: body, status: .created, render: render)
        switch try await placement.place(input, accountID: accountID, for: try context.caller(), command: command) {
        case .replayed(let recorded):
            return commands.respond(recorded, context)
        case .placed(let order, let firstGoError):
            if let firstGoError { Self.logFirstGoFailed(order.id, firstGoError, context) }
            return try commands.respond(fresh: OrderRequestDTO(order), status: .created, context)
        }
    }

    /// An alloy order (`OrderCommands.createAlloy`): answers the first leg's request, whose
    /// id is the basket's, with every leg's request under `alloy_legs`.
    func createAlloy(
        _ input: OrderRequestInput, accountID: AccountID, body: [UInt8], _ request: Request, _ context: AppRequestContext
    ) async throws -> CommandReply {
        let render: @Sendable ([OrderRecord]) throws -> AlloyOrderRequestDTO = { try AlloyOrderRequestDTO($0) }
        let command = try commands.envelope(request, context, body: body, status: .created, render: render)
        switch try await placement.placeAlloy(input, accountID: accountID, for: try context.caller(), command: command) {
        case .replayed(let recorded):
            return commands.respond(recorded, context)
        case .placed(let legs, let firstGoError):
            if let firstGoError, let first = legs.first { Self.logFirstGoFailed(first.id, firstGoError, context) }
            return try commands.respond(fresh: try AlloyOrderRequestDTO(legs), status: .created, context)
        }
    }

    /// The order is durable and open, so the engine's next tick makes the go that failed;
    /// a warning, not an error.
    static func logFirstGoFailed(_ id: OrderID, _ error: any Error, _ context: AppRequestContext) {
        context.logger.warning(
            "order engine could not advance a new order; its next tick will",
            metadata: ["order_id": "\(id)", "error": "\(String(reflecting: error))"])
    }

    /// Filters: `order_id`, `order_request_id`, `client_order_id` (each names one request).
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let filter = OrderFilter(
            orderID: try query.string("order_id"), requestID: try query.string("order_request_id"),
            clientOrderID: try query.string("client_order_id"))
        let page = try query.page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.orders(accountID: accountID, filter: filter, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found) { OrderRequestDTO($0) }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let requestID = try request.id("order_request_id", context: context, as: OrderRequestID.self, what: "order request")
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await queries.order(requestID: requestID, accountID: accountID, for: principal, in: tx)
        }
        return OrderRequestDTO(found)
    }
}
