import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/issuance/…` (our extension): an eligible issuer's mints and redemptions of an
/// exact number of tokens, listed, read and cancelled like orders.
struct IssuanceController {
    let store: any Store
    let commands: Commands
    let issuance: IssuanceService
    let placement: OrderPlacement

    static let base = "/api/v2/issuance/accounts/{account_id}"

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "\(Self.base)/mint", .partner) { try await create(.mint, $0, $1) },
            RouteDefinition(.post, "\(Self.base)/redeem", .partner) { try await create(.redeem, $0, $1) },
            RouteDefinition(.get, "\(Self.base)/orders", .partner, list),
            RouteDefinition(.get, "\(Self.base)/orders/{issuance_order_id}", .partner, get),
            RouteDefinition(.post, "\(Self.base)/orders/{issuance_order_id}/cancel", .partner, cancel),
        ]
    }

    /// `{"stock_id": "…", "quantity": 25, "client_order_id": "…"}`.
    struct CreateInput: Decodable {
        let stock_id: String
        let quantity: Amount
        let client_order_id: String?
    }

    /// Accepts a mint or redeem through `OrderPlacement`, as order requests are placed: in
    /// the regular session the answer already shows it filled; a replayed `Idempotency-Key`
    /// returns the recorded first outcome (as committed).
    func create(_ direction: IssuanceDirection, _ request: Request, _ context: AppRequestContext) async throws -> CommandReply {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body)
        let command = try commands.envelope(request, context, body: body, status: .created, render: IssuanceOrderDTO.init)
        let issuanceInput = IssuanceInput(stockID: input.stock_id, quantity: input.quantity, clientOrderID: input.client_order_id)
        switch try await placement.place(direction, issuanceInput, accountID: accountID, for: try context.caller(), command: command) {
        case .replayed(let recorded):
            return commands.respond(recorded, context)
        case .placed(let view, let firstGoError):
            if let firstGoError { OrderRequestsController.logFirstGoFailed(view.order.id, firstGoError, context) }
            return try commands.respond(fresh: IssuanceOrderDTO(view), status: .created, context)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in try await issuance.list(accountID: accountID, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, IssuanceOrderDTO.init)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let (accountID, id) = try ids(request, context)
        let principal = try context.caller()
        return IssuanceOrderDTO(try await store.read { tx in try await issuance.get(id, accountID: accountID, for: principal, in: tx) })
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let (accountID, id) = try ids(request, context)
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let issuance = issuance
        return try await commands.run(request, context, body: body, status: .ok, render: IssuanceOrderDTO.init) { tx in
            try await issuance.cancel(id, accountID: accountID, for: principal, in: tx)
        }
    }

    private func ids(_ request: Request, _ context: AppRequestContext) throws -> (AccountID, OrderID) {
        (
            try request.id("account_id", context: context, as: AccountID.self, what: "account"),
            try request.id("issuance_order_id", context: context, as: OrderID.self, what: "issuance order")
        )
    }
}

/// An issuance order on the wire. Quantities and amounts are exact JSON numbers; the
/// status fields are the order's (Dinari's `BrokerageOrderStatus` / `OrderRequestStatus`).
struct IssuanceOrderDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let direction: IssuanceDirection
    let stock_id: String
    let symbol: String
    /// Tokens to mint or redeem: exactly this many move when it fills.
    let quantity: Amount
    let status: BrokerageOrderStatus
    let request_status: OrderRequestStatus
    /// The worst price it may execute at (a mint's USD+ hold is sized on it).
    let collar_price: Nullable<Amount>
    let filled_quantity: Amount
    /// USD+ paid (mint) or received before the fee (redeem), once filled.
    let payment_amount: Nullable<Amount>
    /// The fee charged once filled, the fee quoted while open.
    let fee: Amount
    let client_order_id: Nullable<String>
    let cancel_message: Nullable<String>
    let expires_dt: Nullable<Date>
    let created_dt: Date
    let updated_dt: Date

    init(_ view: IssuanceView) {
        let order = view.order
        id = view.record.id.rawValue
        account_id = view.record.accountID.rawValue
        direction = view.record.direction
        stock_id = view.record.stockID.rawValue
        symbol = view.record.symbol
        quantity = Self.ledger(view.record.quantityUnits)
        status = order.status
        request_status = order.requestStatus
        collar_price = Nullable(order.collarPrice)
        filled_quantity = Self.ledger(order.filledQuantityUnits)
        payment_amount = Nullable(order.paymentUnits > 0 ? Self.ledger(order.paymentUnits) : nil)
        fee = Self.ledger(order.status == .filled ? order.feeUnits : (order.status.isTerminal ? 0 : order.quotedFeeUnits))
        client_order_id = Nullable(order.clientOrderID)
        cancel_message = Nullable(order.cancelMessage)
        expires_dt = Nullable(order.expiresAt)
        created_dt = order.createdAt
        updated_dt = order.updatedAt
    }

    static func ledger(_ units: Int64) -> Amount {
        Amount(units: Int128(units), scale: LedgerAsset.scale).normalized()
    }
}
