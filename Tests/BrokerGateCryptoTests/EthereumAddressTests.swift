import Foundation
import Testing

@testable import BrokerGateCrypto

/// EIP-55 checksums and the parsing rules for addresses partners send us.
struct EthereumAddressTests {
    /// The examples listed in EIP-55 itself.
    static let eip55Examples = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]

    @Test(arguments: eip55Examples)
    func test_eip55Examples_checksumFromLowercase(example: String) throws {
        let address = try EthereumAddress(parsing: example.lowercased())
        #expect(address.checksummed == example)
        #expect(try EthereumAddress(parsing: example) == address)
    }

    @Test(arguments: eip55Examples)
    func test_allUppercaseHex_isAcceptedAsUnchecksummed(example: String) throws {
        let upper = "0x" + example.dropFirst(2).uppercased()
        #expect(try EthereumAddress(parsing: upper).checksummed == example)
    }

    /// Flipping the case of one letter keeps the bytes but breaks the checksum: a typo.
    @Test(arguments: eip55Examples)
    func test_mixedCaseWithWrongChecksum_isRejected(example: String) {
        var characters = Array(example)
        let letter = characters.indices.dropFirst(2).first { characters[$0].isLetter }!
        characters[letter] = Character(
            characters[letter].isUppercase ? characters[letter].lowercased() : characters[letter].uppercased())
        #expect(throws: EthereumCryptoError.addressChecksumMismatch) {
            try EthereumAddress(parsing: String(characters))
        }
    }

    @Test(arguments: [
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // no 0x
        "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // 0X
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  // 39 digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",  // 42 digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",  // not hex
        " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  // whitespace
        "",
    ])
    func test_malformedAddress_isRejected(text: String) {
        #expect(throws: EthereumCryptoError.malformedAddress) { try EthereumAddress(parsing: text) }
    }

    @Test func test_codable_writesChecksummedAndReadsAnyValidCase() throws {
        let address = try EthereumAddress(parsing: Self.eip55Examples[0].lowercased())
        let json = try JSONEncoder().encode([address])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(Self.eip55Examples[0])\"]")
        #expect(try JSONDecoder().decode([EthereumAddress].self, from: json) == [address])
        let typo = Data("[\"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"]".utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([EthereumAddress].self, from: typo) }
    }

    /// What the stores read back they wrote checksummed themselves: a decoder marked with
    /// `storedFormKey` reads the same bytes without recomputing the checksum, and still
    /// refuses text that is not an address at all.
    @Test func test_storedFormDecoder_readsTheSameAddressAndStillRejectsMalformedText() throws {
        let decoder = JSONDecoder()
        decoder.userInfo[EthereumAddress.storedFormKey] = true
        let addresses = try Self.eip55Examples.map { try EthereumAddress(parsing: $0) }
        let json = try JSONEncoder().encode(addresses)
        #expect(try decoder.decode([EthereumAddress].self, from: json) == addresses)
        let malformed = Data("[\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg\"]".utf8)
        #expect(throws: DecodingError.self) { try decoder.decode([EthereumAddress].self, from: malformed) }
    }
}
