// Amounts on the wire. Dinari's SDK types are Python floats, so amounts travel as JSON
// numbers, but we never let a binary float touch them: Foundation's `Decimal` is the bridge,
// because swift-foundation's JSONEncoder writes a `Decimal` as its exact digits and
// JSONDecoder builds a `Decimal` from the number's text, not through `Double`
// (MoneyJSONTests pin both). Its one gap: JSONDecoder keeps only the first 38-39 significant
// digits of a longer number and drops the rest silently (`1.000…0001` with 40 zeros reads
// as `1`). `JSONNumberGuard` closes that gap on the raw body.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Amount: Codable {
    /// Encodes as a JSON number rendered from the exact value, trailing zeros trimmed
    /// (`1.50` → `1.5`: a JSON number carries a value, not a scale). Never scientific.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalValue)
    }

    /// Decodes a JSON number or a decimal string, exactly, at the smallest scale that holds
    /// the value (≤ 18); callers then enforce the field's precision with
    /// `requiringScale(_:field:)`, since `Codable` has no scale parameter.
    ///
    /// Failures are `DecodingError.dataCorrupted` whose `underlyingError` is an
    /// `AmountError.field(path, …)` naming the coding path, e.g. `payment_amount`.
    /// Only JSON numbers of at most 38 significant digits are read exactly: run
    /// `JSONNumberGuard.check(_:)` on the request body first to reject longer ones.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let read: () throws(AmountError) -> Amount
        // String first: a decoder configured to read "NaN" as a number must not get the chance.
        if let text = try? container.decode(String.self) {
            read = { () throws(AmountError) in try Amount(parsingAtNaturalScale: text) }
        } else {
            // null, booleans and objects fail here with the decoder's own error.
            let decimal = try container.decode(Decimal.self)
            read = { () throws(AmountError) in try Amount(exactly: decimal) }
        }
        do throws(AmountError) {
            self = try read()
        } catch {
            let named = error.naming(Amount.fieldPath(decoder.codingPath))
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: named.message,
                    underlyingError: named))
        }
    }

    /// `a.b[2].c` from a coding path, so a message points at the offending field.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue {
                name += "[\(index)]"
            } else {
                name += (name.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return name.isEmpty ? "amount" : name
    }
}

extension Amount {
    /// The exact value as a Foundation `Decimal` (whose 128-bit mantissa holds every `Int128`).
    public var decimalValue: Decimal {
        // The POSIX locale is passed explicitly: the text always uses "." as its point.
        guard
            let decimal = Decimal(
                string: trimmedDescription, locale: Locale(identifier: "en_US_POSIX"))
        else { preconditionFailure("Decimal rejected canonical amount text \(trimmedDescription)") }
        return decimal
    }

    /// The exact value of a `Decimal` at the smallest scale that holds it (≤ 18). Reads the
    /// `Decimal`'s own exact digits through the one strict grammar: NaN is `.malformed`,
    /// more than 18 decimal places `.tooPrecise(scale: 18)`, too large `.overflow`, and more
    /// than 38 significant digits `.tooManyDigits` (a sign Foundation may have truncated it).
    public init(exactly decimal: Decimal) throws(AmountError) {
        try self.init(parsingAtNaturalScale: decimal.description)
    }
}

/// Rejects request bodies containing a JSON number with more than 38 significant digits,
/// before `JSONDecoder` silently drops digits past the 38th-39th (see the top of this file).
/// One linear pass over the bytes, allocation-free except for the error excerpt.
///
/// Significant digits are counted from the first to the last non-zero digit of the mantissa
/// (exponents do not count), which is exactly what `Decimal` must hold to be exact.
/// Digits inside strings are skipped. The body need not be valid JSON: the decoder judges that.
public enum JSONNumberGuard {
    /// Throws `AmountError.tooManyDigits` naming the first offending number.
    public static func check(_ body: some Collection<UInt8>) throws(AmountError) {
        var scanner = NumberScanner()
        var index = body.startIndex
        while index < body.endIndex {
            if scanner.consume(body[index]) {
                let start =
                    scanner.numberStart.map { body.index(body.startIndex, offsetBy: $0) } ?? index
                let number = body[start...].prefix(41).prefix { NumberScanner.isNumberByte($0) }
                throw .tooManyDigits(AmountError.excerpt(String(decoding: number, as: UTF8.self)))
            }
            index = body.index(after: index)
        }
    }

    /// The scan's state between bytes.
    private struct NumberScanner {
        var offset = 0
        var inString = false
        var escaped = false
        var numberStart: Int? = nil
        var inExponent = false
        var significant = 0
        var pendingZeros = 0

        /// Feeds one byte; returns true when the current number has too many significant digits.
        mutating func consume(_ byte: UInt8) -> Bool {
            defer { offset += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                return false
            }
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if numberStart != nil, !NumberScanner.isNumberByte(byte) { numberStart = nil }
            if numberStart == nil {
                guard isDigit || byte == UInt8(ascii: "-") else {
                    inString = byte == UInt8(ascii: "\"")
                    return false
                }
                (numberStart, inExponent, significant, pendingZeros) = (offset, false, 0, 0)
            }
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { inExponent = true }
            guard isDigit, !inExponent else { return false }
            if byte == UInt8(ascii: "0") {
                if significant > 0 { pendingZeros += 1 }  // counts only if a non-zero follows
                return false
            }
            significant += pendingZeros + 1
            pendingZeros = 0
            return significant > Amount.maxSignificantDigits
        }

        /// Bytes a JSON number literal is made of.
        static func isNumberByte(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "-")
        }
    }
}
