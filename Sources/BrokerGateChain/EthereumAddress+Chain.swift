import BrokerGateCrypto

extension EthereumAddress {
    /// Wraps 20 raw bytes (from RLP, ABI words or logs); nil for any other length.
    /// `EthereumAddress` offers no byte initializer, and lowercase hex always parses, so this
    /// goes through `init(parsing:)`.
    init?(rawBytes: some Collection<UInt8>) {
        guard rawBytes.count == Self.byteCount else { return nil }
        try? self.init(parsing: "0x" + Hex.encode(rawBytes))
    }

    /// "0x" and 40 lowercase hex digits: what JSON-RPC parameters carry.
    var lowercaseHex: String { "0x" + Hex.encode(bytes) }

    /// The address a contract deployed by `sender` with account nonce `nonce` will have:
    /// the last 20 bytes of keccak256(rlp([sender, nonce])). Knowing it before the deployment
    /// is mined lets the caller record it with the transaction, so a crash between sending
    /// and the receipt never loses track of where the contract lives.
    public static func contractAddress(sender: EthereumAddress, nonce: UInt64) -> EthereumAddress {
        let encoded = RLP.encode(.list([.bytes(sender.bytes), .uint(nonce)]))
        guard let address = EthereumAddress(rawBytes: Keccak256.hash(encoded).suffix(byteCount)) else {
            preconditionFailure("the last 20 bytes of a hash are an address")
        }
        return address
    }
}
