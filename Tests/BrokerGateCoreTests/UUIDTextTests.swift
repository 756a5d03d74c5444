import BrokerGateCore
import BrokerGateCrypto
import BrokerGateTesting
import Foundation
import Testing

/// `UUIDText` replaces Foundation's UUID parsing and printing on the hot path. On every
/// well-formed UUID it gives what `UUID(uuidString:)?.uuidString.lowercased()` gives; every
/// other text it refuses, including those Foundation's scanf-based parser on Linux let
/// through and turned into another id (" f2504e0-…" became "f2504e00-…", "…33-1" became
/// "…33ff"): a malformed id must name nothing.
struct UUIDTextTests {
    static let accepted = [
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "aBcDeF01-2345-6789-abcd-EF0123456789",
    ]
    static let refused = [
        "", "3f2504e0-4f89-11d3-9a0c-0305e82c330", "3f2504e0-4f89-11d3-9a0c-0305e82c33011", "3f2504e04f89-11d3-9a0c-0305e82c3301-",
        "3f2504e0_4f89_11d3_9a0c_0305e82c3301", "3f2504g0-4f89-11d3-9a0c-0305e82c3301", " f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-11d3-9a0c-0305e82c33é", "{3f2504e0-4f89-11d3-9a0c-0305e82c33}", "3f2504e0-4f89-11d3-9a0c-0305e82c33\u{0}1",
        "3f2504e0-4f8-911d3-9a0c-0305e82c3301", " f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c33-1",
        "3f2504e0-4f89-11d3-9a0c-0305e82c33 1",
    ]

    /// The oracle: 8-4-4-4-12 hex digits in either case.
    static func wellFormed(_ text: String) -> Bool {
        text.range(of: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", options: .regularExpression) != nil
    }

    static func expected(_ text: String) -> String? {
        wellFormed(text) ? UUID(uuidString: text)?.uuidString.lowercased() : nil
    }

    @Test func test_canonical_onFixedCases() {
        for text in Self.accepted {
            #expect(UUIDText.canonical(text) != nil && UUIDText.canonical(text) == Self.expected(text), "\(text)")
        }
        for text in Self.refused { #expect(UUIDText.canonical(text) == nil, "\(text)") }
    }

    @Test func test_canonical_onMutatedUUIDs() {
        var random = SeededRandom(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEFgG-_ {}é".unicodeScalars)
        for _ in 0..<5_000 {
            var scalars = Array(UUID().uuidString.unicodeScalars)
            let position = Int(random.next() % UInt64(scalars.count))
            scalars[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            let text = String(String.UnicodeScalarView(scalars))
            #expect(UUIDText.canonical(text) == Self.expected(text), "\(text)")
        }
    }

    @Test func test_random_isALowercaseVersion4UUID_andDistinct() {
        let made = (0..<1_000).map { _ in UUIDText.random() }
        #expect(Set(made).count == made.count)
        for text in made {
            #expect(UUID(uuidString: text)?.uuidString.lowercased() == text)
            let bytes = Array(text.utf8)
            #expect(bytes[14] == UInt8(ascii: "4") && "89ab".utf8.contains(bytes[19]), "\(text)")
        }
    }

    @Test func test_version7_carriesItsMillisecond_andSortsByTime() {
        let instant = Date(timeIntervalSince1970: 1_796_050_800.123)
        let made = (0..<200).map { UUIDText.version7(at: instant.addingTimeInterval(Double($0) / 1000)) }
        #expect(made.sorted() == made)
        for text in made {
            #expect(UUID(uuidString: text)?.uuidString.lowercased() == text)
            let bytes = Array(text.utf8)
            #expect(bytes[14] == UInt8(ascii: "7") && "89ab".utf8.contains(bytes[19]), "\(text)")
        }
        // The first 48 bits are the Unix time in milliseconds.
        let hex = made[0].replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(hex, radix: 16) == 1_796_050_800_123)
        let millis = made.map { UUIDText.version7Instant($0).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } }
        #expect(millis == made.indices.map { 1_796_050_800_123 + Int64($0) })
        #expect(UUIDText.version7Instant(UUIDText.random()) == nil, "version 4: no instant")
        #expect(UUIDText.version7Instant("0190abcd-ef0g-7000-8000-000000000000") == nil)
    }

    /// Time-ordered ids (SQLite's and the memory store's) are version 7 UUIDs of the wall clock,
    /// so ids made later sort after ids made earlier and new index entries land next to each
    /// other; random ones (PostgreSQL's) are version 4.
    @Test func test_identifierOrders_timeOrderedIsVersion7OfTheWallClock_randomIsVersion4() async throws {
        let before = Date()
        let first = IdentifierOrder.timeOrdered.newIdentifier()
        try await Task.sleep(for: .milliseconds(3))
        let second = IdentifierOrder.timeOrdered.newIdentifier()
        let after = Date()
        #expect(first < second, "made later, sorts after")
        for text in [first, second] {
            let bytes = Array(text.utf8)
            #expect(bytes[14] == UInt8(ascii: "7") && "89ab".utf8.contains(bytes[19]), "\(text)")
            let made = try #require(UUIDText.version7Instant(text))
            #expect(made >= before.addingTimeInterval(-0.001) && made <= after, "\(text) made at \(made)")
        }
        let many = Set((0..<10_000).map { _ in IdentifierOrder.timeOrdered.newIdentifier() })
        #expect(many.count == 10_000, "74 random bits: no collisions within a millisecond")
        let random = Array(IdentifierOrder.random.newIdentifier().utf8)
        #expect(random[14] == UInt8(ascii: "4") && "89ab".utf8.contains(random[19]))
    }

    /// `named` prints the first 128 bits of the name's Keccak-256, version 8 and the RFC 9562
    /// variant set: checked byte by byte against Foundation's parse of the text.
    @Test func test_named_printsTheDigestsBits() throws {
        for name in ["", "vault", "wrapper/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "ü"] {
            let text = UUIDText.named(name)
            let uuid = try #require(UUID(uuidString: text))
            #expect(uuid.uuidString.lowercased() == text)
            var expected = Array(Keccak256.hash(Array(name.utf8))[0..<16])
            expected[6] = expected[6] & 0x0F | 0x80
            expected[8] = expected[8] & 0x3F | 0x80
            let printed = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(printed == expected, "\(name): \(text)")
            #expect(UUIDText.named(name) == text, "the same name, the same id")
        }
    }
}
