import Foundation

/// The accumulating wrapper of a stock token (Backed's wbSTOCK model): `wb` + symbol.
///
/// A holder wraps stock tokens into the wrapper's **vault** and receives wrapped tokens; the
/// vault is one holder of the stock like any other, so every corporate action reaches it by
/// the same rules as everyone's tokens:
/// - a cash dividend is paid to the vault (withheld at the statutory 30 %: the vault is a
///   pooled holder with no treaty claim of its own, whoever holds the wrapper), and
///   `WrapperReinvestor` buys more shares with it through the broker, so the vault's shares
///   grow while the wrapped supply does not: the **shares per wrapped token** rise;
/// - a split multiplies the vault's tokens (cash in lieu lands in the vault and is reinvested).
///
/// Shares per wrapped token = vault shares ÷ wrapped supply, exactly (a ratio of integers,
/// never rounded where it moves anything). Wrapping q shares mints floor(q × supply ÷ vault)
/// wrapped tokens (1:1 for the first); unwrapping w pays floor(w × vault ÷ supply) shares and
/// the same share of cash waiting to be reinvested. Rounding favours the holders who stay
/// (ERC-4626's rule): no one can take out more than they put in.
///
/// Reserves stay 1:1 in shares: the vault's tokens are part of the tokens outstanding that
/// custody backs, and every wrapped token is a claim on exactly its share of the vault.
public enum Wrapper {
    /// The wrapped token's symbol: `wbAAPL`.
    public static func symbol(of stockSymbol: String) -> String { "wb\(stockSymbol)" }

    /// The vault's account: a house-owned account whose id is derived from the symbol, so
    /// every replica names the same one without coordinating.
    public static func vaultAccountID(_ stockSymbol: String) -> AccountID {
        AccountID(trusted: UUIDText.named("brokergate:wrapper-vault:account:\(stockSymbol)"))
    }

    static func vaultEntityID(_ stockSymbol: String) -> EntityID {
        EntityID(trusted: UUIDText.named("brokergate:wrapper-vault:entity:\(stockSymbol)"))
    }

    /// Whether `accountID` is a wrapper's vault.
    public static func isVault(_ account: Account) -> Bool {
        account.organizationID == .house && account.brokerageAccountID.hasPrefix(vaultBrokeragePrefix)
    }

    static let vaultBrokeragePrefix = "VAULT-"

    /// The vault of `symbol`, opened on first use (in the caller's transaction).
    static func vault(_ symbol: String, at now: Date, in tx: any StoreTransaction) async throws -> Account {
        let id = vaultAccountID(symbol)
        if let account = try await tx.document(Account.self, id: id.rawValue) { return account }
        let account = Account(
            id: id, entityID: vaultEntityID(symbol), organizationID: .house, jurisdiction: .baseline, isActive: true,
            brokerageAccountID: "\(vaultBrokeragePrefix)\(symbol)", createdAt: now, deactivatedAt: nil)
        try await tx.insertDocument(account)
        return account
    }
}

extension LedgerAsset {
    /// A stock's wrapped token (`WRAPPED:AAPL`): book entries only; no contract carries it.
    public static func wrapped(_ symbol: String) -> LedgerAsset { LedgerAsset(rawValue: "WRAPPED:\(symbol)") }

    public var wrappedSymbol: String? { rawValue.hasPrefix("WRAPPED:") ? String(rawValue.dropFirst(8)) : nil }
}

/// A wrapper's books at one instant: what the exchange rate is made of.
public struct WrapperState: Sendable, Equatable {
    public let symbol: String
    /// Wrapped tokens outstanding, in ledger units.
    public let supplyUnits: Int64
    /// Stock tokens in the vault, in ledger units.
    public let vaultSharesUnits: Int64
    /// USD+ in the vault waiting to be reinvested (dividends, cash in lieu), unheld.
    public let vaultCashUnits: Int64

    /// Reads the wrapper of `symbol` (all zero before anyone wrapped).
    public static func read(_ symbol: String, in tx: any StoreTransaction) async throws -> WrapperState {
        let vault = Wrapper.vaultAccountID(symbol)
        let supply = try await tx.ledgerBalance(.house(.tokenIssuance, .wrapped(symbol)))
        let shares = try await tx.ledgerBalance(.customer(vault, .stock(symbol)))
        let cash = try await tx.ledgerBalance(.customer(vault, .usdPlus))
        return WrapperState(
            symbol: symbol, supplyUnits: -(supply?.balanceUnits ?? 0), vaultSharesUnits: shares?.balanceUnits ?? 0,
            vaultCashUnits: cash?.availableUnits ?? 0)
    }

    /// Wrapped tokens minted for `sharesUnits`: 1:1 for the first, else at the vault's rate, rounded down.
    public func wrappedUnits(forShares sharesUnits: Int64) -> Int64 {
        guard supplyUnits > 0 else { return sharesUnits }
        return Int64(Int128(sharesUnits) * Int128(supplyUnits) / Int128(vaultSharesUnits))
    }

    /// Shares and cash paid for unwrapping `wrappedUnits`, each rounded down.
    public func redemption(ofWrapped wrappedUnits: Int64) -> (sharesUnits: Int64, cashUnits: Int64) {
        guard supplyUnits > 0 else { return (0, 0) }
        let share = { (pool: Int64) in Int64(Int128(wrappedUnits) * Int128(pool) / Int128(self.supplyUnits)) }
        return (share(vaultSharesUnits), share(vaultCashUnits))
    }

    /// Shares per wrapped token at `scale` decimals, rounded down (display only: nothing
    /// moves at this figure); 1 before anyone wrapped.
    public func sharesPerToken(scale: Int = 12) -> Amount {
        guard supplyUnits > 0 else { return Amount(units: Int128(Amount.powerOfTen(scale)), scale: scale) }
        return Amount(units: Int128(vaultSharesUnits) * Int128(Amount.powerOfTen(scale)) / Int128(supplyUnits), scale: scale)
    }
}
