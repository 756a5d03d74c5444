import BrokerGateCore

/// Writes a hot response's JSON by hand, byte for byte what `WireJSON.encoder()` writes for
/// the same DTO (keys sorted, slashes unescaped, amounts as their exact canonical digits).
///
/// Why: Foundation's `JSONEncoder` (a new encoder per response, boxed containers, every
/// `Amount` through `Decimal(string:locale:)`) was the larger part of an authenticated
/// portfolio read's own CPU. Only flat, fixed shapes are written this way, and only when every
/// string is printable ASCII without `"` or `\`: anything that would need an escape makes
/// `string(_:)` report false and the caller falls back to `JSONEncoder`, so the two can never
/// differ in how they escape. `WireJSONWriterTests` pins the bytes against `JSONEncoder`.
struct WireJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// False once a string needed escaping: the caller must use `JSONEncoder` instead.
    private(set) var isExact = true

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// `"name":`, preceded by a comma unless it is the object's first key. Names are our
    /// own ASCII keys, passed in the order `.sortedKeys` writes them.
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string value; marks the writer inexact (see the type's comment) instead of escaping.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else {
                isExact = false
                return
            }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An amount as a JSON number: its exact digits, trailing zeros trimmed, never an
    /// exponent (what `Amount.encode(to:)` writes through `Decimal`).
    mutating func number(_ amount: Amount) {
        bytes.append(contentsOf: amount.trimmedDescription.utf8)
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
