import BrokerGateCore
import Hummingbird

/// `GET /api/v2/accounts/{account_id}/portfolio`: the account's stock token positions.
struct PortfolioController {
    let store: any Store
    let portfolio: PortfolioService

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/accounts/{account_id}/portfolio", .partner, get)]
    }

    /// Dinari pages the portfolio by number: `page` (from 1) and `page_size` (1-200).
    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let page = try query.integer("page", range: 1...1_000_000) ?? 1
        let pageSize = try query.integer("page_size", range: 1...PortfolioService.pageSizeMax) ?? PortfolioService.pageSizeMax
        let principal = try context.caller()
        let positions = try await portfolio.positions(accountID: accountID, page: page, pageSize: pageSize, for: principal, store: store)
        return PortfolioDTO(assets: positions.map(PortfolioDTO.Asset.init))
    }
}
