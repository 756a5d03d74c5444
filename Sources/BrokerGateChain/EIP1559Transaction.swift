import BrokerGateCrypto

/// An EIP-1559 (type 2) transaction with an empty access list: what the gateway signs to
/// deploy and call its token contracts.
///
/// Fees and value are in wei; 128 bits cover every amount that can exist (the total ether
/// supply is below 2^87 wei), which keeps arithmetic in native integers.
public struct EIP1559Transaction: Sendable, Equatable {
    /// The EIP-2718 type byte that prefixes both the signing payload and the raw transaction.
    public static let typeByte: UInt8 = 0x02

    /// EIP-155 chain id; part of the signed payload, so a transaction cannot be replayed on
    /// another chain.
    public var chainID: UInt64
    /// The sender's account nonce: transactions from one sender are mined in nonce order,
    /// and a nonce is used at most once.
    public var nonce: UInt64
    /// The tip per gas paid to the block producer, at most `maxFeePerGasWei`.
    public var maxPriorityFeePerGasWei: UInt128
    /// The most paid per gas in total (base fee + tip).
    public var maxFeePerGasWei: UInt128
    /// The most gas the transaction may use.
    public var gasLimit: UInt64
    /// The recipient; nil deploys a contract whose init code is `data`.
    public var to: EthereumAddress?
    public var valueWei: UInt128
    /// Call data, or init code (bytecode followed by constructor arguments) for a deployment.
    public var data: [UInt8]

    public init(
        chainID: UInt64, nonce: UInt64, maxPriorityFeePerGasWei: UInt128, maxFeePerGasWei: UInt128, gasLimit: UInt64,
        to: EthereumAddress?, valueWei: UInt128 = 0, data: [UInt8] = []
    ) {
        self.chainID = chainID
        self.nonce = nonce
        self.maxPriorityFeePerGasWei = maxPriorityFeePerGasWei
        self.maxFeePerGasWei = maxFeePerGasWei
        self.gasLimit = gasLimit
        self.to = to
        self.valueWei = valueWei
        self.data = data
    }

    /// The nine unsigned fields in EIP-1559 order; the access list is always empty.
    var payloadItems: [RLP.Item] {
        [
            .uint(chainID), .uint(nonce), .uint(maxPriorityFeePerGasWei), .uint(maxFeePerGasWei), .uint(gasLimit),
            .bytes(to?.bytes ?? []), .uint(valueWei), .bytes(data), .list([]),
        ]
    }

    /// keccak256(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit,
    /// to, value, data, accessList])): the digest the sender signs.
    public var signingHash: [UInt8] {
        Keccak256.hash([Self.typeByte] + RLP.encode(.list(payloadItems)))
    }

    /// Signs with RFC 6979 (deterministic, low s), so signing the same transaction twice
    /// gives the same raw bytes and the same hash: a resend after a crash is recognised by
    /// the node as the transaction it already has.
    public func signed(with key: Secp256k1PrivateKey) -> SignedTransaction {
        let signature = key.sign(digest32: signingHash)
        return SignedTransaction(transaction: self, signature: signature, sender: key.publicKey.ethereumAddress)
    }
}

/// A signed EIP-1559 transaction: the exact bytes `eth_sendRawTransaction` takes, and the
/// hash by which the chain will know it.
public struct SignedTransaction: Sendable, Equatable {
    public let transaction: EIP1559Transaction
    public let signature: RecoverableSignature
    /// The signer, recovered from the signature when decoded from raw bytes.
    public let sender: EthereumAddress
    /// 0x02 || rlp([nine fields, yParity, r, s]) with r and s minimal big-endian.
    public let raw: [UInt8]
    /// keccak256(raw): the transaction hash.
    public let hash: [UInt8]

    init(transaction: EIP1559Transaction, signature: RecoverableSignature, sender: EthereumAddress) {
        self.transaction = transaction
        self.signature = signature
        self.sender = sender
        let signatureItems: [RLP.Item] = [
            .uint(UInt64(signature.recoveryID)),
            .bytes(RLP.strippingLeadingZeros(signature.r)), .bytes(RLP.strippingLeadingZeros(signature.s)),
        ]
        raw = [EIP1559Transaction.typeByte] + RLP.encode(.list(transaction.payloadItems + signatureItems))
        hash = Keccak256.hash(raw)
    }

    /// "0x" and lowercase hex of `raw`, as `eth_sendRawTransaction` takes it.
    public var rawHex: String { "0x" + Hex.encode(raw) }
    /// "0x" and lowercase hex of `hash`, as nodes report it.
    public var hashHex: String { "0x" + Hex.encode(hash) }

    /// Decodes and verifies a raw type-2 transaction, recovering its sender. Accepts only
    /// what geth's transaction pool accepts for our use: canonical RLP and integers, a
    /// 20-byte or empty `to`, an empty access list, yParity 0 or 1, and low s (EIP-2).
    public init(raw: [UInt8]) throws(TransactionDecodingError) {
        guard raw.first == EIP1559Transaction.typeByte else { throw .notEIP1559(typeByte: raw.first) }
        let fields = try Self.rlp { () throws(RLP.DecodingError) in try RLP.decode(Array(raw.dropFirst())).listItems() }
        guard fields.count == 12 else { throw .fieldCount(fields.count) }
        let transaction = try Self.transaction(from: fields)
        let signature = try Self.signature(yParity: fields[9], r: fields[10], s: fields[11])
        do {
            let publicKey = try Secp256k1.recover(digest32: transaction.signingHash, signature: signature)
            self.init(transaction: transaction, signature: signature, sender: publicKey.ethereumAddress)
        } catch {
            throw .signature(error)
        }
        assert(self.raw == raw, "canonical decoding must re-encode to the same bytes")
    }

    private static func transaction(from fields: [RLP.Item]) throws(TransactionDecodingError) -> EIP1559Transaction {
        let toBytes = try rlp { () throws(RLP.DecodingError) in try fields[5].byteString() }
        let to = EthereumAddress(rawBytes: toBytes)
        guard to != nil || toBytes.isEmpty else { throw .malformedRecipient(byteCount: toBytes.count) }
        guard try rlp({ () throws(RLP.DecodingError) in try fields[8].listItems() }).isEmpty else { throw .accessListNotSupported }
        return try rlp { () throws(RLP.DecodingError) in
            EIP1559Transaction(
                chainID: try fields[0].uint64(), nonce: try fields[1].uint64(), maxPriorityFeePerGasWei: try fields[2].uint128(),
                maxFeePerGasWei: try fields[3].uint128(), gasLimit: try fields[4].uint64(), to: to, valueWei: try fields[6].uint128(),
                data: try fields[7].byteString())
        }
    }

    /// Runs an RLP read, reporting its failure as a transaction decoding error.
    private static func rlp<T>(_ read: () throws(RLP.DecodingError) -> T) throws(TransactionDecodingError) -> T {
        do {
            return try read()
        } catch {
            throw .rlp(error)
        }
    }

    /// secp256k1's n / 2: an s above it is the malleable twin of a low-s signature, which
    /// EIP-2 forbids and geth refuses.
    static let halfOrder: [UInt8] = Hex.decode("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0") ?? []

    private static func signature(yParity: RLP.Item, r: RLP.Item, s: RLP.Item) throws(TransactionDecodingError) -> RecoverableSignature {
        let (parity, rBytes, sBytes) = try rlp { () throws(RLP.DecodingError) in
            (try yParity.uint64(), try r.byteString(), try s.byteString())
        }
        guard parity <= 1 else { throw .signature(.unsupportedRecoveryID(UInt8(clamping: parity))) }
        guard rBytes.first != 0, sBytes.first != 0 else { throw .rlp(.nonCanonicalInteger) }
        guard rBytes.count <= 32, sBytes.count <= 32 else { throw .signature(.signatureOutOfRange) }
        let r32 = [UInt8](repeating: 0, count: 32 - rBytes.count) + rBytes
        let s32 = [UInt8](repeating: 0, count: 32 - sBytes.count) + sBytes
        guard s32.lexicographicallyPrecedes(halfOrder) || s32 == halfOrder else { throw .highS }
        do {
            return try RecoverableSignature(r: r32, s: s32, recoveryID: UInt8(parity))
        } catch {
            throw .signature(error)
        }
    }
}

/// Why bytes are not a signed EIP-1559 transaction we accept.
public enum TransactionDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first byte is not 0x02 (nil for empty input).
    case notEIP1559(typeByte: UInt8?)
    case rlp(RLP.DecodingError)
    /// Not the 12 fields of a signed type-2 transaction.
    case fieldCount(Int)
    /// `to` is neither empty (a deployment) nor 20 bytes.
    case malformedRecipient(byteCount: Int)
    /// A non-empty access list: we never send one, so one here means a transaction not ours.
    case accessListNotSupported
    /// s above n / 2 (EIP-2).
    case highS
    case signature(EthereumCryptoError)

    public var code: String { "malformed_transaction" }

    public var message: String {
        switch self {
        case .notEIP1559(let typeByte):
            "transaction type must be 0x02 (EIP-1559), got \(typeByte.map { "0x" + Hex.encode([$0]) } ?? "no bytes")"
        case .rlp(let error): error.message
        case .fieldCount(let count): "a signed EIP-1559 transaction has 12 fields, got \(count)"
        case .malformedRecipient(let count): "transaction recipient must be empty or 20 bytes, got \(count)"
        case .accessListNotSupported: "transactions with a non-empty access list are not supported"
        case .highS: "signature s is above n / 2, which EIP-2 forbids"
        case .signature(let error): error.message
        }
    }

    public var description: String { "\(code): \(message)" }
}
