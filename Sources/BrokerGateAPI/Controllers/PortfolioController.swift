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

extension PortfolioDTO {
    /// Written by hand (`WireJSONWriter`), the same bytes `JSONEncoder` writes: the portfolio
    /// is the hot authenticated read, and the encoder was most of its rendering cost.
    func response(from request: Request, context: some RequestContext) throws -> Response {
        guard let bytes = handWritten() else { return try Reply.json(self) }
        return Reply.bytes(bytes, status: .ok)
    }

    /// Sorted keys, as `.sortedKeys` writes them; nil when a string would need escaping
    /// (`WireJSONWriter`), so `JSONEncoder` writes those.
    func handWritten() -> [UInt8]? {
        var json = WireJSONWriter(capacity: 16 + assets.count * 320)
        json.raw("{\"assets\":[")
        for (index, asset) in assets.enumerated() {
            json.raw(index == 0 ? "{" : ",{")
            json.key("amount", first: true)
            json.number(asset.amount)
            json.key("chain_id")
            json.string(asset.chain_id)
            json.key("market_value")
            json.number(asset.market_value)
            json.key("price")
            json.number(asset.price)
            json.key("stock_id")
            json.string(asset.stock_id)
            json.key("symbol")
            json.string(asset.symbol)
            json.key("token_address")
            json.string(asset.token_address)
            json.raw("}")
        }
        json.raw("]}")
        return json.isExact ? json.bytes : nil
    }
}
