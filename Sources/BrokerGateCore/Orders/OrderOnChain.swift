import BrokerGateCrypto
import Crypto
import Foundation

/// What an order looks like on chain, for the fields Dinari's `Order` and `Fulfillment`
/// require: the chain, the order contract, the payment and asset tokens, and transaction
/// hashes.
///
/// Why derived: BrokerGate's chains are simulated (see `PaymentTokens`), so there is no
/// contract and no transaction to point at. Every value is derived from fixed text and the
/// order's id, so every replica and restart renders the same bytes, nothing needs storing,
/// and no value can be mistaken for a mainnet object.
public enum OrderOnChain {
    /// The chain an account's orders settle on: its wallet's, or `PaymentTokens.defaultChain`
    /// when the wallet says "any EVM chain" (Dinari's `Chain` list has no `eip155:0`).
    public static func chain(of wallet: WalletRecord?) -> String {
        PaymentTokens.reportingChain(of: wallet)
    }

    /// The order processor contract on `chain`: the deployed one (`--chain evm:`), else 20
    /// bytes of SHA-256, EIP-55.
    public static func orderContractAddress(chain: String) -> String {
        if let deployment = DeployedTokens.deployment, deployment.caip2 == chain, let processor = deployment.processor { return processor }
        return address(Array(SHA256.hash(data: Array("brokergate:order-processor:\(chain)".utf8))))
    }

    /// The USD+ contract orders pay with on `chain`.
    public static func paymentToken(chain: String) -> String {
        PaymentTokens.address(of: PaymentTokens.usdPlusSymbol, chain: chain)
    }

    /// The stock's token contract on `chain`, without the CAIP-10 prefix (the chain is a
    /// field of its own on every shape that carries this).
    public static func assetToken(symbol: String, chain: String) -> String {
        let caip10 = StockUniverse.tokenAddress(chain: chain, symbol: symbol)
        return String(caip10.dropFirst(chain.count + 1))
    }

    // MARK: - Transaction hashes

    /// What a synthetic transaction stands for; part of the hashed text, so an order's
    /// creation and cancellation hashes differ.
    public enum Purpose: String, Sendable {
        case create = "order-create"
        case cancel = "order-cancel"
    }

    /// A 32-byte transaction hash for the order: its 16 id bytes, then the first 16 bytes of
    /// SHA-256 of purpose and id. Reversible on purpose: `orderID(fromTransactionHash:)` turns
    /// a partner's `order_transaction_hash` filter into one lookup by id instead of a scan,
    /// and the hashed half rejects hashes this gateway never issued.
    public static func transactionHash(_ id: OrderID, _ purpose: Purpose) -> String {
        "0x" + id.rawValue.replacingOccurrences(of: "-", with: "") + Hex.encode(tag(id, purpose))
    }

    /// The order whose `purpose` hash is `text` (any hex case), or nil for anything else.
    public static func orderID(fromTransactionHash text: String, _ purpose: Purpose) -> OrderID? {
        // Bytes, not characters, and only hex digits: this parses a query parameter.
        let bytes = Array(text.lowercased().utf8)
        guard bytes.count == 66, bytes.starts(with: Array("0x".utf8)), bytes.dropFirst(2).allSatisfy(Self.isHexDigit) else { return nil }
        let hex = Array(bytes.dropFirst(2))
        let idHex = String(decoding: hex[0..<32], as: UTF8.self)
        let uuidText = [
            idHex.prefix(8), idHex.dropFirst(8).prefix(4), idHex.dropFirst(12).prefix(4), idHex.dropFirst(16).prefix(4),
            idHex.dropFirst(20),
        ]
        .joined(separator: "-")
        guard let id = OrderID(parsing: uuidText), Hex.decode(String(decoding: hex[32...], as: UTF8.self)) == tag(id, purpose) else {
            return nil
        }
        return id
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func tag(_ id: OrderID, _ purpose: Purpose) -> [UInt8] {
        Array(SHA256.hash(data: Array("brokergate:\(purpose.rawValue):\(id.rawValue)".utf8)).prefix(16))
    }

    private static func address(_ digest: [UInt8]) -> String {
        do {
            return try EthereumAddress(parsing: "0x" + Hex.encode(digest.prefix(EthereumAddress.byteCount))).checksummed
        } catch {
            // Lowercase hex of exactly 20 bytes always parses.
            preconditionFailure("derived contract address does not parse: \(error)")
        }
    }
}
