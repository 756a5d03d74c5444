import BrokerGateCore
import Foundation
import Hummingbird

/// The accumulating wrappers (`Wrapper`): `POST /api/v2/accounts/{id}/wrap` and `…/unwrap`
/// between a stock token and its wrapper, `GET …/wrapped_positions`, and each stock's
/// wrapper (`GET /api/v2/market_data/stocks/{id}/wrapper`, public like the reserves).
/// BrokerGate extensions: Dinari's API has no wrappers.
struct WrappersController {
    let store: any Store
    let commands: Commands
    let wrappers: WrapperService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/wrap", .partner, wrap),
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/unwrap", .partner, unwrap),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/wrapped_positions", .partner, positions),
            RouteDefinition(.get, "/api/v2/market_data/stocks/{stock_id}/wrapper", .public, wrapper),
        ]
    }

    struct WrapInput: Decodable {
        let stock_id: String
        /// Stock tokens to wrap (at most 6 decimals).
        let quantity: Amount
    }

    struct UnwrapInput: Decodable {
        let stock_id: String
        /// Wrapped tokens to unwrap (at most 6 decimals).
        let wrapped_quantity: Amount
    }

    @Sendable func wrap(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(WrapInput.self, from: body)
        let units = try CashAmount.units(input.quantity, field: "quantity")
        let (principal, wrappers) = (try context.caller(), wrappers)
        return try await commands.run(request, context, body: body, status: .created, render: WrapDTO.init) { tx in
            try await wrappers.wrap(id, stockID: input.stock_id, sharesUnits: units, for: principal, in: tx)
        }
    }

    @Sendable func unwrap(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(UnwrapInput.self, from: body)
        let units = try CashAmount.units(input.wrapped_quantity, field: "wrapped_quantity")
        let (principal, wrappers) = (try context.caller(), wrappers)
        return try await commands.run(request, context, body: body, status: .created, render: WrapDTO.init) { tx in
            try await wrappers.unwrap(id, stockID: input.stock_id, wrappedUnits: units, for: principal, in: tx)
        }
    }

    @Sendable func positions(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let principal = try context.caller()
        let found = try await store.read { tx in try await wrappers.positions(id, for: principal, in: tx) }
        return found.map(WrappedPositionDTO.init)
    }

    @Sendable func wrapper(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        guard let stockID = context.parameters.get("stock_id") else { throw DomainError.notFound("stock") }
        let (stock, state) = try await store.read { tx in try await wrappers.state(stockID: stockID, in: tx) }
        return WrapperDTO(stock: stock, state: state)
    }
}

/// One wrap or unwrap.
struct WrapDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    let id: String
    let account_id: String
    let direction: String
    let stock_id: String
    let symbol: String
    let wrapped_symbol: String
    let quantity: Amount
    let wrapped_quantity: Amount
    let cash_amount: Amount
    let shares_per_token: Amount
    let created_dt: Date

    init(_ record: WrapRecord) {
        id = record.id.rawValue
        account_id = record.accountID.rawValue
        direction = record.direction.rawValue
        stock_id = record.stockID.rawValue
        symbol = record.symbol
        wrapped_symbol = Wrapper.symbol(of: record.symbol)
        quantity = CashAmount.amount(record.sharesUnits)
        wrapped_quantity = CashAmount.amount(record.wrappedUnits)
        cash_amount = CashAmount.amount(record.cashUnits)
        shares_per_token = record.sharesPerToken
        created_dt = record.createdAt
    }
}

/// A stock's wrapper: supply, vault and the exchange rate.
struct WrapperDTO: ResponseEncodable, Sendable {
    let stock_id: String
    let symbol: String
    let wrapped_symbol: String
    let wrapped_supply: Amount
    let vault_shares: Amount
    let vault_cash_amount: Amount
    let shares_per_token: Amount

    init(stock: Stock, state: WrapperState) {
        stock_id = stock.id.rawValue
        symbol = stock.symbol
        wrapped_symbol = Wrapper.symbol(of: stock.symbol)
        wrapped_supply = CashAmount.amount(state.supplyUnits)
        vault_shares = CashAmount.amount(state.vaultSharesUnits)
        vault_cash_amount = CashAmount.amount(state.vaultCashUnits)
        shares_per_token = state.sharesPerToken()
    }
}

/// What an account holds of one wrapper and what it is worth in shares now.
struct WrappedPositionDTO: ResponseEncodable, Sendable {
    let stock_id: String
    let symbol: String
    let wrapped_symbol: String
    let wrapped_quantity: Amount
    let shares: Amount
    let shares_per_token: Amount

    init(_ position: WrappedPosition) {
        stock_id = position.stock.id.rawValue
        symbol = position.stock.symbol
        wrapped_symbol = Wrapper.symbol(of: position.stock.symbol)
        wrapped_quantity = CashAmount.amount(position.wrappedUnits)
        shares = CashAmount.amount(position.sharesUnits)
        shares_per_token = position.state.sharesPerToken()
    }
}
