import Foundation
import Testing

@testable import BrokerGateAPI
@testable import BrokerGateCore

/// The hand-written portfolio JSON (`WireJSONWriter`) is byte for byte what `JSONEncoder`
/// writes for the same DTO, and falls back to `JSONEncoder` for any string needing escapes.
struct WireJSONWriterTests {
    static let aapl = StockUniverse.standard.stock(symbol: "AAPL")!

    static func asset(_ quantityUnits: Int64, price: Amount, chain: String = "eip155:1") -> PortfolioDTO.Asset {
        let stock = aapl
        let quantity = Amount(units: Int128(quantityUnits), scale: LedgerAsset.scale)
        return PortfolioDTO.Asset(
            PortfolioPosition(
                stock: stock, quantityUnits: quantityUnits, chainID: chain, tokenAddress: "0x00000000000000000000000000000000000000aa",
                price: price, marketValue: (try? quantity.multiplied(by: price, scale: 2, rounding: .down)) ?? price))
    }

    static func encoderBytes(_ dto: PortfolioDTO) throws -> [UInt8] { try WireJSON.encode(dto) }

    @Test func test_portfolioJSON_matchesJSONEncoder_forManyAmounts() throws {
        var generator = SystemRandomNumberGenerator()
        var assets: [PortfolioDTO.Asset] = [
            Self.asset(0, price: Amount(units: 0, scale: 2)), Self.asset(1, price: Amount(units: 1, scale: 2)),
            Self.asset(1_000_000, price: Amount(units: 100, scale: 2)),
            Self.asset(999_999_999_999, price: Amount(units: 123_456_789, scale: 2)),
            Self.asset(-1_500_000, price: Amount(units: -5, scale: 2)), Self.asset(Int64.max, price: Amount(units: 10, scale: 0)),
        ]
        for _ in 0..<500 {
            let units = Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator)
            let price = Amount(
                units: Int128(Int64.random(in: 0...100_000_000, using: &generator)), scale: Int.random(in: 0...6, using: &generator))
            assets.append(Self.asset(units, price: price))
        }
        for asset in assets {
            let dto = PortfolioDTO(assets: [asset])
            #expect(dto.handWritten() == (try Self.encoderBytes(dto)), "\(asset.amount) at \(asset.price)")
        }
        let many = PortfolioDTO(assets: Array(assets.prefix(20)))
        #expect(many.handWritten() == (try Self.encoderBytes(many)))
        #expect(PortfolioDTO(assets: []).handWritten() == (try Self.encoderBytes(PortfolioDTO(assets: []))))
    }

    @Test func test_portfolioJSON_withAStringNeedingEscapes_fallsBackToJSONEncoder() throws {
        for odd in ["A\"B", "A\\B", "A\nB", "Ä", "A/B", "\u{7F}"] {
            let dto = PortfolioDTO(assets: [Self.asset(1_000_000, price: Amount(units: 150, scale: 2), chain: odd)])
            let written = dto.handWritten()
            if odd == "A/B" {
                // Slashes are written unescaped by both (`.withoutEscapingSlashes`).
                #expect(written == (try Self.encoderBytes(dto)))
            } else {
                #expect(written == nil, "\(odd) must fall back to JSONEncoder")
            }
        }
    }
}
