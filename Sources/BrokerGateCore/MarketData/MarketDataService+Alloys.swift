import Foundation

/// Alloys as market data: the list, the price now and the chart, each validated here like
/// the stock questions, so the routes only read and render.
extension MarketDataService {
    /// A page of alloys in symbol order, optionally only those whose symbol is in `symbols`
    /// (same filter rules as stocks; unknown symbols simply match nothing).
    public func alloys(symbols: [String], page: PageRequest) throws -> Page<Alloy> {
        let wanted = try symbolFilter(symbols)
        let matching = wanted.map { set in alloys.alloys.filter { set.contains($0.symbol) } } ?? alloys.alloys
        return Self.page(matching, page, key: \.symbol)
    }

    /// The alloy with id `text`. - Throws: `notFound("alloy")`, malformed ids included.
    public func alloy(id text: String) throws -> Alloy {
        guard let id = AlloyID(parsing: text), let alloy = alloys.alloy(id: id) else { throw DomainError.notFound("alloy") }
        return alloy
    }

    /// The alloy's value now, exactly `Σ quantity × price` over its constituents.
    public func currentPrice(alloyID: String) throws -> (Alloy, PricePoint) {
        let alloy = try alloy(id: alloyID)
        return (alloy, try atNow { try model.price(of: alloy, at: $0) })
    }

    /// The alloy's chart for `timespan` (`DAY` or `WEEK`, as Dinari offers for alloys) ending now.
    /// - Throws: `invalidField("timespan")` when absent or not one of those.
    public func historicalPrices(alloyID: String, timespan text: String?) throws -> [PriceBar] {
        let alloy = try alloy(id: alloyID)
        guard let text, !text.isEmpty else { throw DomainError.invalidField("timespan", "is required: one of DAY, WEEK") }
        guard let timespan = BarTimespan(rawValue: text), timespan == .day || timespan == .week else {
            throw DomainError.invalidField("timespan", "alloys chart DAY or WEEK only (got '\(text.prefix(20))')")
        }
        return try atNow { try model.bars(of: alloy, timespan: timespan, endingAt: $0) }
    }
}
