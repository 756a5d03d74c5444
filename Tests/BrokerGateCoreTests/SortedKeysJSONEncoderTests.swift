import Foundation
import Testing

@testable import BrokerGateCore

/// `SortedKeysJSONEncoder` writes exactly what `StoredJSON.encoder()` (Foundation's
/// `JSONEncoder`) and the wire's configuration write, and leaves to them what it does not cover. Debug builds also compare every stored
/// document and event the rest of the suite writes; these cases are the edges.
struct SortedKeysJSONEncoderTests {
    private struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
        var note: String?
    }

    private struct Everything: Encodable {
        enum CodingKeys: String, CodingKey {
            case zeta, alpha, Beta, _under, a10, a9, empty, missing, nothing
            case ints, bigs, flags, when, amount, decimal, inner, inners, table, matrix, nested, list
        }
        var zeta = "last key, sorted first by byte order after the capital"
        var alpha = "slash / quote \" backslash \\ newline \n tab \t return \r bell \u{7} nul \u{0} del \u{7F} é ✓ \u{2028} 🙂"
        var Beta = ""
        var _under = "\u{8}\u{C}\u{1F}"
        var a10 = Int.min
        var a9 = Int64.max
        var empty: [Int] = []
        var missing: String? = nil
        var ints: [Int32] = [Int32.min, -1, 0, 1, Int32.max]
        var bigs: [UInt64] = [0, UInt64.max]
        var flags = [true, false]
        var when = Date(timeIntervalSince1970: 1_796_050_800.123456)
        var amount = Amount(units: -123_456_789, scale: 6)
        var decimal = Decimal(string: "12345678901234567890.123")!
        var inner = Inner(name: "n", tags: ["b", "a"], note: nil)
        var inners = [Inner(name: "x", tags: [], note: "y")]
        var table: [String: Int] = ["b": 2, "a": 1, "B": 0, "a_b": 3, "a-b": 4, "10": 5, "9": 6]
        var matrix: [[Int8]] = [[1, -2], [], [UInt8.max.description.count == 3 ? 3 : 0]]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(zeta, forKey: .zeta)
            try container.encode(alpha, forKey: .alpha)
            try container.encode(Beta, forKey: .Beta)
            try container.encode(_under, forKey: ._under)
            try container.encode(a10, forKey: .a10)
            try container.encode(a9, forKey: .a9)
            try container.encode(empty, forKey: .empty)
            try container.encodeIfPresent(missing, forKey: .missing)
            try container.encodeNil(forKey: .nothing)
            try container.encode(ints, forKey: .ints)
            try container.encode(bigs, forKey: .bigs)
            try container.encode(flags, forKey: .flags)
            try container.encode(when, forKey: .when)
            try container.encode(amount, forKey: .amount)
            try container.encode(decimal, forKey: .decimal)
            try container.encode(inner, forKey: .inner)
            try container.encode(inners, forKey: .inners)
            try container.encode(table, forKey: .table)
            try container.encode(matrix, forKey: .matrix)
            var nested = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .nested)
            try nested.encode(UInt16.max, forKey: .zeta)
            try nested.encode(Int16.min, forKey: .alpha)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode("one")
            try list.encodeNil()
            var deeper = list.nestedContainer(keyedBy: CodingKeys.self)
            try deeper.encode(UInt32.max, forKey: .Beta)
            var deepest = list.nestedUnkeyedContainer()
            try deepest.encode(UInt.max)
        }
    }

    private func foundation<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try StoredJSON.encoder().encode(value), as: UTF8.self)
    }

    private func written<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try SortedKeysJSONEncoder.encode(value, options: StoredJSON.options), as: UTF8.self)
    }

    @Test func test_everyShapeItCovers_isWrittenByteForByteAsJSONEncoderWritesIt() throws {
        let value = Everything()
        #expect(try written(value) == foundation(value))
        #expect(try written(value).hasPrefix(#"{"Beta":"","_under":"\b\f\u001f","a10":"#), "keys in byte order, capitals first")
    }

    /// The wire's configuration: slashes as they are, instants as text.
    @Test func test_theWiresOptions_matchAJSONEncoderConfiguredTheSame() throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        foundation.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode("at \(Int64(date.timeIntervalSince1970))/s")
        }
        let options = SortedKeysJSONEncoder.Options(escapesSlashes: false, dateText: { "at \(Int64($0.timeIntervalSince1970))/s" })
        let value = Everything()
        let written = try SortedKeysJSONEncoder.encode(value, options: options)
        #expect(written == Array(try foundation.encode(value)))
        #expect(String(decoding: written, as: UTF8.self).contains(#""when":"at 1796050800/s""#))
        #expect(try SortedKeysJSONEncoder.encode(value, options: options, orElse: foundation) == written)
    }

    @Test func test_topLevelScalarsAndCollections_matchJSONEncoder() throws {
        #expect(try written("a/b") == foundation("a/b"))
        #expect(try written(42) == foundation(42))
        #expect(try written([Int]()) == foundation([Int]()))
        #expect(try written(["k": [1, 2]]) == foundation(["k": [1, 2]]))
        #expect(try written(Optional<Int>.none) == foundation(Optional<Int>.none))
        #expect(try written(Identifier<Organization>(trusted: "x")) == foundation(Identifier<Organization>(trusted: "x")))
    }

    @Test func test_amounts_matchJSONEncoder_atEveryScale() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let units = Int128(Int64.random(in: -10_000_000_000_000...10_000_000_000_000, using: &random))
            let amount = Amount(units: units, scale: Int.random(in: 0...18, using: &random))
            #expect(try written([amount]) == foundation([amount]), "\(amount)")
        }
    }

    /// What it does not cover it refuses before writing anything, and `StoredJSON.encode`
    /// hands the value to `JSONEncoder`.
    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func test_whatItDoesNotCover_isLeftToJSONEncoder(_ index: Int) throws {
        struct Twice: Encodable {
            enum CodingKeys: String, CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .a)
            }
        }
        struct Super: Encodable {
            enum CodingKeys: String, CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                var inner = container.superEncoder().singleValueContainer()
                try inner.encode(1)
            }
        }
        let values: [any Encodable] = [
            ["price": 1.5], ["blob": Data([1, 2, 3])], ["ü": 1], Twice(), Super(), ["units": Int128.max],
        ]
        func check<T: Encodable>(_ value: T) throws {
            #expect(throws: SortedKeysJSONEncoder.Unsupported.self) {
                try SortedKeysJSONEncoder.encode(value, options: StoredJSON.options)
            }
            #expect(try StoredJSON.encode(value) == Array(StoredJSON.encoder().encode(value)))
        }
        try check(values[index])
    }

    /// A value whose own `encode(to:)` fails fails the same way through either writer.
    @Test func test_aValuesOwnError_comesBackAsItself() {
        struct Refused: Error {}
        struct Failing: Encodable {
            func encode(to encoder: any Encoder) throws { throw Refused() }
        }
        #expect(throws: Refused.self) { try StoredJSON.encode(["x": Failing()]) }
    }
}
