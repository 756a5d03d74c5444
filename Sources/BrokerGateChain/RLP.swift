/// Recursive Length Prefix, Ethereum's serialization for transactions and for the input of
/// contract-address derivation (Yellow Paper, appendix B).
///
/// Decoding is strict, as geth's is: every item must be in its one canonical encoding, so
/// a signed transaction has exactly one byte form and its hash is a stable identity.
public enum RLP {
    /// An RLP value: a byte string or a list of items.
    public enum Item: Sendable, Hashable {
        case bytes([UInt8])
        case list([Item])
    }

    /// Nesting deeper than this is refused when decoding; Ethereum's own structures nest at
    /// most three levels (a transaction's access list), and recursion must stay bounded.
    public static let depthMax = 16

    // MARK: Encoding

    /// The canonical encoding of `item`.
    public static func encode(_ item: Item) -> [UInt8] {
        var output: [UInt8] = []
        append(item, to: &output)
        return output
    }

    private static func append(_ item: Item, to output: inout [UInt8]) {
        switch item {
        case .bytes(let bytes):
            if bytes.count == 1, bytes[0] < 0x80 {
                output.append(bytes[0])
            } else {
                appendHeader(length: bytes.count, shortOffset: 0x80, to: &output)
                output.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload: [UInt8] = []
            for child in items { append(child, to: &payload) }
            appendHeader(length: payload.count, shortOffset: 0xC0, to: &output)
            output.append(contentsOf: payload)
        }
    }

    /// Short form (offset + length) up to 55 bytes; beyond that, offset + 55 + the size of
    /// the big-endian length, then the length itself.
    private static func appendHeader(length: Int, shortOffset: UInt8, to output: inout [UInt8]) {
        if length <= 55 {
            output.append(shortOffset + UInt8(length))
        } else {
            let lengthBytes = minimalBigEndian(UInt64(length))
            output.append(shortOffset + 55 + UInt8(lengthBytes.count))
            output.append(contentsOf: lengthBytes)
        }
    }

    /// An unsigned integer as RLP wants it: big-endian with no leading zero bytes, so 0 is
    /// the empty string (0x80 on the wire), never 0x00.
    public static func minimalBigEndian(_ value: UInt64) -> [UInt8] {
        minimalBigEndian(UInt128(value))
    }

    /// See `minimalBigEndian(_: UInt64)`; fees and values in wei need 128 bits.
    public static func minimalBigEndian(_ value: UInt128) -> [UInt8] {
        let byteCount = (128 - value.leadingZeroBitCount + 7) / 8
        return (0..<byteCount).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// Big-endian bytes with leading zeros removed, e.g. a 32-byte signature scalar.
    public static func strippingLeadingZeros(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.drop { $0 == 0 })
    }

    // MARK: Decoding

    /// Decodes exactly one item that spans all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Item {
        var reader = Reader(bytes: bytes[...])
        let item = try reader.item(depth: 0)
        guard reader.bytes.isEmpty else { throw .trailingBytes(reader.bytes.count) }
        return item
    }

    /// Reads items from the front of a byte slice, checking every canonical-form rule.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func item(depth: Int) throws(DecodingError) -> Item {
            guard depth <= RLP.depthMax else { throw .tooDeep }
            guard let prefix = bytes.popFirst() else { throw .truncated }
            switch prefix {
            case 0x00...0x7F:
                return .bytes([prefix])
            case 0x80...0xBF:
                let payload = try take(try length(prefix: prefix, shortOffset: 0x80))
                if payload.count == 1, payload[payload.startIndex] < 0x80 { throw .nonCanonicalSingleByte }
                return .bytes(Array(payload))
            default:
                var list = Reader(bytes: try take(try length(prefix: prefix, shortOffset: 0xC0)))
                var items: [Item] = []
                while !list.bytes.isEmpty { items.append(try list.item(depth: depth + 1)) }
                return .list(items)
            }
        }

        /// The payload length announced by `prefix` (and, in long form, the bytes after it).
        mutating func length(prefix: UInt8, shortOffset: UInt8) throws(DecodingError) -> Int {
            let short = Int(prefix - shortOffset)
            guard short > 55 else { return short }
            let lengthBytes = try take(short - 55)
            guard lengthBytes.first != 0 else { throw .leadingZeroInLength }
            // At most 8 length bytes; a length past the input fails in `take` anyway, so
            // anything over 2^32 is simply truncated input.
            guard lengthBytes.count <= 4 else { throw .truncated }
            let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
            guard length > 55 else { throw .nonCanonicalLength }
            return length
        }

        mutating func take(_ count: Int) throws(DecodingError) -> ArraySlice<UInt8> {
            guard count <= bytes.count else { throw .truncated }
            defer { bytes = bytes.dropFirst(count) }
            return bytes.prefix(count)
        }
    }

    /// Why bytes are not the canonical RLP of one item (or of the value expected there).
    public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A length points past the end of the input.
        case truncated
        /// Bytes remain after the one top-level item (the count is attached).
        case trailingBytes(Int)
        /// A single byte below 0x80 wrapped in a string header instead of standing alone.
        case nonCanonicalSingleByte
        /// The long length form used for a length of 55 or less.
        case nonCanonicalLength
        /// A long-form length that starts with a zero byte.
        case leadingZeroInLength
        /// Lists nested deeper than `RLP.depthMax`.
        case tooDeep
        /// A list where a byte string belongs, or the reverse.
        case unexpectedShape(expected: String)
        /// An integer with leading zero bytes, or wider than its type.
        case nonCanonicalInteger
        case integerOverflow(bits: Int)

        public var code: String { "malformed_rlp" }

        public var message: String {
            switch self {
            case .truncated: "RLP length points past the end of the input"
            case .trailingBytes(let count): "\(count) bytes follow the RLP item"
            case .nonCanonicalSingleByte: "RLP single byte below 0x80 must not carry a string header"
            case .nonCanonicalLength: "RLP long length form used for a length of 55 or less"
            case .leadingZeroInLength: "RLP long-form length starts with a zero byte"
            case .tooDeep: "RLP lists nest deeper than \(RLP.depthMax) levels"
            case .unexpectedShape(let expected): "RLP item is not \(expected)"
            case .nonCanonicalInteger: "RLP integer has leading zero bytes"
            case .integerOverflow(let bits): "RLP integer does not fit in \(bits) bits"
            }
        }

        public var description: String { "\(code): \(message)" }
    }
}

extension RLP.Item {
    /// An unsigned integer, minimally encoded.
    public static func uint(_ value: UInt64) -> RLP.Item { .bytes(RLP.minimalBigEndian(value)) }

    /// An unsigned integer, minimally encoded.
    public static func uint(_ value: UInt128) -> RLP.Item { .bytes(RLP.minimalBigEndian(value)) }

    /// The payload of a byte string.
    public func byteString() throws(RLP.DecodingError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw .unexpectedShape(expected: "a byte string") }
        return bytes
    }

    /// The items of a list.
    public func listItems() throws(RLP.DecodingError) -> [RLP.Item] {
        guard case .list(let items) = self else { throw .unexpectedShape(expected: "a list") }
        return items
    }

    /// A canonical unsigned integer: no leading zero bytes, at most 8 bytes.
    public func uint64() throws(RLP.DecodingError) -> UInt64 {
        UInt64(try unsignedInteger(bits: 64))
    }

    /// A canonical unsigned integer: no leading zero bytes, at most 16 bytes.
    public func uint128() throws(RLP.DecodingError) -> UInt128 {
        try unsignedInteger(bits: 128)
    }

    private func unsignedInteger(bits: Int) throws(RLP.DecodingError) -> UInt128 {
        let bytes = try byteString()
        guard bytes.first != 0 else { throw .nonCanonicalInteger }
        guard bytes.count <= bits / 8 else { throw .integerOverflow(bits: bits) }
        return bytes.reduce(0) { $0 << 8 | UInt128($1) }
    }
}
