import BrokerGateCrypto
import Testing

@testable import BrokerGateChain

/// RLP against the examples of the Ethereum wiki's RLP page (ethereum.org/developers/docs/
/// data-structures-and-encoding/rlp), and the canonical-form rules decoding enforces.
struct RLPTests {
    static let lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit"

    static let wikiExamples: [(item: RLP.Item, hex: String)] = [
        (.bytes(Array("dog".utf8)), "83646f67"),
        (.list([.bytes(Array("cat".utf8)), .bytes(Array("dog".utf8))]), "c88363617483646f67"),
        (.bytes([]), "80"),
        (.list([]), "c0"),
        (.uint(UInt64(0)), "80"),
        (.bytes([0x00]), "00"),
        (.uint(UInt64(15)), "0f"),
        (.uint(UInt64(1024)), "820400"),
        // The set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
        (.list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])]), "c7c0c1c0c3c0c1c0"),
        (.bytes(Array(lorem.utf8)), "b838" + Hex.encode(lorem.utf8)),
    ]

    @Test func test_wikiExamples_encodeAndDecodeBack() throws {
        for (item, hex) in Self.wikiExamples {
            #expect(Hex.encode(RLP.encode(item)) == hex)
            #expect(try RLP.decode(try #require(Hex.decode(hex))) == item)
        }
    }

    @Test func test_minimalBigEndian_dropsLeadingZerosAndEncodesZeroAsEmpty() {
        #expect(RLP.minimalBigEndian(UInt64(0)) == [])
        #expect(RLP.minimalBigEndian(UInt64(1)) == [0x01])
        #expect(RLP.minimalBigEndian(UInt64(0x0100)) == [0x01, 0x00])
        #expect(RLP.minimalBigEndian(UInt64.max) == [UInt8](repeating: 0xFF, count: 8))
        #expect(RLP.minimalBigEndian(UInt128(1) << 64) == [0x01] + [UInt8](repeating: 0, count: 8))
        #expect(RLP.minimalBigEndian(UInt128.max) == [UInt8](repeating: 0xFF, count: 16))
    }

    /// A payload of 56 bytes or more takes the long form, for strings and for lists.
    @Test func test_longPayloads_useLengthOfLengthPrefix() throws {
        let bytes = [UInt8](repeating: 0xAB, count: 1024)
        #expect(Array(RLP.encode(.bytes(bytes)).prefix(3)) == [0xB9, 0x04, 0x00])
        let list = RLP.Item.list([RLP.Item](repeating: .bytes([0x01]), count: 56))
        #expect(Array(RLP.encode(list).prefix(2)) == [0xF8, 56])
        #expect(try RLP.decode(RLP.encode(list)) == list)
    }

    @Test func test_integers_roundTripAtTheirWidthLimits() throws {
        for value in [UInt64(0), 1, 127, 128, 255, 256, UInt64.max] {
            #expect(try RLP.decode(RLP.encode(.uint(value))).uint64() == value)
        }
        for value in [UInt128(0), UInt128(UInt64.max) + 1, UInt128.max] {
            #expect(try RLP.decode(RLP.encode(.uint(value))).uint128() == value)
        }
    }

    // MARK: Decoding refuses everything but the canonical form

    static let malformed: [(hex: String, error: RLP.DecodingError)] = [
        ("", .truncated),
        ("83646f", .truncated),
        ("83646f6700", .trailingBytes(1)),
        ("c0c0", .trailingBytes(1)),
        // A byte below 0x80 must stand alone.
        ("8100", .nonCanonicalSingleByte),
        ("817f", .nonCanonicalSingleByte),
        // Long form for a 3-byte string and for an empty list.
        ("b803646f67", .nonCanonicalLength),
        ("f801c0", .nonCanonicalLength),
        ("b90038" + String(repeating: "61", count: 56), .leadingZeroInLength),
        // A list whose payload is cut inside its last item.
        ("c583646f67", .truncated),
        ("c3836f67", .truncated),
        // A length of 2^64 − 1: refused without allocating or overflowing.
        ("bfffffffffffffffff", .truncated),
    ]

    @Test func test_nonCanonicalOrTruncatedInput_isRefusedWithItsReason() throws {
        for (hex, expected) in Self.malformed {
            #expect(throws: expected, "input \(hex)") { try RLP.decode(try #require(Hex.decode(hex))) }
        }
    }

    @Test func test_nestingBeyondTheLimit_isRefused() throws {
        var item = RLP.Item.list([])
        for _ in 0..<RLP.depthMax { item = .list([item]) }
        #expect(try RLP.decode(RLP.encode(item)) == item)
        #expect(throws: RLP.DecodingError.tooDeep) { try RLP.decode(RLP.encode(.list([item]))) }
    }

    @Test func test_integersWithLeadingZerosOrTooWide_areRefused() throws {
        #expect(throws: RLP.DecodingError.nonCanonicalInteger) { try RLP.Item.bytes([0x00]).uint64() }
        #expect(throws: RLP.DecodingError.nonCanonicalInteger) { try RLP.Item.bytes([0x00, 0x01]).uint128() }
        #expect(throws: RLP.DecodingError.integerOverflow(bits: 64)) { try RLP.Item.bytes([UInt8](repeating: 1, count: 9)).uint64() }
        #expect(throws: RLP.DecodingError.integerOverflow(bits: 128)) { try RLP.Item.bytes([UInt8](repeating: 1, count: 17)).uint128() }
        #expect(throws: RLP.DecodingError.unexpectedShape(expected: "a byte string")) { try RLP.Item.list([]).uint64() }
    }
}
