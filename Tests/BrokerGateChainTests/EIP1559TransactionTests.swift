import BrokerGateCrypto
import Testing

@testable import BrokerGateChain

/// EIP-1559 signing and decoding against eth-account (`TransactionVectors`), the decoding
/// rules that keep one transaction to one byte form, and contract-address derivation.
struct EIP1559TransactionTests {
    private func transaction(_ vector: TransactionVector) throws -> EIP1559Transaction {
        EIP1559Transaction(
            chainID: vector.chainID, nonce: vector.nonce, maxPriorityFeePerGasWei: vector.maxPriorityFeePerGasWei,
            maxFeePerGasWei: vector.maxFeePerGasWei, gasLimit: vector.gasLimit,
            to: try vector.to.map { try EthereumAddress(parsing: $0) }, valueWei: vector.valueWei,
            data: try #require(Hex.decode(vector.dataHex)))
    }

    /// Guards the fixtures: they must keep a deployment, a 31-byte r, long-form lengths and
    /// both parities.
    @Test func test_vectors_coverDeploymentShortRLongFormAndBothParities() throws {
        #expect(TransactionVectors.all.contains { $0.to == nil })
        #expect(Set(TransactionVectors.all.map(\.yParity)) == [0, 1])
        #expect(TransactionVectors.all.contains { $0.rawHex.count > 2 * 256 })
        let shortR = try #require(TransactionVectors.all.first { $0.name == "rWithLeadingZeroByte" })
        let signed = try SignedTransaction(raw: try #require(Hex.decode(shortR.rawHex)))
        #expect(signed.signature.r.first == 0)
    }

    /// Byte-for-byte equality checks the signing payload, RFC 6979 nonces, low s, minimal r
    /// and s, and the raw layout against an independent implementation.
    @Test func test_signing_equalsEthAccountByteForByte() throws {
        for vector in TransactionVectors.all {
            let key = try Secp256k1PrivateKey(bytes: try #require(Hex.decode(vector.privateKeyHex)))
            let signed = try transaction(vector).signed(with: key)
            #expect(signed.rawHex == "0x" + vector.rawHex, "\(vector.name)")
            #expect(signed.hashHex == "0x" + vector.hashHex, "\(vector.name)")
            #expect(signed.hash == Keccak256.hash(signed.raw))
            #expect(signed.sender.checksummed == vector.sender)
            #expect(signed.signature.recoveryID == vector.yParity)
        }
    }

    @Test func test_decodingEthAccountRaw_givesBackTheFieldsAndTheSender() throws {
        for vector in TransactionVectors.all {
            let decoded = try SignedTransaction(raw: try #require(Hex.decode(vector.rawHex)))
            #expect(decoded.transaction == (try transaction(vector)), "\(vector.name)")
            #expect(decoded.sender.checksummed == vector.sender, "\(vector.name)")
            #expect(decoded.hashHex == "0x" + vector.hashHex)
        }
    }

    /// The signature covers every field: a changed nonce still decodes, but to another
    /// signer, so nobody can alter a transaction and keep our address as its sender.
    @Test func test_alteredField_recoversADifferentSender() throws {
        let vector = TransactionVectors.all[0]
        var fields = try fields(of: vector)
        fields[1] = .uint(UInt64(vector.nonce + 1))
        let decoded = try SignedTransaction(raw: [0x02] + RLP.encode(.list(fields)))
        #expect(decoded.sender.checksummed != vector.sender)
    }

    // MARK: Decoding refuses what geth refuses

    private func fields(of vector: TransactionVector) throws -> [RLP.Item] {
        try RLP.decode(Array(try #require(Hex.decode(vector.rawHex)).dropFirst())).listItems()
    }

    private func decode(_ fields: [RLP.Item]) throws(TransactionDecodingError) -> SignedTransaction {
        try SignedTransaction(raw: [0x02] + RLP.encode(.list(fields)))
    }

    @Test func test_otherTypesAndBrokenEnvelopes_areRefused() throws {
        let raw = try #require(Hex.decode(TransactionVectors.all[0].rawHex))
        #expect(throws: TransactionDecodingError.notEIP1559(typeByte: nil)) { try SignedTransaction(raw: []) }
        #expect(throws: TransactionDecodingError.notEIP1559(typeByte: 0x01)) { try SignedTransaction(raw: [0x01] + raw.dropFirst()) }
        #expect(throws: TransactionDecodingError.notEIP1559(typeByte: 0xF8)) { try SignedTransaction(raw: Array(raw.dropFirst())) }
        #expect(throws: TransactionDecodingError.rlp(.trailingBytes(1))) { try SignedTransaction(raw: raw + [0x00]) }
        #expect(throws: TransactionDecodingError.rlp(.truncated)) { try SignedTransaction(raw: Array(raw.dropLast())) }
        #expect(throws: TransactionDecodingError.fieldCount(11)) { try decode(Array(try fields(of: TransactionVectors.all[0]).dropLast())) }
    }

    @Test func test_nonEmptyAccessListOrMalformedRecipient_isRefused() throws {
        var fields = try fields(of: TransactionVectors.all[0])
        fields[8] = .list([.list([.bytes([UInt8](repeating: 1, count: 20)), .list([])])])
        #expect(throws: TransactionDecodingError.accessListNotSupported) { try decode(fields) }
        fields = try self.fields(of: TransactionVectors.all[0])
        fields[5] = .bytes([UInt8](repeating: 1, count: 19))
        #expect(throws: TransactionDecodingError.malformedRecipient(byteCount: 19)) { try decode(fields) }
    }

    @Test func test_nonCanonicalIntegers_areRefused() throws {
        var fields = try fields(of: TransactionVectors.all[0])
        fields[1] = .bytes([0x00, 0x07])
        #expect(throws: TransactionDecodingError.rlp(.nonCanonicalInteger)) { try decode(fields) }
        fields = try self.fields(of: TransactionVectors.all[0])
        fields[10] = .bytes([0x00] + (try fields[10].byteString()))
        #expect(throws: TransactionDecodingError.rlp(.nonCanonicalInteger)) { try decode(fields) }
    }

    /// (r, n − s) with the other parity is the same signature's malleable twin: EIP-2
    /// forbids it, so one transaction cannot circulate under two hashes.
    @Test func test_highSOrBadParity_isRefused() throws {
        var fields = try fields(of: TransactionVectors.all[0])
        let s = try fields[11].byteString()
        fields[11] = .bytes(RLP.strippingLeadingZeros(Self.curveOrderMinus(s)))
        fields[9] = .uint(UInt64(1 - (try fields[9].uint64())))
        #expect(throws: TransactionDecodingError.highS) { try decode(fields) }
        fields = try self.fields(of: TransactionVectors.all[0])
        fields[9] = .uint(UInt64(2))
        #expect(throws: TransactionDecodingError.signature(.unsupportedRecoveryID(2))) { try decode(fields) }
        fields[9] = .uint(UInt64(0))
        fields[10] = .bytes([])
        #expect(throws: TransactionDecodingError.signature(.signatureOutOfRange)) { try decode(fields) }
    }

    /// n − value for a big-endian value of at most 32 bytes, with n secp256k1's order.
    private static func curveOrderMinus(_ value: [UInt8]) -> [UInt8] {
        let n = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141") ?? []
        let padded = [UInt8](repeating: 0, count: 32 - value.count) + value
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in (0..<32).reversed() {
            let difference = Int(n[index]) - Int(padded[index]) - borrow
            result[index] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        return result
    }

    // MARK: Contract addresses

    /// Hardhat's first account deploys its first contracts to these addresses (nonces 0
    /// and 1 are the well-known 0x5FbDB… and 0xe7f17…); all four come from eth-utils' keccak
    /// over pyrlp's `rlp.encode([sender, nonce])` (the script in `ABIVectors.swift`), and
    /// 255 and 256 cross the one-byte boundary of the nonce's encoding.
    @Test(arguments: [
        (UInt64(0), "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        (1, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"),
        (255, "0x01E21d7B8c39dc4C764c19b308Bd8b14B1ba139E"),
        (256, "0x3C1Cb427D20F15563aDa8C249E71db76d7183B6c"),
    ])
    func test_contractAddress_matchesHardhatDeployments(nonce: UInt64, expected: String) throws {
        let sender = try EthereumAddress(parsing: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        #expect(EthereumAddress.contractAddress(sender: sender, nonce: nonce).checksummed == expected)
    }
}
