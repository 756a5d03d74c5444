import BrokerGateCrypto
import Crypto
import Foundation
import Synchronization

/// Tag for stock ids.
public enum StockTag {}
/// A stock's id. Derived from its symbol (see `StockUniverse.stockID(symbol:)`), so every
/// replica, every restart and every store agrees on it without a table to migrate.
public typealias StockID = Identifier<StockTag>

/// One listing the gateway offers: who it is (symbol, name, SEC and market identifiers),
/// whether it may be traded, where its tokens live, and the two parameters of its simulated
/// price walk. Values, not rows: the universe is compiled in, so it is identical everywhere.
public struct Stock: Sendable, Hashable {
    /// The kind of security. ETFs get tighter spreads and more volume in the simulation.
    public enum Kind: String, Sendable {
        case commonStock = "COMMON_STOCK"
        case etf = "ETF"
    }

    public let id: StockID
    /// Exchange spelling, upper case: `AAPL`, `BRK.B`.
    public let symbol: String
    public let name: String
    public let kind: Kind
    /// SEC Central Index Key, 10 digits zero-padded; nil when not confirmed.
    public let cik: String?
    /// Bloomberg composite FIGI (`BBG…`, 12 characters); nil when not confirmed.
    public let compositeFIGI: String?
    /// CUSIP (9 characters); nil when not confirmed.
    public let cusip: String?
    /// Whether fractional quantities may be ordered.
    public let isFractionable: Bool
    /// Whether orders are accepted at all.
    public let isTradable: Bool
    /// CAIP-10 token addresses (`eip155:1:0x…`), one per chain in `StockUniverse.tokenChains`.
    public let tokens: [String]
    /// Simulation: the level, in cents, the price walk hovers around.
    public let basePriceCents: Int64
    /// Simulation: the standard deviation of one trading day's move, in basis points.
    public let dailyVolatilityBps: Int64
    /// Simulation: the seed of the price walk, from SHA-256 of the symbol.
    public let seed: UInt64
}

/// The set of listings the gateway serves market data for and trades.
///
/// Ids and token addresses are derived from the symbol with SHA-256 rather than generated,
/// because a generated id would differ per replica or per restart, and a partner that stored
/// a stock id (or a token contract) must find the same stock tomorrow.
public struct StockUniverse: Sendable {
    /// The compiled-in universe (`StockUniverseData.swift`).
    public static let standard = StockUniverse(listings: seededListings)

    /// The chains tokens are issued on (CAIP-2): Ethereum, Arbitrum One and Base mainnets.
    public static let tokenChains = ["eip155:1", "eip155:42161", "eip155:8453"]

    /// Every stock, sorted by symbol (the order pagination walks).
    public let stocks: [Stock]
    private let indexByID: [StockID: Int]
    private let indexBySymbol: [String: Int]

    /// One row of the seed table; identifiers as published, parameters for the simulation.
    struct Listing: Sendable {
        let symbol: String
        let name: String
        let kind: Stock.Kind
        let cik: Int?
        let figi: String?
        let cusip: String?
        let priceCents: Int64
        let volatilityBps: Int64
        var isFractionable = true
        var isTradable = true

        init(
            _ symbol: String, _ name: String, _ kind: Stock.Kind, cik: Int?, figi: String?, cusip: String?,
            priceCents: Int64, volatilityBps: Int64
        ) {
            self.symbol = symbol
            self.name = name
            self.kind = kind
            self.cik = cik
            self.figi = figi
            self.cusip = cusip
            self.priceCents = priceCents
            self.volatilityBps = volatilityBps
        }
    }

    init(listings: [Listing]) {
        let stocks = listings.map(Self.stock(from:)).sorted { $0.symbol < $1.symbol }
        self.stocks = stocks
        indexByID = Dictionary(uniqueKeysWithValues: stocks.enumerated().map { ($0.element.id, $0.offset) })
        indexBySymbol = Dictionary(uniqueKeysWithValues: stocks.enumerated().map { ($0.element.symbol, $0.offset) })
    }

    /// The stock with `id`, or nil.
    public func stock(id: StockID) -> Stock? {
        indexByID[id].map { stocks[$0] }
    }

    /// The stock with `symbol` (any case; `BRK-B` and `BRK/B` also find `BRK.B`), or nil.
    public func stock(symbol: String) -> Stock? {
        Self.normalizedSymbol(symbol).flatMap { indexBySymbol[$0] }.map { stocks[$0] }
    }

    /// Where the stock whose symbol is exactly `symbol` (as the books spell it, not
    /// normalized) stands in `stocks`, or nil.
    public func index(ofSymbol symbol: String) -> Int? {
        indexBySymbol[symbol]
    }

    /// Longest symbol accepted in queries; real US symbols have at most 5 letters plus a class.
    public static let symbolLengthMax = 10

    /// The canonical spelling of a symbol typed by a client, or nil when it cannot be one:
    /// upper case, and the class separators other vendors use (`-`, `/`) read as `.`.
    public static func normalizedSymbol(_ text: String) -> String? {
        guard (1...symbolLengthMax).contains(text.utf8.count) else { return nil }
        let canonical = String(text.uppercased().map { $0 == "-" || $0 == "/" ? "." : $0 })
        let allowed = canonical.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".")
        }
        return allowed ? canonical : nil
    }

    // MARK: - Derived identities

    /// The id of `symbol`: the first 16 bytes of SHA-256("brokergate:stock:SYMBOL") with the
    /// RFC 9562 version 8 (custom, hash-based) and variant bits set, so it is a valid UUID.
    public static func stockID(symbol: String) -> StockID {
        StockID(trusted: derivedUUID("brokergate:stock:\(symbol)"))
    }

    /// A UUID derived from `text`: the first 16 bytes of its SHA-256 with the RFC 9562
    /// version 8 and variant bits set (stock ids and alloy ids are made this way).
    static func derivedUUID(_ text: String) -> String {
        var bytes = Array(SHA256.hash(data: Array(text.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return uuid.uuidString.lowercased()
    }

    /// The token contract of `symbol` on `chain` as CAIP-10 (`eip155:1:0x…`): the first 20
    /// bytes of SHA-256("brokergate:CHAIN:SYMBOL"), rendered EIP-55 checksummed like every
    /// other address on the wire, so a partner comparing strings sees one spelling.
    /// On the chain tokens were deployed to (`DeployedTokens`), the contract's address.
    public static func tokenAddress(chain: String, symbol: String) -> String {
        if let deployed = DeployedTokens.address(of: symbol, chain: chain) { return "\(chain):\(deployed)" }
        let key = "\(chain):\(symbol)"
        if let made = derivedTokenAddresses.withLock({ $0[key] }) { return made }
        let made = derivedTokenAddress(chain: chain, symbol: symbol)
        derivedTokenAddresses.withLock { if $0.count < derivedTokenAddressesMax { $0[key] = made } }
        return made
    }

    /// Derived addresses once made (they never change): a SHA-256 and an EIP-55 checksum
    /// (Keccak) per position were about 3 % of an authenticated portfolio read's CPU.
    private static let derivedTokenAddresses = Mutex<[String: String]>([:])
    /// Listings × token chains is a few hundred; past this bound addresses are made each time.
    private static let derivedTokenAddressesMax = 10_000

    private static func derivedTokenAddress(chain: String, symbol: String) -> String {
        let digest = SHA256.hash(data: Array("brokergate:\(chain):\(symbol)".utf8))
        let hex = digest.prefix(EthereumAddress.byteCount).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        do {
            return "\(chain):" + (try EthereumAddress(parsing: "0x" + hex)).checksummed
        } catch {
            // All-lowercase hex of exactly 20 bytes always parses.
            preconditionFailure("derived token address 0x\(hex) does not parse: \(error)")
        }
    }

    /// The walk's seed: the first 8 bytes of SHA-256("brokergate:price:SYMBOL"), big-endian.
    static func priceSeed(symbol: String) -> UInt64 {
        SHA256.hash(data: Array("brokergate:price:\(symbol)".utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func stock(from listing: Listing) -> Stock {
        precondition(normalizedSymbol(listing.symbol) == listing.symbol, "seed symbol \(listing.symbol) is not canonical")
        precondition(listing.priceCents > 0 && listing.volatilityBps > 0, "\(listing.symbol): simulation parameters must be positive")
        return Stock(
            id: stockID(symbol: listing.symbol), symbol: listing.symbol, name: listing.name, kind: listing.kind,
            cik: listing.cik.map { String($0).leftPadded(to: 10) }, compositeFIGI: listing.figi, cusip: listing.cusip,
            isFractionable: listing.isFractionable, isTradable: listing.isTradable,
            tokens: tokenChains.map { tokenAddress(chain: $0, symbol: listing.symbol) },
            basePriceCents: listing.priceCents, dailyVolatilityBps: listing.volatilityBps,
            seed: priceSeed(symbol: listing.symbol))
    }
}

extension String {
    /// Zero-padded on the left to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
