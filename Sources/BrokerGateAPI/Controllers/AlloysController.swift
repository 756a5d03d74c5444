import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/market_data/alloys/…`: the baskets the gateway offers and their prices, computed
/// exactly from the constituents (`AlloyPricing`). Public, like all market data.
struct AlloysController {
    let service: MarketDataService

    var routes: [RouteDefinition] {
        let alloy = "/api/v2/market_data/alloys/{alloy_id}"
        return [
            RouteDefinition(.get, "/api/v2/market_data/alloys/", .public, list),
            RouteDefinition(.get, "\(alloy)/current_price", .public, currentPrice),
            RouteDefinition(.get, "\(alloy)/historical_prices/", .public, historicalPrices),
        ]
    }

    /// `symbols` may repeat or hold a comma list, as for stocks.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let symbols = request.uri.queryParameters.getAll("symbols")
        let page = try service.alloys(symbols: symbols, page: try QueryParameters(request: request).page())
        return PaginatedDTO(page, AlloyDTO.init)
    }

    @Sendable func currentPrice(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let (alloy, price) = try service.currentPrice(alloyID: try alloyID(context))
        return AlloyPriceDTO(alloy, price)
    }

    @Sendable func historicalPrices(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let timespan = try QueryParameters(request: request).string("timespan", lengthMax: 20)
        return try service.historicalPrices(alloyID: try alloyID(context), timespan: timespan).map(HistoricalPriceDTO.init)
    }

    private func alloyID(_ context: AppRequestContext) throws -> String {
        guard let raw = context.parameters.get("alloy_id") else { throw DomainError.notFound("alloy") }
        return raw
    }
}

/// `AlloyListResponse.Data`, plus our extension `constituents`: what one unit holds, so a
/// partner can check every price we quote.
struct AlloyDTO: ResponseEncodable, Sendable {
    struct Constituent: ResponseEncodable, Sendable {
        let stock_id: String
        let symbol: String
        /// Shares per alloy unit.
        let quantity: Amount
    }

    let id: String
    let is_tradable: Bool
    let name: String
    let symbol: String
    let constituents: [Constituent]

    init(_ alloy: Alloy) {
        id = alloy.id.rawValue
        is_tradable = alloy.isTradable
        name = alloy.name
        symbol = alloy.symbol
        constituents = alloy.constituents.map {
            Constituent(stock_id: $0.stock.id.rawValue, symbol: $0.stock.symbol, quantity: $0.quantity)
        }
    }
}

/// `AlloyRetrieveCurrentPriceResponse`: `price` is exactly `Σ quantity × price` (6 decimals).
struct AlloyPriceDTO: ResponseEncodable, Sendable {
    let id: String
    let price: Amount
    let timestamp: Date

    init(_ alloy: Alloy, _ price: PricePoint) {
        id = alloy.id.rawValue
        self.price = price.price
        timestamp = price.asOf
    }
}
