import Foundation
import Testing

@testable import BrokerGateCore

/// Alloys: the catalog's rules, exact basket prices, and how orders split into legs.
struct AlloyTests {
    static let universe = StockUniverse.standard
    static let model = PriceModel.standard
    /// Monday 2026-11-30 10:00 ET: regular session.
    static let mondayMorning = Date(timeIntervalSince1970: 1_796_050_800)

    static func definition(_ parts: [(String, String)], symbol: String = "ALLOY.TEST") throws -> AlloyDefinition {
        AlloyDefinition(
            symbol: symbol, name: "Test basket",
            constituents: try parts.map { .init(symbol: $0.0, quantity: try Amount(parsingAtNaturalScale: $0.1)) })
    }

    static func alloy(_ parts: [(String, String)]) throws -> Alloy {
        try #require(try AlloyCatalog(definitions: [definition(parts)], universe: universe).alloys.first)
    }

    // MARK: - Catalog

    @Test func test_builtIns_areEqualWeightSectorBaskets_withStableIDs() throws {
        let catalog = AlloyCatalog.builtIn
        #expect(catalog.alloys.map(\.symbol) == ["ALLOY.FIN", "ALLOY.SEMI", "ALLOY.TECH"])
        let semi = try #require(catalog.alloys.first { $0.symbol == "ALLOY.SEMI" })
        #expect(semi.id == Alloy.alloyID(symbol: "ALLOY.SEMI"))
        #expect(catalog.alloy(id: semi.id) == semi)
        // $1,000 a unit at base prices, $250 per constituent: NVDA's base is $130.
        let nvda = try #require(semi.constituents.first { $0.stock.symbol == "NVDA" })
        #expect(nvda.quantity == Amount(units: 19_231, scale: 4))
        #expect(semi.constituents.map(\.stock.symbol) == ["AVGO", "NVDA", "QCOM", "TXN"])
    }

    @Test(arguments: [
        ("AAPL", [("MSFT", "1"), ("NVDA", "1")], "listed stock"),
        ("ALLOY.X", [("MSFT", "1")], "2-20 constituents"),
        ("ALLOY.X", [("MSFT", "1"), ("ZZZZ", "1")], "not a listed stock"),
        ("ALLOY.X", [("MSFT", "1"), ("MSFT", "2")], "listed twice"),
        ("ALLOY.X", [("MSFT", "0.00001"), ("NVDA", "1")], "at most 4 decimals"),
        ("ALLOY.X", [("MSFT", "0"), ("NVDA", "1")], "above 0"),
        ("alloy x", [("MSFT", "1"), ("NVDA", "1")], "symbol must be"),
    ])
    func test_anInvalidDefinition_isRefused_namingTheFix(symbol: String, parts: [(String, String)], fragment: String) throws {
        do {
            _ = try AlloyCatalog(definitions: [try Self.definition(parts, symbol: symbol)], universe: Self.universe)
            Issue.record("\(symbol) should be refused")
        } catch let error as AlloyDefinitionError {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func test_twoAlloysWithOneSymbol_areRefused() throws {
        let one = try Self.definition([("MSFT", "1"), ("NVDA", "1")])
        #expect(throws: AlloyDefinitionError.self) { try AlloyCatalog(definitions: [one, one], universe: Self.universe) }
    }

    @Test func test_operatorFile_addsAlloysBesideTheBuiltIns_orReplacesThem() throws {
        let json =
            #"{"alloys": [{"symbol": "ALLOY.DUO", "name": "Duo", "constituents": [{"symbol": "AAPL", "quantity": 0.5}, {"symbol": "MSFT", "quantity": "1.25"}]}]}"#
        let both = try AlloyCatalog(configuration: Array(json.utf8), universe: Self.universe)
        #expect(both.alloys.map(\.symbol) == ["ALLOY.DUO", "ALLOY.FIN", "ALLOY.SEMI", "ALLOY.TECH"])
        #expect(both.alloys[0].constituents.map(\.quantity) == [Amount(units: 5_000, scale: 4), Amount(units: 12_500, scale: 4)])
        let only = #"{"include_built_ins": false, "#.appending(json.dropFirst())
        #expect(try AlloyCatalog(configuration: Array(only.utf8), universe: Self.universe).alloys.map(\.symbol) == ["ALLOY.DUO"])
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        (#"{"alloys": [{"symbol": "ALLOY.X", "constituents": []}]}"#, "missing alloys[0].name"),
        (
            #"{"alloys": [{"symbol": "ALLOY.TECH", "name": "again", "constituents": [{"symbol": "AAPL", "quantity": 1}, {"symbol": "MSFT", "quantity": 1}]}]}"#,
            "defined twice"
        ),
    ])
    func test_aBadOperatorFile_isOneLineNamingTheProblem(json: String, fragment: String) {
        do {
            _ = try AlloyCatalog(configuration: Array(json.utf8), universe: Self.universe)
            Issue.record("\(json) should be refused")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    // MARK: - Prices

    @Test func test_price_isExactlyTheSumOfQuantityTimesPrice_atTheSameInstant() throws {
        let alloy = try Self.alloy([("AAPL", "0.5"), ("MSFT", "1.25")])
        let point = try Self.model.price(of: alloy, at: Self.mondayMorning)
        let aapl = try Self.model.price(symbol: "AAPL", at: Self.mondayMorning)
        let msft = try Self.model.price(symbol: "MSFT", at: Self.mondayMorning)
        let expected = try aapl.multiplied(by: Amount(units: 5, scale: 1), scale: 6, rounding: .exact)
            .adding(try msft.multiplied(by: Amount(units: 125, scale: 2), scale: 6, rounding: .exact))
        #expect(point.price == expected)
        #expect(point.price.scale == 6)
        #expect(point.asOf == Self.mondayMorning)
    }

    @Test func test_dayBars_areBuiltFromTheSummedPoints_andTheLastClosesAtThePriceNow() throws {
        let alloy = try Self.alloy([("AAPL", "1"), ("TSLA", "2")])
        let bars = try Self.model.bars(of: alloy, timespan: .day, endingAt: Self.mondayMorning)
        let last = try #require(bars.last)
        #expect(last.close == (try Self.model.price(of: alloy, at: Self.mondayMorning)).price)
        for bar in bars { #expect(bar.low <= bar.open && bar.open <= bar.high && bar.low <= bar.close && bar.close <= bar.high) }
        // A bar's open is the basket value at its start, exactly.
        let first = try #require(bars.first)
        #expect(first.open == (try Self.model.price(of: alloy, at: first.start)).price)
        let week = try Self.model.bars(of: alloy, timespan: .week, endingAt: Self.mondayMorning)
        #expect(week.last?.close == last.close)
        #expect(week[1].start.timeIntervalSince(week[0].start) == 3_600)
        #expect(throws: DomainError.self) { try Self.model.bars(of: alloy, timespan: .month, endingAt: Self.mondayMorning) }
    }

    // MARK: - Legs

    @Test func test_buyLegs_addUpToThePayment_byLargestRemainder() throws {
        let alloy = try Self.alloy([("AAPL", "1"), ("MSFT", "1"), ("NVDA", "1")])
        // Values 100, 100, 100: 10.00 / 3 = 3.333…, so one leg (the first) gets the leftover cent.
        let prices = [Amount(units: 10_000, scale: 2), Amount(units: 10_000, scale: 2), Amount(units: 10_000, scale: 2)]
        let legs = try AlloyLegs.buy(alloy, payment: Amount(units: 1_000, scale: 2), prices: prices)
        #expect(
            legs.map { $0.paymentAmount! } == [Amount(units: 334, scale: 2), Amount(units: 333, scale: 2), Amount(units: 333, scale: 2)])
        #expect(legs.map(\.stock.symbol) == ["AAPL", "MSFT", "NVDA"])
    }

    @Test func test_buyLegs_followValueWeights_theLargestFractionGetsTheCent() throws {
        let alloy = try Self.alloy([("AAPL", "2"), ("MSFT", "1")])
        // Values 2 × 100.00 = 200 and 1 × 100.01 = 100.01: 100.00 × 200/300.01 = 66.664…, × 100.01/300.01 = 33.335…
        let prices = [Amount(units: 10_000, scale: 2), Amount(units: 10_001, scale: 2)]
        let legs = try AlloyLegs.buy(alloy, payment: Amount(units: 10_000, scale: 2), prices: prices)
        #expect(legs.map { $0.paymentAmount! } == [Amount(units: 6_666, scale: 2), Amount(units: 3_334, scale: 2)])
    }

    @Test func test_buyLegs_underTheMinimum_areRefused_namingAPaymentThatWorks() throws {
        let alloy = try Self.alloy([("AAPL", "1"), ("MSFT", "1")])
        let prices = [Amount(units: 30_000, scale: 2), Amount(units: 10_000, scale: 2)]
        do {
            _ = try AlloyLegs.buy(alloy, payment: Amount(units: 300, scale: 2), prices: prices)
            Issue.record("a 0.75 USD leg should be refused")
        } catch let error as DomainError {
            #expect(error.code == "alloy_leg_below_minimum")
            #expect(error.message.contains("MSFT") && error.message.contains("at least 4.00"), "\(error.message)")
        }
        let legs = try AlloyLegs.buy(alloy, payment: Amount(units: 400, scale: 2), prices: prices)
        #expect(legs.map { $0.paymentAmount! } == [Amount(units: 300, scale: 2), Amount(units: 100, scale: 2)])
    }

    @Test func test_sellLegs_areUnitsTimesQuantity_roundedDown_neverMoreThanTheBasket() throws {
        let alloy = try Self.alloy([("AAPL", "0.3333"), ("MSFT", "1.5")])
        let legs = try AlloyLegs.sell(alloy, units: Amount(units: 12_345, scale: 4))
        // 1.2345 × 0.3333 = 0.41145885 → 0.411458; 1.2345 × 1.5 = 1.85175 exactly.
        #expect(legs.map { $0.assetQuantity! } == [Amount(units: 411_458, scale: 6), Amount(units: 1_851_750, scale: 6)])
        #expect(legs[0].assetQuantity!.scale == 6)
        #expect(throws: DomainError.self) {
            try AlloyLegs.sell(try Self.alloy([("AAPL", "0.0001"), ("MSFT", "1")]), units: Amount(units: 1, scale: 4))
        }
    }
}
