import Foundation

/// What a customer's own wallet holds on chain (`--chain evm:`).
///
/// Why only external wallets: a partner-managed or BrokerGate-managed wallet moves tokens only
/// through the gateway, so the ledger is its truth. A customer's own wallet (linked with a
/// signature) can send OPEN tokens anywhere and RESTRICTED ones to other allowlisted wallets
/// without asking us: there the chain is the truth, so the portfolio shows the chain's balance
/// and a sell must be covered by it, or its burn would fail after the broker sold the shares.
public struct ChainHoldings: Sendable {
    public let adapter: any ChainAdapter
    public let deployment: ChainDeployment

    public init(adapter: any ChainAdapter, deployment: ChainDeployment) {
        self.adapter = adapter
        self.deployment = deployment
    }

    /// Whether `wallet`'s balances are read from the chain.
    public static func readsChain(_ wallet: WalletRecord?) -> Bool { wallet?.custody == .external }

    /// `wallet`'s on-chain balance of `asset` in ledger units, rounded down to a whole unit
    /// (dust below 10⁻⁶ a share cannot be sold); nil for an asset that is not on chain.
    public func ledgerUnits(of asset: LedgerAsset, in wallet: WalletRecord) async throws -> Int64? {
        guard let token = ChainTokens.token(for: asset), let contract = deployment.tokens[token.key] else { return nil }
        let base = try await adapter.balance(of: wallet.address.checksummed, in: contract)
        return Int64(clamping: base / ChainTokens.baseUnitsPerLedgerUnit(decimals: token.decimals))
    }

    /// 422 `insufficient_onchain_balance` when a sell of `units` from an external wallet,
    /// with the sells already holding `heldUnits`, is more than the wallet holds on chain.
    public func requireCovered(_ units: Int64, heldUnits: Int64, of asset: LedgerAsset, in wallet: WalletRecord) async throws {
        guard Self.readsChain(wallet), let onChain = try await ledgerUnits(of: asset, in: wallet) else { return }
        let needed = units + heldUnits
        guard onChain < needed else { return }
        let scale = LedgerAsset.scale
        throw DomainError(
            .ruleViolation, code: "insufficient_onchain_balance",
            message: "the customer's wallet \(wallet.address.checksummed) holds \(Amount(units: Int128(onChain), scale: scale)) "
                + "\(asset.stockSymbol ?? asset.rawValue) on \(deployment.caip2), and sells need \(Amount(units: Int128(needed), scale: scale)); "
                + "tokens moved out of the wallet can be sold once they are back in it")
    }
}
