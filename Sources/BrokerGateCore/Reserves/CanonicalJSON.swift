import BrokerGateCrypto
import Foundation

/// A JSON value with exactly one byte encoding, so a signature over those bytes can be
/// checked by anyone who re-encodes the same value (or simply keeps the bytes).
///
/// The format is RFC 8785 (JCS) restricted to what reserves reports need, chosen so a
/// verifier needs nothing but its standard library:
/// - object keys sorted by Unicode code point, no duplicates;
/// - no whitespace anywhere;
/// - strings as UTF-8, escaping only `"`, `\` and the controls U+0000–U+001F (`\b \f \n
///   \r \t` by their short forms, the rest as `\u00xx` with lowercase hex); `/` and
///   non-ASCII characters are written as they are;
/// - integers only (`Int64`, plain decimal digits, `-` for negatives); no floating point
///   at all: amounts are decimal strings with a fixed scale (see `units(_:)`).
///
/// Python produces the same bytes with
/// `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`,
/// which is what `scripts/verify-reserves.py` checks.
public indirect enum CanonicalJSON: Sendable, Equatable {
    case object([String: CanonicalJSON])
    case array([CanonicalJSON])
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null

    /// Ledger units (scale 6) as an exact decimal string with all six digits: `"12.500000"`.
    /// Fixed scale rather than trimmed so equal values always have equal text.
    public static func units(_ units: Int64) -> CanonicalJSON {
        .string(Amount(units: Int128(units), scale: LedgerAsset.scale).description)
    }

    /// The canonical bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// The canonical text (the bytes as UTF-8).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Code-point order: comparing the scalars, not Swift's `String <`, which orders by
            // grapheme clusters and need not match Python's or JCS's order.
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            Self.writeString(text, into: &out)
        case .integer(let value):
            out += Array(String(value).utf8)
        case .bool(let value):
            out += Array((value ? "true" : "false").utf8)
        case .null:
            out += Array("null".utf8)
        }
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x00..<0x20: out += Array("\\u00".utf8) + Array(Hex.encode([byte]).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension CanonicalJSON: Encodable {
    /// The same value through any `Encoder` (the API embeds the report as an object next to
    /// its canonical text, for readers; verifiers use the text).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let members): try container.encode(members)
        case .array(let items): try container.encode(items)
        case .string(let text): try container.encode(text)
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}
