import BrokerGateTesting
import Testing

@testable import BrokerGateCrypto

/// secp256k1 key derivation, RFC 6979 signing and public-key recovery, against published
/// vectors and against itself (sign → recover) on random keys.
struct Secp256k1Tests {
    static let orderHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    static let generatorHex =
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"

    private func key(_ hex: String) throws -> Secp256k1PrivateKey {
        try Secp256k1PrivateKey(bytes: try #require(Hex.decode(hex)))
    }

    private func scalarHex(_ value: UInt64) -> String {
        String(repeating: "0", count: 48) + Hex.encode((0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }

    // MARK: Key derivation

    @Test func test_privateKeyOne_derivesTheGenerator() throws {
        #expect(Hex.encode(try key(scalarHex(1)).publicKey.uncompressed) == Self.generatorHex)
    }

    @Test func test_privateKeyTwo_derivesTwoG() throws {
        #expect(
            Hex.encode(try key(scalarHex(2)).publicKey.uncompressed)
                == "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
                + "1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a")
    }

    /// The worked example in eth-account's documentation.
    @Test func test_ethAccountDocumentationKey_derivesItsAddress() throws {
        let privateKey = try key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        #expect(privateKey.publicKey.ethereumAddress.checksummed == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
    }

    /// n − 1 is the largest valid key; its public key is −G = (Gx, p − Gy).
    @Test func test_privateKeyOrderMinusOne_derivesNegatedGenerator() throws {
        let privateKey = try key("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")
        #expect(
            Hex.encode(privateKey.publicKey.uncompressed)
                == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                + "b7c52588d95c3b9aa25b0403f1eef75702e84bb7597aabe663b82f6f04ef2777")
        #expect(privateKey.publicKey.ethereumAddress.checksummed == "0x80C0dbf239224071c59dD8970ab9d542E3414aB2")
    }

    @Test(arguments: [
        String(repeating: "0", count: 64),  // zero
        orderHex,  // n
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",  // n + 1
        String(repeating: "f", count: 64),  // 2^256 − 1
        String(repeating: "01", count: 31),  // too short
        String(repeating: "01", count: 33),  // too long
    ])
    func test_privateKey_outsideOneToOrderMinusOne_isRejected(hex: String) throws {
        let bytes = try #require(Hex.decode(hex))
        #expect(throws: EthereumCryptoError.invalidPrivateKey) { try Secp256k1PrivateKey(bytes: bytes) }
    }

    @Test func test_privateKey_neverPrintsItsValue() throws {
        let privateKey = try key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        #expect("\(privateKey)" == "Secp256k1PrivateKey(redacted)")
        #expect(!String(reflecting: privateKey).contains("4c0883"))
        var dumped = ""
        dump(privateKey, to: &dumped)
        #expect(!dumped.contains(String(0xfe51_2961_7082_792a as UInt64)), "dump must not show the limbs: \(dumped)")
        #expect(!dumped.contains("l0"))
    }

    @Test func test_generatedKeys_areDistinctAndRoundTripThroughBytes() throws {
        let first = Secp256k1PrivateKey.generate()
        let second = Secp256k1PrivateKey.generate()
        #expect(first.bytes != second.bytes)
        #expect(try Secp256k1PrivateKey(bytes: first.bytes).publicKey == first.publicKey)
    }

    // MARK: Public keys

    @Test func test_publicKey_acceptsCurvePointsWithOrWithoutPrefix() throws {
        let bytes = try #require(Hex.decode(Self.generatorHex))
        #expect(try Secp256k1PublicKey(uncompressed: bytes).uncompressed == bytes)
        #expect(try Secp256k1PublicKey(uncompressed: [0x04] + bytes).uncompressed == bytes)
    }

    @Test func test_publicKey_offCurveOrOutOfFieldOrWrongLength_isRejected() throws {
        var offCurve = try #require(Hex.decode(Self.generatorHex))
        offCurve[63] ^= 1
        let xAboveP = [UInt8](repeating: 0xFF, count: 32) + Array(offCurve[32...])
        let generator = try #require(Hex.decode(Self.generatorHex))
        for bad in [offCurve, xAboveP, Array(generator.dropLast()), [0x02] + generator, [UInt8](repeating: 0, count: 64)] {
            #expect(throws: EthereumCryptoError.invalidPublicKey) { try Secp256k1PublicKey(uncompressed: bad) }
        }
    }

    // MARK: Signing and recovery

    /// 200 keys and digests from a seeded generator, so a failure names a reproducible case.
    @Test func test_signThenRecover_roundTripsFor200RandomKeys() throws {
        var random = SeededRandom(seed: 0x5EED_B40C_E6A7_E000)
        for round in 0..<200 {
            let privateKey = Secp256k1PrivateKey.generate(using: &random)
            let digest = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
            let signature = privateKey.sign(digest32: digest)
            let scalarS = try #require(Scalar(nonZeroCanonicalBytes: signature.s))
            #expect(scalarS.isHighMask == 0, "round \(round): s must be low")
            let recovered = try Secp256k1.recover(digest32: digest, signature: signature)
            #expect(recovered == privateKey.publicKey, "round \(round)")
        }
    }

    @Test func test_recover_withADifferentDigest_givesADifferentKey() throws {
        let privateKey = try key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let signature = privateKey.sign(digest32: Keccak256.hash("pay 10".utf8))
        let recovered = try Secp256k1.recover(digest32: Keccak256.hash("pay 99".utf8), signature: signature)
        #expect(recovered != privateKey.publicKey)
    }

    /// Published RFC 6979 / secp256k1 vectors (the python-ecdsa and Trezor test set), low-s;
    /// eth-keys reproduces them as well. The digest is SHA-256 of the quoted message.
    @Test(arguments: [
        // Key 1, SHA-256("Satoshi Nakamoto").
        (
            "0000000000000000000000000000000000000000000000000000000000000001",
            "a0dc65ffca799873cbea0ac274015b9526505daaaed385155425f7337704883e",
            "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8",
            "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
        ),
        // Key 1, SHA-256("All those moments will be lost in time, like tears in rain. Time to die...").
        (
            "0000000000000000000000000000000000000000000000000000000000000001",
            "7d1833f54854ac51659521afcd0ec6dca2ce2351429614bfa28a756b1b3c637f",
            "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b",
            "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21"
        ),
        // Key n − 1, SHA-256("Satoshi Nakamoto").
        (
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
            "a0dc65ffca799873cbea0ac274015b9526505daaaed385155425f7337704883e",
            "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0",
            "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5"
        ),
        // SHA-256("Alan Turing").
        (
            "f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181",
            "4ba38d48a60f1b29e9eb726eaff08b2e83d8d81e031666fee50e85900d7dc1ef",
            "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c",
            "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea"
        ),
    ])
    func test_sign_matchesPublishedRFC6979Vectors(vector: (key: String, digest: String, r: String, s: String)) throws {
        let digest = try #require(Hex.decode(vector.digest))
        let signature = try key(vector.key).sign(digest32: digest)
        #expect(Hex.encode(signature.r) == vector.r)
        #expect(Hex.encode(signature.s) == vector.s)
        #expect(try Secp256k1.recover(digest32: digest, signature: signature) == key(vector.key).publicKey)
    }

    @Test func test_sign_isDeterministicPerKeyAndDigest() throws {
        let privateKey = try key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let digest = Keccak256.hash("nonce 1".utf8)
        #expect(privateKey.sign(digest32: digest) == privateKey.sign(digest32: digest))
        #expect(privateKey.sign(digest32: digest).r != privateKey.sign(digest32: Keccak256.hash("nonce 2".utf8)).r)
    }

    /// (r, n − s) with the other recovery id is the same signer; see `Secp256k1.recover`.
    @Test func test_recover_acceptsHighSAsTheSameSigner() throws {
        let privateKey = try key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let digest = Keccak256.hash("hello".utf8)
        let low = privateKey.sign(digest32: digest)
        let highS = (-(try #require(Scalar(nonZeroCanonicalBytes: low.s)))).bytes
        let high = try RecoverableSignature(r: low.r, s: highS, recoveryID: low.recoveryID ^ 1)
        #expect(try Secp256k1.recover(digest32: digest, signature: high) == privateKey.publicKey)
    }

    @Test func test_signature_withROrSOutOfRange_isRejected() throws {
        let one = try #require(Hex.decode(scalarHex(1)))
        let zero = [UInt8](repeating: 0, count: 32)
        let order = try #require(Hex.decode(Self.orderHex))
        for (r, s) in [(zero, one), (one, zero), (order, one), (one, order)] {
            #expect(throws: EthereumCryptoError.signatureOutOfRange) {
                try RecoverableSignature(r: r, s: s, recoveryID: 0)
            }
        }
        #expect(throws: EthereumCryptoError.unsupportedRecoveryID(2)) {
            try RecoverableSignature(r: one, s: one, recoveryID: 2)
        }
        #expect(throws: EthereumCryptoError.malformedSignature) {
            try RecoverableSignature(r: Array(one.dropFirst()), s: one, recoveryID: 0)
        }
    }

    /// x = 5 has no curve point (5³ + 7 is not a square mod p), so no R exists for r = 5.
    @Test func test_recover_withRNotAnXCoordinate_isUnrecoverable() throws {
        let signature = try RecoverableSignature(
            r: try #require(Hex.decode(scalarHex(5))), s: try #require(Hex.decode(scalarHex(1))), recoveryID: 0)
        #expect(throws: EthereumCryptoError.unrecoverableSignature) {
            try Secp256k1.recover(digest32: Keccak256.hash([]), signature: signature)
        }
    }

    // MARK: Arithmetic edges

    @Test func test_fieldAndScalar_minusOneSquared_isOne() {
        let minusOneField = -FieldElement.one
        #expect((minusOneField * minusOneField).equalMask(.one) != 0)
        let minusOneScalar = -Scalar.one
        #expect((minusOneScalar * minusOneScalar).value.equalMask(Scalar.one.value) != 0)
        #expect((-Scalar.zero).isZeroMask != 0)
        #expect((-FieldElement.zero).isZeroMask != 0)
    }

    @Test func test_inverses_timesTheirValue_areOne() {
        var random = SeededRandom(seed: 42)
        for _ in 0..<20 {
            let limbs = (0..<4).map { _ in random.next() }
            let raw = UInt256(l0: limbs[0], l1: limbs[1], l2: limbs[2], l3: limbs[3])
            let field = FieldElement(reducing: raw)
            let scalar = Scalar(reducing: raw)
            #expect((field * field.inverted()).equalMask(.one) != 0)
            #expect((scalar * scalar.inverted()).value.equalMask(Scalar.one.value) != 0)
        }
    }
}
