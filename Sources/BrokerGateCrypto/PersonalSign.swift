/// EIP-191 version 0x45 ("personal_sign"): how wallets sign a human-readable message. The
/// prefix makes the signed bytes impossible to confuse with a transaction, so a wallet
/// connection signature can never be replayed as a transfer.
public enum PersonalSign {
    /// The fixed prefix; the decimal byte length of the message follows it.
    public static let prefix: [UInt8] = Array("\u{19}Ethereum Signed Message:\n".utf8)

    /// keccak256("\u{19}Ethereum Signed Message:\n" + decimal length + message), where the
    /// length counts bytes (UTF-8), not characters.
    public static func digest(message: [UInt8]) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(prefix)
        hasher.update(String(message.count).utf8)
        hasher.update(message)
        return hasher.finalize()
    }

    /// Signs `message` the way a wallet's personal_sign does, returning "0x" + 130 hex
    /// digits (r || s || v with v = 27 or 28). Used for custodied (managed) wallets.
    public static func sign(message: [UInt8], with key: Secp256k1PrivateKey) -> String {
        "0x" + Hex.encode(key.sign(digest32: digest(message: message)).ethereumBytes)
    }

    /// The address that signed `message`, from a 65-byte r || s || v signature in hex (with
    /// or without "0x"; v 27/28 or 0/1). To verify a wallet, compare the result with the
    /// address the customer claims: any well-formed signature recovers *some* address.
    public static func recoverAddress(message: [UInt8], signatureHex: String) throws(EthereumCryptoError) -> EthereumAddress {
        let hex = signatureHex.hasPrefix("0x") ? signatureHex.dropFirst(2) : Substring(signatureHex)
        // Check the length before decoding so an oversized input costs nothing.
        guard hex.utf8.count == 130, let bytes = Hex.decode(String(hex)) else { throw .malformedSignature }
        let signature = try RecoverableSignature(ethereumBytes: bytes)
        return try Secp256k1.recover(digest32: digest(message: message), signature: signature).ethereumAddress
    }
}
