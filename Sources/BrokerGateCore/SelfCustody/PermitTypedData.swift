import BrokerGateCrypto
import Foundation

/// The EIP-712 typed data of an EIP-2612 `Permit` on one of our token contracts
/// (`StockToken.vy`): what a customer signs so the order processor may pull `value` from
/// their wallet. The digest is computed here exactly as the contract computes it, so a
/// signature is checked before the gateway pays gas to relay it.
public struct PermitTypedData: Sendable, Equatable {
    /// The token's EIP-712 domain: its name, version "1", the chain and its address.
    public let tokenName: String
    public let chainID: UInt64
    public let verifyingContract: String
    public let owner: String
    public let spender: String
    public let value: UInt128
    public let nonce: UInt128
    public let deadline: UInt64

    public init(
        tokenName: String, chainID: UInt64, verifyingContract: String, owner: String, spender: String, value: UInt128, nonce: UInt128,
        deadline: UInt64
    ) {
        self.tokenName = tokenName
        self.chainID = chainID
        self.verifyingContract = verifyingContract
        self.owner = owner
        self.spender = spender
        self.value = value
        self.nonce = nonce
        self.deadline = deadline
    }

    public static let version = "1"
    static let domainType = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    static let permitType = "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"

    /// keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(permit)).
    public func digest() throws(EthereumCryptoError) -> [UInt8] {
        let domain = Keccak256.hash(
            Keccak256.hash(Array(Self.domainType.utf8)) + Keccak256.hash(Array(tokenName.utf8)) + Keccak256.hash(Array(Self.version.utf8))
                + Self.word(UInt128(chainID)) + Self.word(try EthereumAddress(parsing: verifyingContract)))
        let message = Keccak256.hash(
            Keccak256.hash(Array(Self.permitType.utf8)) + Self.word(try EthereumAddress(parsing: owner))
                + Self.word(try EthereumAddress(parsing: spender)) + Self.word(value) + Self.word(nonce) + Self.word(UInt128(deadline)))
        return Keccak256.hash([0x19, 0x01] + domain + message)
    }

    /// The address that signed this permit with `signatureHex` (65 bytes r ‖ s ‖ v, 0x-hex),
    /// and the signature's parts for the processor call. A high s is refused, as the token
    /// contract refuses it.
    public func signer(of signatureHex: String) throws(EthereumCryptoError) -> (address: EthereumAddress, v: UInt8, r: String, s: String) {
        let hex = signatureHex.hasPrefix("0x") ? signatureHex.dropFirst(2) : Substring(signatureHex)
        guard hex.utf8.count == 130, let bytes = Hex.decode(String(hex)) else { throw .malformedSignature }
        let signature = try RecoverableSignature(ethereumBytes: bytes)
        guard signature.s.lexicographicallyPrecedes(Self.secp256k1HalfOrder) || signature.s == Self.secp256k1HalfOrder else {
            throw .signatureOutOfRange
        }
        let address = try Secp256k1.recover(digest32: try digest(), signature: signature).ethereumAddress
        return (address, 27 + signature.recoveryID, "0x" + Hex.encode(signature.r), "0x" + Hex.encode(signature.s))
    }

    /// n / 2 of secp256k1, big-endian: the largest s the token's `permit` accepts.
    static let secp256k1HalfOrder: [UInt8] = Hex.decode("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")!

    static func word(_ value: UInt128) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + (0..<16).map { UInt8(truncatingIfNeeded: value >> (8 * (15 - $0))) }
    }

    static func word(_ address: EthereumAddress) -> [UInt8] { [UInt8](repeating: 0, count: 12) + address.bytes }
}
