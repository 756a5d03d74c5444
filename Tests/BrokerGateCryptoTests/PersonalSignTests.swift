import Testing

@testable import BrokerGateCrypto

/// EIP-191 personal_sign: the digest layout, recovery of wallet signatures made by
/// eth-account (`PersonalSignVectors`), and refusal of malformed signatures.
struct PersonalSignTests {
    /// eth-account's `_hash_eip191_message(encode_defunct(text="hello"))`.
    @Test func test_digest_matchesEthAccountForHello() {
        #expect(
            Hex.encode(PersonalSign.digest(message: Array("hello".utf8)))
                == "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750")
    }

    /// Guards the fixtures themselves: the literals must keep the lengths that exercise
    /// Keccak's padding edges, multi-byte UTF-8 and a 4-digit length prefix.
    @Test func test_vectors_coverEmptyRateEdgesUTF8AndOneKilobyte() {
        let lengths = Set(PersonalSignVectors.all.map { $0.message.utf8.count })
        #expect(lengths.isSuperset(of: [0, 135, 136, 137, 1024]))
        #expect(PersonalSignVectors.all.contains { $0.message.utf8.count > $0.message.unicodeScalars.count })
    }

    @Test func test_ethAccountSignatures_recoverTheSignersAddress() throws {
        for vector in PersonalSignVectors.all {
            let recovered = try PersonalSign.recoverAddress(message: Array(vector.message.utf8), signatureHex: vector.signatureHex)
            #expect(recovered.checksummed == vector.address, "message \(vector.message.prefix(40).debugDescription)")
        }
    }

    /// Byte-for-byte equality checks RFC 6979 nonces and low-s normalization against an
    /// independent implementation, and key derivation against eth-account's addresses.
    @Test func test_ourSignatures_equalEthAccountsByteForByte() throws {
        for vector in PersonalSignVectors.all {
            let key = try Secp256k1PrivateKey(bytes: try #require(Hex.decode(vector.privateKeyHex)))
            #expect(key.publicKey.ethereumAddress.checksummed == vector.address)
            #expect(PersonalSign.sign(message: Array(vector.message.utf8), with: key) == vector.signatureHex)
        }
    }

    @Test func test_signatureWithoutPrefixOrWithZeroOneV_recoversTheSameAddress() throws {
        let vector = PersonalSignVectors.all[3]
        let message = Array(vector.message.utf8)
        var bytes = try #require(Hex.decode(String(vector.signatureHex.dropFirst(2))))
        #expect(try PersonalSign.recoverAddress(message: message, signatureHex: Hex.encode(bytes)).checksummed == vector.address)
        bytes[64] -= 27
        #expect(try PersonalSign.recoverAddress(message: message, signatureHex: "0x" + Hex.encode(bytes)).checksummed == vector.address)
    }

    /// eth-account's `recover_message` accepts (r, n − s, v ^ 1) too; so do we.
    @Test func test_highSVariant_recoversTheSameAddress() throws {
        let vector = PersonalSignVectors.all[1]
        let bytes = try #require(Hex.decode(String(vector.signatureHex.dropFirst(2))))
        let low = try RecoverableSignature(ethereumBytes: bytes)
        let highS = (-(try #require(Scalar(nonZeroCanonicalBytes: low.s)))).bytes
        let high = try RecoverableSignature(r: low.r, s: highS, recoveryID: low.recoveryID ^ 1)
        let recovered = try PersonalSign.recoverAddress(message: Array(vector.message.utf8), signatureHex: Hex.encode(high.ethereumBytes))
        #expect(recovered.checksummed == vector.address)
    }

    @Test func test_signatureOverADifferentMessage_recoversADifferentAddress() throws {
        let vector = PersonalSignVectors.all[3]
        let recovered = try PersonalSign.recoverAddress(message: Array((vector.message + "x").utf8), signatureHex: vector.signatureHex)
        #expect(recovered.checksummed != vector.address)
    }

    @Test func test_malformedSignatures_areRejectedWithActionableErrors() throws {
        let good = String(PersonalSignVectors.all[0].signatureHex.dropFirst(2))
        let r = String(good.prefix(64))
        let s = String(good.dropFirst(64).prefix(64))
        let zero = String(repeating: "0", count: 64)
        let order = Secp256k1Tests.orderHex
        let cases: [(String, EthereumCryptoError)] = [
            ("", .malformedSignature),
            ("0x", .malformedSignature),
            (String(good.dropLast(2)), .malformedSignature),  // 64 bytes
            (good + "00", .malformedSignature),  // 66 bytes
            ("0x0x" + good.dropFirst(4), .malformedSignature),
            (String(good.dropLast()) + "g", .malformedSignature),
            (r + s + "1d", .unsupportedRecoveryID(29)),
            (r + s + "25", .unsupportedRecoveryID(37)),  // EIP-155 style v with chain id 1
            (zero + s + "1b", .signatureOutOfRange),
            (r + zero + "1b", .signatureOutOfRange),
            (order + s + "1b", .signatureOutOfRange),
            (r + order + "1c", .signatureOutOfRange),
        ]
        for (signatureHex, expected) in cases {
            #expect(throws: expected, "\(signatureHex)") {
                try PersonalSign.recoverAddress(message: Array("hello".utf8), signatureHex: signatureHex)
            }
        }
        #expect(EthereumCryptoError.malformedSignature.message.contains("65 bytes of hex (r, s, v)"))
    }
}
