import Foundation

/// A wrapper in the reserves report: its wrapped supply and the vault behind it. The vault's
/// shares are also in its stock's tokens outstanding, which custody backs 1:1, so a wrapped
/// token is backed by exactly its share of them: supply × shares per token == vault shares.
public struct WrapperReservesLine: Sendable, Equatable {
    /// The stock's symbol (`AAPL`; the wrapped token is `wbAAPL`).
    public let symbol: String
    public let state: WrapperState

    /// One line per wrapper with any ledger row; vault figures from the kept customer rows.
    static func lines(_ positions: LedgerPositions, universe: StockUniverse) -> [WrapperReservesLine] {
        positions.wrappedAssets.compactMap { asset in
            guard let symbol = asset.wrappedSymbol else { return nil }
            let vault = Wrapper.vaultAccountID(symbol)
            func vaultUnits(_ of: LedgerAsset) -> Int64 {
                positions.customerRows[of]?.first { $0.id == .customer(vault, of) }?.availableUnits ?? 0
            }
            let state = WrapperState(
                symbol: symbol, supplyUnits: -positions.house(.tokenIssuance, asset), vaultSharesUnits: vaultUnits(.stock(symbol)),
                vaultCashUnits: vaultUnits(.usdPlus))
            return WrapperReservesLine(symbol: symbol, state: state)
        }
    }

    func canonical(liabilities: CanonicalJSON) -> CanonicalJSON {
        .object([
            "wrapped_symbol": .string(Wrapper.symbol(of: symbol)),
            "symbol": .string(symbol),
            "wrapped_supply": .units(state.supplyUnits),
            "vault_shares": .units(state.vaultSharesUnits),
            "vault_cash_usd_plus": .units(state.vaultCashUnits),
            "shares_per_token": .string(state.sharesPerToken().description),
            "liabilities": liabilities,
        ])
    }
}
