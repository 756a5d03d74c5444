import BrokerGateCrypto
import Foundation
import Testing

@testable import BrokerGateCore

// The universe is reference data that partners store ids and token addresses from, so these
// tests pin what must never change (ids, addresses) and check every identifier's own
// check digit, which catches a mistyped CUSIP or FIGI (not a valid one for the wrong security).

private let universe = StockUniverse.standard

@Test func test_universe_hasAtLeast40Listings_includingTheIndexETFs() {
    #expect(universe.stocks.count >= 40)
    for symbol in ["SPY", "QQQ", "IWM", "DIA", "VTI"] {
        #expect(universe.stock(symbol: symbol)?.kind == .etf, "\(symbol) should be an ETF")
    }
    #expect(universe.stocks.filter { $0.kind == .commonStock }.count >= 40)
}

@Test func test_universe_symbolsIdsAndTokens_areUnique_andSortedBySymbol() {
    let symbols = universe.stocks.map(\.symbol)
    #expect(Set(symbols).count == symbols.count)
    #expect(symbols == symbols.sorted())
    #expect(Set(universe.stocks.map(\.id)).count == symbols.count)
    let tokens = universe.stocks.flatMap(\.tokens)
    #expect(Set(tokens).count == tokens.count)
    #expect(Set(universe.stocks.map(\.seed)).count == symbols.count)
}

@Test func test_stockIDs_areDerivedFromTheSymbol_asVersion8UUIDs_andNeverChange() throws {
    for stock in universe.stocks {
        #expect(stock.id == StockUniverse.stockID(symbol: stock.symbol))
        let uuid = try #require(UUID(uuidString: stock.id.rawValue)).uuid
        #expect(uuid.6 >> 4 == 8, "version nibble of \(stock.symbol)")
        #expect(uuid.8 >> 6 == 0b10, "variant bits of \(stock.symbol)")
        #expect(stock.id.rawValue == stock.id.rawValue.lowercased())
    }
    // Partners store these: a change here breaks every stored order and position.
    #expect(StockUniverse.stockID(symbol: "AAPL").rawValue == pinnedAAPLID)
}

@Test func test_tokens_areCAIP10_onEveryTokenChain_EIP55Checksummed_andNeverChange() throws {
    for stock in universe.stocks {
        #expect(stock.tokens.count == StockUniverse.tokenChains.count)
        for (token, chain) in zip(stock.tokens, StockUniverse.tokenChains) {
            #expect(token.hasPrefix(chain + ":0x"))
            let address = String(token.dropFirst(chain.count + 1))
            // Parsing mixed-case hex succeeds only when the casing is the EIP-55 checksum.
            #expect(try EthereumAddress(parsing: address).checksummed == address, "\(token)")
        }
    }
    #expect(StockUniverse.tokenAddress(chain: "eip155:1", symbol: "AAPL") == pinnedAAPLToken)
}

@Test func test_ciks_areTenDigits() {
    for stock in universe.stocks {
        let cik = stock.cik ?? ""
        #expect(cik.count == 10 && cik.allSatisfy(\.isASCII) && cik.allSatisfy(\.isNumber), "\(stock.symbol): \(cik)")
        #expect(cik != "0000000000")
    }
}

/// Every identifier `field` gives passes `isValid`; at least 40 stocks have one.
private func expectValidIdentifiers(_ field: (Stock) -> String?, _ isValid: (String) -> Bool) {
    let identified = universe.stocks.compactMap { stock in field(stock).map { (stock.symbol, $0) } }
    for (symbol, identifier) in identified { #expect(isValid(identifier), "\(symbol): \(identifier)") }
    #expect(identified.count >= 40)
}

@Test func test_cusips_haveValidCheckDigits() {
    expectValidIdentifiers(\.cusip, CheckDigits.isValidCUSIP)
}

@Test func test_compositeFIGIs_haveValidCheckDigits() {
    expectValidIdentifiers(\.compositeFIGI, CheckDigits.isValidFIGI)
}

@Test func test_checkDigitValidators_rejectMutatedIdentifiers() {
    #expect(CheckDigits.isValidCUSIP("037833100"))  // Apple
    #expect(!CheckDigits.isValidCUSIP("037833101"))
    #expect(!CheckDigits.isValidCUSIP("03783310"))
    #expect(CheckDigits.isValidFIGI("BBG000B9XRY4"))  // Apple
    #expect(!CheckDigits.isValidFIGI("BBG000B9XRY5"))
    #expect(!CheckDigits.isValidFIGI("BBB000B9XRY4"))  // the third character is always G
    #expect(!CheckDigits.isValidFIGI("BBG000B9XRA4"))  // vowels are never used
}

@Test func test_lookupBySymbol_acceptsOtherVendorsSpellings() {
    #expect(universe.stock(symbol: "brk-b")?.symbol == "BRK.B")
    #expect(universe.stock(symbol: "BRK/B")?.symbol == "BRK.B")
    #expect(universe.stock(symbol: "aapl")?.symbol == "AAPL")
    #expect(universe.stock(symbol: "NOPE") == nil)
    #expect(StockUniverse.normalizedSymbol("") == nil)
    #expect(StockUniverse.normalizedSymbol("AAPL;") == nil)
    #expect(StockUniverse.normalizedSymbol("ABCDEFGHIJK") == nil)
}

@Test func test_lookupByID_findsEveryStock() throws {
    for stock in universe.stocks {
        #expect(universe.stock(id: stock.id) == stock)
    }
    #expect(universe.stock(id: StockID(trusted: "00000000-0000-8000-8000-000000000000")) == nil)
}

@Test func test_simulationParameters_arePositive() {
    for stock in universe.stocks {
        #expect(stock.basePriceCents > 0 && stock.dailyVolatilityBps > 0, "\(stock.symbol)")
    }
}

private let pinnedAAPLID = "b25d48f3-9532-85c6-a5bf-5eadb3400f27"
// Pinned from an independent implementation (eth_utils.to_checksum_address).
private let pinnedAAPLToken = "eip155:1:0x04B34e0cce6a50ecF4E6ecFAa597075faEE784a0"

/// Check-digit rules of the identifiers in the seed table.
enum CheckDigits {
    /// CUSIP: 8 characters and a modulus-10 "double-add-double" check digit over the
    /// character values (digits as is, letters A=10 … Z=35, `*`=36, `@`=37, `#`=38).
    static func isValidCUSIP(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 9, let check = characters[8].wholeNumberValue else { return false }
        var sum = 0
        for (offset, character) in characters.prefix(8).enumerated() {
            guard var value = cusipValue(character) else { return false }
            if offset % 2 == 1 { value *= 2 }
            sum += value / 10 + value % 10
        }
        return (10 - sum % 10) % 10 == check
    }

    private static func cusipValue(_ character: Character) -> Int? {
        if let digit = character.wholeNumberValue, character.isASCII { return digit }
        if let ascii = character.asciiValue, (65...90).contains(ascii) { return Int(ascii) - 55 }
        return ["*": 36, "@": 37, "#": 38][character]
    }

    /// FIGI: 12 characters, upper-case consonants and digits, `G` third, and a Luhn-style check
    /// digit over the character values (A=10 … Z=35) with every second one doubled.
    static func isValidFIGI(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 12, characters[2] == "G", let check = characters[11].wholeNumberValue else { return false }
        var sum = 0
        for (offset, character) in characters.prefix(11).enumerated() {
            guard let ascii = character.asciiValue, !"AEIOU".contains(character) else { return false }
            var value: Int
            switch ascii {
            case 48...57: value = Int(ascii) - 48
            case 65...90: value = Int(ascii) - 55
            default: return false
            }
            if offset % 2 == 1 { value *= 2 }
            sum += String(value).compactMap(\.wholeNumberValue).reduce(0, +)
        }
        return (10 - sum % 10) % 10 == check
    }
}
