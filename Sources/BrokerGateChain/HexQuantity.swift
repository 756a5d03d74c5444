import BrokerGateCrypto

/// JSON-RPC's hex encodings: a *quantity* is "0x" and big-endian hex digits ("0x0",
/// "0x1a"); *data* is "0x" and two digits per byte ("0x" is no bytes).
///
/// Parsing is strict about what could change a value (missing prefix, a non-hex digit, a
/// number wider than the type) and tolerant only of leading zero digits, which some nodes
/// emit and which are unambiguous.
enum HexQuantity {
    /// Longest quantity accepted: a 256-bit word in hex. Bounds the work on a hostile answer.
    static let digitCountMax = 64

    /// Why text is not a hex quantity or hex data.
    enum ParseError: Error, Equatable, CustomStringConvertible {
        case missingPrefix
        case noDigits
        case notHex
        case oddDigitCount
        case tooWide(bits: Int)

        var description: String {
            switch self {
            case .missingPrefix: "does not start with 0x"
            case .noDigits: "has no digits after 0x"
            case .notHex: "contains a character that is not a hex digit"
            case .oddDigitCount: "has an odd number of hex digits"
            case .tooWide(let bits): "does not fit in \(bits) bits"
            }
        }
    }

    static func uint64(_ text: String) throws(ParseError) -> UInt64 {
        UInt64(try unsigned(text, bits: 64))
    }

    static func uint128(_ text: String) throws(ParseError) -> UInt128 {
        try unsigned(text, bits: 128)
    }

    /// An unsigned quantity of at most `bits` bits (64 or 128).
    private static func unsigned(_ text: String, bits: Int) throws(ParseError) -> UInt128 {
        let digits = try afterPrefix(text)
        guard !digits.isEmpty else { throw .noDigits }
        guard digits.count <= digitCountMax else { throw .tooWide(bits: bits) }
        var value: UInt128 = 0
        for character in digits {
            guard let nibble = nibble(character) else { throw .notHex }
            guard value >> (bits - 4) == 0 else { throw .tooWide(bits: bits) }
            value = value << 4 | UInt128(nibble)
        }
        return value
    }

    /// Hex data: "0x" and an even number of hex digits.
    static func bytes(_ text: String) throws(ParseError) -> [UInt8] {
        let digits = try afterPrefix(text)
        guard digits.count % 2 == 0 else { throw .oddDigitCount }
        guard let bytes = Hex.decode(String(decoding: digits, as: UTF8.self)) else { throw .notHex }
        return bytes
    }

    /// "0x" and minimal lowercase hex digits; "0x0" for zero.
    static func encode(_ value: UInt128) -> String {
        "0x" + String(value, radix: 16)
    }

    /// "0x" and two lowercase hex digits per byte.
    static func encode(bytes: [UInt8]) -> String {
        "0x" + Hex.encode(bytes)
    }

    private static func afterPrefix(_ text: String) throws(ParseError) -> ArraySlice<UInt8> {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x") else { throw .missingPrefix }
        return utf8[2...]
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
