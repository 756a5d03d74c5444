import Foundation

/// Tag for alloy ids.
public enum AlloyTag {}
/// An alloy's id, derived from its symbol like a stock's (`StockUniverse.stockID`), so every
/// replica and every restart agrees on it without a table.
public typealias AlloyID = Identifier<AlloyTag>

/// One constituent of an alloy: a stock and how many of its shares one unit of the alloy holds.
public struct AlloyConstituent: Sendable, Hashable {
    public let stock: Stock
    /// Shares per alloy unit: positive, at most 4 decimals (the wire's share precision).
    public let quantity: Amount
}

/// A named basket of stocks traded as one (Dinari's "Alloy").
///
/// Weights are fixed share quantities: one unit of the alloy holds `quantity` shares of each
/// constituent, so its price is exactly `Σ quantity × price` at one instant, with no
/// rounding (4 + 2 decimals: an exact 6-decimal amount). Value weights drift with prices, as
/// they do in any unrebalanced basket; an operator re-weights by configuring new quantities.
public struct Alloy: Sendable, Hashable {
    public let id: AlloyID
    /// Canonical spelling, like a stock symbol (`ALLOY.TECH`); never a listed stock's symbol.
    public let symbol: String
    public let name: String
    /// Whether orders are accepted; false also when any constituent is not tradable.
    public let isTradable: Bool
    /// Sorted by symbol: the order legs are split, placed and shown in.
    public let constituents: [AlloyConstituent]

    /// The id of the alloy with `symbol`: SHA-256("brokergate:alloy:SYMBOL") as a UUID.
    public static func alloyID(symbol: String) -> AlloyID {
        AlloyID(trusted: StockUniverse.derivedUUID("brokergate:alloy:\(symbol)"))
    }
}

/// What an operator writes to define an alloy (and what the built-ins are made of): checked
/// against the stock universe by `AlloyCatalog.init(definitions:universe:)`.
public struct AlloyDefinition: Sendable, Hashable, Decodable {
    public struct Constituent: Sendable, Hashable, Decodable {
        public let symbol: String
        public let quantity: Amount

        public init(symbol: String, quantity: Amount) {
            self.symbol = symbol
            self.quantity = quantity
        }
    }

    public let symbol: String
    public let name: String
    public let isTradable: Bool
    public let constituents: [Constituent]

    enum CodingKeys: String, CodingKey {
        case symbol, name, constituents
        case isTradable = "is_tradable"
    }

    public init(symbol: String, name: String, isTradable: Bool = true, constituents: [Constituent]) {
        self.symbol = symbol
        self.name = name
        self.isTradable = isTradable
        self.constituents = constituents
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try container.decode(String.self, forKey: .symbol)
        name = try container.decode(String.self, forKey: .name)
        isTradable = try container.decodeIfPresent(Bool.self, forKey: .isTradable) ?? true
        constituents = try container.decode([Constituent].self, forKey: .constituents)
    }

    /// An equal-weight basket: each constituent worth `unitValue / n` at its base price
    /// (the level the simulation hovers around), its share quantity rounded half-even to
    /// 4 decimals. Rounding here only defines the basket; no money moves on it.
    static func equalWeight(
        _ symbol: String, _ name: String, of symbols: [String], unitValue: Amount, universe: StockUniverse
    ) -> AlloyDefinition {
        let constituents = symbols.map { stockSymbol in
            guard let stock = universe.stock(symbol: stockSymbol) else {
                preconditionFailure("built-in alloy names unknown \(stockSymbol)")
            }
            let slice = Amount(units: Int128(symbols.count) * Int128(stock.basePriceCents), scale: 2)
            do {
                return Constituent(symbol: stockSymbol, quantity: try unitValue.divided(by: slice, scale: 4, rounding: .halfEven))
            } catch {
                preconditionFailure("built-in alloy \(symbol): \(error)")
            }
        }
        return AlloyDefinition(symbol: symbol, name: name, constituents: constituents)
    }
}

/// Every alloy the gateway offers: the built-ins, or the operator's own set
/// (`brokergate serve --alloys FILE`). Values, like the stock universe: identical on every
/// replica given the same configuration.
public struct AlloyCatalog: Sendable {
    /// Sorted by symbol (the order pagination walks).
    public let alloys: [Alloy]
    private let indexByID: [AlloyID: Int]

    /// Limits on a definition, so a configuration file cannot make a basket nobody can trade.
    public static let constituentsMin = 2
    public static let constituentsMax = 20
    public static let alloysMax = 100
    public static let nameLengthMax = 100
    public static let quantityMax = Amount(units: 1_000_000, scale: 0)

    /// Equal-weight sector baskets of the standard universe, $1,000 a unit at base prices.
    public static let builtIn = AlloyCatalog(builtInFor: .standard)

    /// The built-in definitions over `universe`.
    public static func builtInDefinitions(_ universe: StockUniverse) -> [AlloyDefinition] {
        let unit = Amount(units: 100_000, scale: 2)
        return [
            .equalWeight(
                "ALLOY.TECH", "Equal-weight US mega-cap technology", of: ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA"],
                unitValue: unit, universe: universe),
            .equalWeight(
                "ALLOY.SEMI", "Equal-weight US semiconductors", of: ["AVGO", "NVDA", "QCOM", "TXN"], unitValue: unit, universe: universe),
            .equalWeight(
                "ALLOY.FIN", "Equal-weight US financials and payments", of: ["AXP", "BRK.B", "JPM", "MA", "PYPL", "V"],
                unitValue: unit, universe: universe),
        ]
    }

    private init(builtInFor universe: StockUniverse) {
        do {
            try self.init(definitions: Self.builtInDefinitions(universe), universe: universe)
        } catch {
            preconditionFailure("built-in alloys are invalid: \(error)")
        }
    }

    /// A catalog of `definitions`, each checked against `universe`.
    /// - Throws: `AlloyDefinitionError` naming the alloy, the field and the fix.
    public init(definitions: [AlloyDefinition], universe: StockUniverse) throws(AlloyDefinitionError) {
        guard definitions.count <= Self.alloysMax else {
            throw AlloyDefinitionError("at most \(Self.alloysMax) alloys (got \(definitions.count))")
        }
        var alloys: [Alloy] = []
        for definition in definitions {
            let alloy = try Self.alloy(definition, universe: universe)
            guard !alloys.contains(where: { $0.symbol == alloy.symbol }) else {
                throw AlloyDefinitionError("alloy \(alloy.symbol) is defined twice; give each alloy its own symbol")
            }
            alloys.append(alloy)
        }
        self.alloys = alloys.sorted { $0.symbol < $1.symbol }
        indexByID = Dictionary(uniqueKeysWithValues: self.alloys.enumerated().map { ($0.element.id, $0.offset) })
    }

    /// The alloy with `id`, or nil.
    public func alloy(id: AlloyID) -> Alloy? {
        indexByID[id].map { alloys[$0] }
    }

    private static func alloy(_ definition: AlloyDefinition, universe: StockUniverse) throws(AlloyDefinitionError) -> Alloy {
        let label = "alloy \(definition.symbol.prefix(20))"
        guard let symbol = StockUniverse.normalizedSymbol(definition.symbol), symbol == definition.symbol else {
            throw AlloyDefinitionError(
                "\(label): symbol must be 1-\(StockUniverse.symbolLengthMax) upper-case letters, digits or '.', e.g. ALLOY.TECH")
        }
        guard universe.stock(symbol: symbol) == nil else {
            throw AlloyDefinitionError("\(label): symbol \(symbol) is a listed stock's; choose another, e.g. ALLOY.\(symbol.prefix(4))")
        }
        let name = definition.name.trimmingCharacters(in: .whitespaces)
        guard (1...nameLengthMax).contains(name.count) else {
            throw AlloyDefinitionError("\(label): name must be 1-\(nameLengthMax) characters")
        }
        guard (constituentsMin...constituentsMax).contains(definition.constituents.count) else {
            throw AlloyDefinitionError(
                "\(label): needs \(constituentsMin)-\(constituentsMax) constituents (got \(definition.constituents.count))")
        }
        var constituents: [AlloyConstituent] = []
        for entry in definition.constituents {
            guard let stock = universe.stock(symbol: entry.symbol) else {
                throw AlloyDefinitionError(
                    "\(label): constituent \(entry.symbol.prefix(20)) is not a listed stock; see /api/v2/market_data/stocks/")
            }
            guard !constituents.contains(where: { $0.stock.id == stock.id }) else {
                throw AlloyDefinitionError("\(label): constituent \(stock.symbol) is listed twice; list each stock once")
            }
            guard let quantity = try? entry.quantity.rescaled(to: 4, rounding: .exact), quantity.isPositive, quantity <= quantityMax else {
                throw AlloyDefinitionError(
                    "\(label): quantity of \(stock.symbol) must be a number of shares above 0, at most \(quantityMax), with at most 4 decimals"
                )
            }
            constituents.append(AlloyConstituent(stock: stock, quantity: quantity))
        }
        return Alloy(
            id: Alloy.alloyID(symbol: symbol), symbol: symbol, name: name,
            isTradable: definition.isTradable && constituents.allSatisfy(\.stock.isTradable),
            constituents: constituents.sorted { $0.stock.symbol < $1.stock.symbol })
    }
}

/// A definition the catalog refuses; `message` is one line naming the alloy and the fix.
public struct AlloyDefinitionError: Error, Sendable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension AlloyCatalog {
    /// The operator's alloy file (`brokergate serve --alloys FILE`):
    /// `{"include_built_ins": true, "alloys": [{"symbol": "ALLOY.MEGA", "name": "…",
    /// "is_tradable": true, "constituents": [{"symbol": "AAPL", "quantity": 0.5}, …]}]}`.
    /// `include_built_ins` (default true) keeps the built-ins beside the file's alloys.
    /// Quantities are shares per alloy unit, exact (≤ 4 decimals).
    /// - Throws: `AlloyDefinitionError`, one line naming what is wrong and the fix.
    public init(configuration bytes: [UInt8], universe: StockUniverse) throws(AlloyDefinitionError) {
        struct File: Decodable {
            let include_built_ins: Bool?
            let alloys: [AlloyDefinition]
        }
        let file: File
        do {
            try JSONNumberGuard.check(bytes)
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw AlloyDefinitionError("is not a valid alloy file (\(Self.reason(error))); see README, Alloys")
        }
        let builtIns = file.include_built_ins ?? true ? Self.builtInDefinitions(universe) : []
        try self.init(definitions: builtIns + file.alloys, universe: universe)
    }

    /// A decoding error in one phrase, naming the JSON path where there is one.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad value at \(path(context.codingPath))"
        default:
            return "\(error)".prefix(120).replacingOccurrences(of: "\n", with: " ")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}
