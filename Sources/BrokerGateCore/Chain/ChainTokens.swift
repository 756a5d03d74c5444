import Foundation

/// Who may hold and move a token on chain; the token contract enforces it
/// (`contracts/StockToken.vy`, `transfer_policy`).
public enum TokenPolicy: UInt8, Sendable, Codable, CaseIterable {
    /// Only allowlisted (KYC-passed) wallets may send or receive: the Dinari / Project Open model.
    case restricted = 0
    /// A free ERC-20 any wallet may hold and trade: the Backed / xStocks model.
    case open = 1
    /// Not transferable by holders at all; only the gateway mints, burns and moves it.
    case locked = 2

    public var name: String {
        switch self {
        case .restricted: "RESTRICTED"
        case .open: "OPEN"
        case .locked: "LOCKED"
        }
    }
}

/// A token contract the gateway deploys and mints: USD+ or one stock's token.
public struct ChainToken: Sendable, Hashable, Codable {
    /// The ledger asset's name: "USD+" or the stock symbol.
    public let key: String
    public let name: String
    public let symbol: String
    public let decimals: UInt8
    public let policy: TokenPolicy

    /// The ledger asset counted in this token.
    public var asset: LedgerAsset { Self.asset(key: key) }

    static func asset(key: String) -> LedgerAsset { key == LedgerAsset.usdPlus.rawValue ? .usdPlus : .stock(key) }

    public init(key: String, name: String, symbol: String, decimals: UInt8, policy: TokenPolicy) {
        self.key = key
        self.name = name
        self.symbol = symbol
        self.decimals = decimals
        self.policy = policy
    }
}

/// The on-chain side of the ledger's assets.
///
/// Decimals follow Dinari: stock tokens carry 18 (like dShares), USD+ 6 (like USDC). The
/// ledger counts every asset in units of 10⁻⁶ (`LedgerAsset.scale`), so a ledger amount
/// becomes token base units by an exact multiplication (10¹² for stocks, 1 for USD+), and
/// every on-chain amount the gateway writes is a whole number of ledger units. USDC, the
/// reserve asset, is not minted by the gateway: deposits arrive in it.
public enum ChainTokens {
    public static let stockDecimals: UInt8 = 18
    public static let usdPlusDecimals: UInt8 = 6

    public static let usdPlus = ChainToken(
        key: LedgerAsset.usdPlus.rawValue, name: "BrokerGate USD+", symbol: "USD+", decimals: usdPlusDecimals, policy: .open)

    /// Policy per stock: funds (ETFs) trade freely like xStocks; symbols with a transfer-agent
    /// restriction (`TransferRestrictions`) are locked; every other stock is restricted to
    /// KYC-passed wallets.
    public static func policy(of stock: Stock) -> TokenPolicy {
        if TransferRestrictions.nonTransferableSymbols.contains(stock.symbol) { return .locked }
        return stock.kind == .etf ? .open : .restricted
    }

    public static func token(of stock: Stock) -> ChainToken {
        ChainToken(
            key: stock.symbol, name: "\(stock.name) (BrokerGate)", symbol: "\(stock.symbol).bg", decimals: stockDecimals,
            policy: policy(of: stock))
    }

    /// Every token `chain deploy` creates, in a fixed order: USD+, then stocks by symbol.
    public static func all(_ universe: StockUniverse = .standard) -> [ChainToken] {
        [usdPlus] + universe.stocks.map(token(of:))
    }

    /// The token an asset lives in on chain, nil for assets that stay off chain (USDC).
    public static func token(for asset: LedgerAsset, universe: StockUniverse = .standard) -> ChainToken? {
        if asset == .usdPlus { return usdPlus }
        guard let symbol = asset.stockSymbol, let stock = universe.stock(symbol: symbol) else { return nil }
        return token(of: stock)
    }

    /// Ledger units (10⁻⁶) as the token's base units, exactly.
    public static func baseUnits(ledgerUnits: Int64, decimals: UInt8) -> UInt128 {
        precondition(
            ledgerUnits >= 0 && Int(decimals) >= LedgerAsset.scale, "non-negative amounts of tokens at least as fine as the ledger")
        return UInt128(ledgerUnits) * baseUnitsPerLedgerUnit(decimals: decimals)
    }

    /// 10^(decimals − 6): how many of the token's base units make one ledger unit.
    public static func baseUnitsPerLedgerUnit(decimals: UInt8) -> UInt128 {
        var factor: UInt128 = 1
        for _ in 0..<(Int(decimals) - LedgerAsset.scale) { factor *= 10 }
        return factor
    }

    /// Base units as ledger units, or nil when the amount is not a whole number of them (or
    /// does not fit): a chain balance the ledger could never have produced.
    public static func ledgerUnits(baseUnits: UInt128, decimals: UInt8) -> Int64? {
        let (quotient, remainder) = baseUnits.quotientAndRemainder(dividingBy: baseUnitsPerLedgerUnit(decimals: decimals))
        guard remainder == 0, quotient <= UInt128(Int64.max) else { return nil }
        return Int64(quotient)
    }
}

extension ChainTokens {
    /// The token with ledger key `key` ("USD+" or a symbol).
    public static func token(key: String, universe: StockUniverse = .standard) -> ChainToken? {
        token(for: ChainToken.asset(key: key), universe: universe)
    }
}
