/// A 20-byte Ethereum account address.
///
/// Equality and hashing are on the bytes, so casing never makes two addresses differ. On the
/// wire (`Codable`, `description`) it is always the EIP-55 checksummed form, which wallets
/// display and which lets a reader catch a mistyped character.
public struct EthereumAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Number of bytes in an address.
    public static let byteCount = 20

    /// The 20 address bytes.
    public let bytes: [UInt8]

    /// The address of a public key: the last 20 bytes of keccak256(x || y).
    public init(publicKey: Secp256k1PublicKey) {
        bytes = Array(Keccak256.hash(publicKey.uncompressed).suffix(Self.byteCount))
    }

    /// Parses "0x" followed by 40 hex digits. All-lowercase and all-uppercase digits are
    /// accepted as unchecksummed (EIP-55 treats them so); mixed case must be exactly the
    /// EIP-55 checksum, because a wrong case there signals a typo that would send funds or
    /// trust to an address nobody controls.
    public init(parsing text: String) throws(EthereumCryptoError) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 2 + 2 * Self.byteCount, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x"),
            let bytes = Hex.decode(String(decoding: utf8[2...], as: UTF8.self))
        else { throw .malformedAddress }
        self.bytes = bytes
        let digits = utf8[2...]
        let hasLower = digits.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        let hasUpper = digits.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        if hasLower, hasUpper, checksummed != text {
            throw .addressChecksumMismatch
        }
    }

    /// EIP-55: hex digits, with each letter upper-cased when the matching nibble of
    /// keccak256(lowercase hex) is 8 or more.
    public var checksummed: String {
        let lowercase = Array(Hex.encode(bytes).utf8)
        let hash = Keccak256.hash(lowercase)
        var output = Array("0x".utf8)
        for (index, character) in lowercase.enumerated() {
            let hashByte = hash[index / 2]
            let nibble = index % 2 == 0 ? hashByte >> 4 : hashByte & 0x0F
            let isLetter = character >= UInt8(ascii: "a")
            output.append(isLetter && nibble >= 8 ? character - 32 : character)
        }
        return String(decoding: output, as: UTF8.self)
    }

    public var description: String { checksummed }

    /// Set to true in a decoder's `userInfo` when it reads what this code base encoded and
    /// stored itself: the checksum was made by `encode(to:)`, so checking it again on every
    /// read (a Keccak-256 per address; a wallet is read on every order) buys nothing.
    public static let storedFormKey = CodingUserInfoKey(rawValue: "brokergate.ethereumAddress.storedForm")!

    /// Decodes the string form, with the same rules as `init(parsing:)`, except that a
    /// decoder marked with `storedFormKey` skips the checksum (the hex is still checked).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            if decoder.userInfo[Self.storedFormKey] as? Bool == true {
                try self.init(parsing: text.lowercased())
                return
            }
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\(error.message), got \(text.prefix(64))"))
        }
    }

    /// Encodes the checksummed string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(checksummed)
    }
}
