import Testing

@testable import BrokerGateCrypto

/// Keccak-256 against published vectors. The long-input digests were cross-checked with
/// pycryptodome's Keccak (through eth-hash); the 200 × 0xA3 one is the Keccak team's
/// 1600-bit test message.
struct Keccak256Tests {
    private func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(Keccak256.hash(bytes)) }

    @Test func test_emptyInput_matchesPublishedDigest() {
        #expect(hex([]) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }

    @Test func test_abc_matchesPublishedDigest() {
        #expect(hex("abc".utf8) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
    }

    @Test func test_quickBrownFox_matchesPublishedDigest() {
        #expect(
            hex("The quick brown fox jumps over the lazy dog".utf8)
                == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
    }

    @Test func test_200BytesCrossingTheRate_matchesPublishedDigest() {
        #expect(
            hex([UInt8](repeating: 0xA3, count: 200))
                == "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a")
    }

    /// 136 bytes fill the rate exactly, so padding needs a whole extra block.
    @Test func test_exactRateLength_padsIntoAnExtraBlock() {
        #expect(hex((0..<136).map { UInt8($0) }) == "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e")
    }

    /// 135 bytes leave one free byte, where the 0x01 and 0x80 padding bits share 0x81.
    @Test func test_rateMinusOne_sharesThePaddingByte() {
        #expect(
            hex([UInt8](repeating: 0x61, count: 135)) == "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446")
        #expect(
            hex([UInt8](repeating: 0x61, count: 137)) == "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39")
    }

    /// Ethereum's Keccak is not NIST SHA3-256 (different padding): SHA3-256("") is a7ffc6f8….
    @Test func test_emptyInput_differsFromSHA3() {
        #expect(hex([]) != "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    }

    @Test func test_streamingInChunks_equalsOneShot() {
        let input = (0..<1000).map { UInt8($0 % 256) }
        let expected = "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82"
        #expect(hex(input) == expected)
        for chunkSize in [1, 7, 135, 136, 137, 999] {
            var hasher = Keccak256()
            for start in stride(from: 0, to: input.count, by: chunkSize) {
                hasher.update(input[start..<min(start + chunkSize, input.count)])
            }
            #expect(Hex.encode(hasher.finalize()) == expected, "chunk size \(chunkSize)")
        }
    }
}
