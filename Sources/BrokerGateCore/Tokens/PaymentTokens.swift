import BrokerGateCrypto
import Crypto
import Foundation

/// The token contracts cash moves through, and how a `token_address` on the wire names a
/// ledger asset.
///
/// Why derived addresses: BrokerGate's chains are simulated, so its USD+ and USDC contracts
/// are too. Like stock tokens (`StockUniverse.tokenAddress`), each address is the first 20
/// bytes of a SHA-256 of a fixed text, so every replica and restart agrees on it without a
/// table, and no one mistakes it for a mainnet contract holding real money.
public enum PaymentTokens {
    /// The payment token customers hold.
    public static let usdPlusSymbol = "USD+"
    /// The reserve token deposits arrive in and withdrawals pay out.
    public static let usdcSymbol = "USDC"

    /// Chains a cash balance, withdrawal or transfer may be reported on: Dinari's `Chain`
    /// list, which is the wallet chain list without `eip155:0` ("any EVM chain").
    public static let chains: Set<String> = WalletChains.allowed.subtracting(["eip155:0"])

    /// Where cash is reported when the account has no wallet or its wallet says "any EVM
    /// chain": Arbitrum One, the chain Dinari's withdrawals are made on.
    public static let defaultChain = "eip155:42161"

    /// The chain an account's cash is reported and paid out on: its wallet's, when that is a
    /// concrete chain, else `defaultChain`.
    public static func reportingChain(of wallet: WalletRecord?) -> String {
        guard let chain = wallet?.chainID, chains.contains(chain) else { return defaultChain }
        return chain
    }

    /// The EIP-55 address of `symbol`'s contract on `chain`.
    /// On the chain tokens were deployed to (`DeployedTokens`), USD+ is the deployed contract.
    public static func address(of symbol: String, chain: String) -> String {
        if let deployed = DeployedTokens.address(of: symbol, chain: chain) { return deployed }
        let digest = SHA256.hash(data: Array("brokergate:payment-token:\(chain):\(symbol)".utf8))
        do {
            return try EthereumAddress(parsing: "0x" + Hex.encode(digest.prefix(EthereumAddress.byteCount))).checksummed
        } catch {
            // Lowercase hex of exactly 20 bytes always parses.
            preconditionFailure("derived payment token address does not parse: \(error)")
        }
    }

    /// Validates an optional `chain_id` against `chains`.
    public static func validatedChain(_ chainID: String, field: String = "chain_id") throws(DomainError) -> String {
        guard chains.contains(chainID) else {
            throw DomainError(
                .ruleViolation, code: "unsupported_chain",
                message: "\(field) must be one of \(chains.sorted().joined(separator: ", ")) (CAIP-2); got \(chainID.prefix(40))")
        }
        return chainID
    }
}

/// A token a customer can move between accounts: USD+ or a stock token, on one chain.
public struct TransferableToken: Sendable, Equatable {
    public let asset: LedgerAsset
    public let chainID: String
    /// EIP-55, without the CAIP-10 chain prefix.
    public let address: String
    /// Digits after the point a quantity may carry (see `TokenDirectory.resolve`).
    public let decimalsMax: Int
}

/// Resolves `token_address` values: every USD+ contract on every chain and every stock token
/// of the universe on its chains. Built once; lookups are by address bytes, so any casing
/// that passes the EIP-55 check finds the same token.
public struct TokenDirectory: Sendable {
    /// Stock token quantities carry at most 4 decimals, as order quantities do (DESIGN.md
    /// rule 1): finer dust could never be sold. USD+ carries the ledger's 6.
    public static let stockDecimalsMax = 4

    /// The directory over the compiled-in stock universe.
    public static let standard = TokenDirectory(universe: .standard)

    private let tokens: [EthereumAddress: TransferableToken]

    public init(universe: StockUniverse) {
        var tokens: [EthereumAddress: TransferableToken] = [:]
        for chain in PaymentTokens.chains {
            let address = PaymentTokens.address(of: PaymentTokens.usdPlusSymbol, chain: chain)
            tokens[Self.parsed(address)] = TransferableToken(
                asset: .usdPlus, chainID: chain, address: address, decimalsMax: LedgerAsset.scale)
        }
        for stock in universe.stocks {
            for caip10 in stock.tokens {
                guard let split = Self.splitCAIP10(caip10) else { continue }
                tokens[Self.parsed(split.address)] = TransferableToken(
                    asset: .stock(stock.symbol), chainID: split.chain, address: Self.parsed(split.address).checksummed,
                    decimalsMax: Self.stockDecimalsMax)
            }
        }
        self.tokens = tokens
    }

    /// A contract `brokergate chain deploy` created (`DeployedTokens`).
    private static func deployed(at address: EthereumAddress) -> TransferableToken? {
        guard let (key, chain) = DeployedTokens.token(at: address) else { return nil }
        let isUSDPlus = key == PaymentTokens.usdPlusSymbol
        return TransferableToken(
            asset: isUSDPlus ? .usdPlus : .stock(key), chainID: chain, address: address.checksummed,
            decimalsMax: isUSDPlus ? LedgerAsset.scale : stockDecimalsMax)
    }

    /// The token at `text`: a plain `0x…` address or CAIP-10 `eip155:N:0x…` (as the stock
    /// list prints them). 422 `unknown_token` when it names no token of this gateway.
    public func resolve(_ text: String) throws(DomainError) -> TransferableToken {
        let unknown = DomainError(
            .ruleViolation, code: "unknown_token",
            message: "token_address \(text.prefix(80)) is not a USD+ or stock token of this gateway; "
                + "use an address from GET /api/v2/accounts/{account_id}/cash or a stock's tokens")
        let split = Self.splitCAIP10(text)
        guard let address = try? EthereumAddress(parsing: split?.address ?? text) else { throw unknown }
        guard let token = tokens[address] ?? Self.deployed(at: address) else { throw unknown }
        if let chain = split?.chain, chain != token.chainID { throw unknown }
        return token
    }

    /// "eip155:1:0xabc…" → ("eip155:1", "0xabc…"); nil for anything else.
    static func splitCAIP10(_ text: String) -> (chain: String, address: String)? {
        guard text.utf8.count <= 120, let colon = text.lastIndex(of: ":"), text.hasPrefix("eip155:") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func parsed(_ address: String) -> EthereumAddress {
        do {
            return try EthereumAddress(parsing: address)
        } catch {
            preconditionFailure("token address \(address) of the universe does not parse: \(error)")
        }
    }
}
