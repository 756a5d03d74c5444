import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/accounts/{id}/activities/brokerage` and `GET …/dividend_payments`.
struct ActivityController {
    let store: any Store
    let activity: AccountActivity

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/activities/brokerage", .partner, brokerage),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/dividend_payments", .partner, dividends),
        ]
    }

    /// Executions newest first; `page_size` 1…100 (default 100), `page_token` the id of the
    /// last activity of the previous page.
    @Sendable func brokerage(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let size = try query.integer("page_size", range: 1...AccountActivity.pageSizeMax) ?? AccountActivity.pageSizeMax
        let token = try query.string("page_token", lengthMax: 64)
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await activity.brokerage(id, pageSize: size, after: token, for: principal, in: tx)
        }
        return found.map(BrokerageActivityDTO.init)
    }

    /// Payments with `payment_date` in `start_date..<end_date` (New York dates), paginated.
    @Sendable func dividends(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let start = try CashController.date(query, "start_date")
        let end = try CashController.date(query, "end_date")
        let stockID = try query.string("stock_id", lengthMax: 64).map { text in
            guard let stock = StockID(parsing: text) else { throw DomainError.notFound("stock") }
            return stock
        }
        let page = try query.page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await activity.dividends(id, start: start, end: end, stockID: stockID, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, DividendPaymentDTO.init)
    }
}

/// One execution on the account: what was bought or sold, at what price, for how much.
struct BrokerageActivityDTO: ResponseEncodable, Sendable {
    let id: String
    let type: String
    let order_id: String
    let stock_id: String
    let side: String
    let quantity: Amount
    let price: Amount
    let amount: Amount
    let fee: Amount
    let chain_id: String
    let transaction_hash: String
    let transaction_dt: Date

    init(_ view: FulfillmentView) {
        let fill = view.fulfillment
        id = fill.id.rawValue
        type = "FILL"
        order_id = fill.orderID.rawValue
        stock_id = fill.stockID.rawValue
        side = fill.side.rawValue
        quantity = OrderDTO.ledger(fill.quantityUnits)
        price = fill.price
        amount = OrderDTO.ledger(fill.paymentUnits)
        fee = OrderDTO.ledger(fill.feeUnits)
        chain_id = view.chainID
        transaction_hash = fill.transactionHash
        transaction_dt = fill.createdAt
    }
}

/// Dinari's `DividendPayment`.
struct DividendPaymentDTO: ResponseEncodable, Sendable {
    let amount: Amount
    let currency: String
    let payment_date: String
    let stock_id: String

    init(_ payment: DividendPayment) {
        amount = payment.amount
        currency = payment.currency
        payment_date = payment.paymentDate.description
        stock_id = payment.stockID.rawValue
    }
}
