/// Transfer-agent restrictions on stock tokens.
///
/// Why a list of its own: the stock universe has no `is_transferable` flag yet, so the
/// restricted set lives next to the token directory it governs until it does. BRK.B is restricted in the
/// simulation so partners can exercise the refusal; the list is not a statement about the
/// real security.
public enum TransferRestrictions {
    /// Symbols whose tokens may be held and traded but not moved between accounts.
    public static let nonTransferableSymbols: Set<String> = ["BRK.B"]

    /// 422 `token_not_transferable` for a restricted stock token.
    public static func requireTransferable(_ asset: LedgerAsset) throws(DomainError) {
        guard let symbol = asset.stockSymbol, nonTransferableSymbols.contains(symbol) else { return }
        throw DomainError(
            .ruleViolation, code: "token_not_transferable",
            message: "\(symbol) tokens are not transferable between accounts; sell them instead")
    }
}
