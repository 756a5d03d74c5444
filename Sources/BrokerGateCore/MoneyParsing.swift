// Reading amounts from text: one strict grammar for strings, stored text and (through
// `Decimal`'s exact digits) JSON numbers, so the same digits mean the same value everywhere.

extension Amount {
    /// Parses a plain decimal exactly, at `scale`, rounding by `rounding` (`.exact` throws
    /// `.tooPrecise(scale:)` if a non-zero digit would be dropped).
    ///
    /// Grammar: JSON's number grammar without exponent, i.e. `-?(0|[1-9][0-9]*)(\.[0-9]+)?`:
    /// `"12.3400"`, `"-0.5"`, `"7"`, `"-0"` (zero). Rejected as `.malformed`: `""`, `".5"`,
    /// `"5."`, `"007"`, `"+1"`, `"1e3"`, `"NaN"`, `"Infinity"`, `"1,000"`, `"0x10"`, any
    /// whitespace, and non-ASCII digits such as `"١٢"`. One grammar and no leniency, because a
    /// digit we guess at is a digit we may get wrong. More than 38 significant digits or 200
    /// characters: `.tooManyDigits`.
    public init(
        parsing text: String, scale: Int, rounding: RoundingRule = .exact
    ) throws(AmountError) {
        guard (0...Amount.maxScale).contains(scale) else { throw .scaleOutOfRange(scale) }
        self = try DecimalLiteral(text).amount(scale: scale, rounding: rounding)
    }

    /// Parses a plain decimal (same grammar as `init(parsing:scale:rounding:)`) at the smallest
    /// scale that holds it exactly: `"1.50"` → `1.5` at scale 1, `"3.00"` → `3` at scale 0.
    /// Throws `.tooPrecise(scale: 18)` if it needs more than 18 decimal places.
    ///
    /// Used where no scale is known yet (JSON decoding); callers then enforce the field's
    /// precision with `requiringScale(_:field:)`.
    public init(parsingAtNaturalScale text: String) throws(AmountError) {
        let literal = try DecimalLiteral(text)
        let natural = min(literal.significantFractionDigits, Amount.maxScale)
        self = try literal.amount(scale: natural, rounding: .exact)
    }
}

/// A syntactically valid decimal literal, split into its digit values (0...9).
struct DecimalLiteral {
    let negative: Bool
    let integerDigits: ArraySlice<UInt8>
    let fractionDigits: ArraySlice<UInt8>

    init(_ text: String) throws(AmountError) {
        // Length first, so a megabyte of input is never copied.
        guard text.utf8.count <= Amount.maxTextLength else {
            throw .tooManyDigits(AmountError.excerpt(text))
        }
        let bytes = Array(text.utf8)
        let negative = bytes.first == UInt8(ascii: "-")
        let integerStart = negative ? 1 : 0
        let integerEnd = DecimalLiteral.endOfDigits(bytes, from: integerStart)
        var fractionRange = integerEnd..<integerEnd
        if integerEnd < bytes.count, bytes[integerEnd] == UInt8(ascii: ".") {
            fractionRange =
                (integerEnd + 1)..<DecimalLiteral.endOfDigits(bytes, from: integerEnd + 1)
            guard !fractionRange.isEmpty else { throw .malformed(AmountError.excerpt(text)) }
        }
        let integerCount = integerEnd - integerStart
        let hasLeadingZero = integerCount > 1 && bytes[integerStart] == UInt8(ascii: "0")
        guard integerCount > 0, !hasLeadingZero, fractionRange.upperBound == bytes.count else {
            throw .malformed(AmountError.excerpt(text))
        }
        let values = bytes.map { $0 &- UInt8(ascii: "0") }
        self.negative = negative
        self.integerDigits = values[integerStart..<integerEnd]
        self.fractionDigits = values[fractionRange]
        guard significantDigits <= Amount.maxSignificantDigits else {
            throw .tooManyDigits(AmountError.excerpt(text))
        }
    }

    /// Index just past the ASCII digits starting at `start`.
    private static func endOfDigits(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) {
            end += 1
        }
        return end
    }

    /// Digits from the first to the last non-zero one: what must be kept to be exact.
    var significantDigits: Int {
        let all = integerDigits + fractionDigits
        guard let first = all.firstIndex(where: { $0 != 0 }),
            let last = all.lastIndex(where: { $0 != 0 })
        else { return 0 }
        return last - first + 1
    }

    /// Fraction digits up to the last non-zero one.
    var significantFractionDigits: Int {
        guard let last = fractionDigits.lastIndex(where: { $0 != 0 }) else { return 0 }
        return last - fractionDigits.startIndex + 1
    }

    /// The value at `scale`: keeps the integer digits and `scale` fraction digits (padding
    /// with zeros), and rounds by what the dropped digits amount to.
    func amount(scale: Int, rounding: RoundingRule) throws(AmountError) -> Amount {
        var magnitude: UInt128 = 0
        for digit in integerDigits + fractionDigits.prefix(scale) {
            let (shifted, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowPlus) = shifted.addingReportingOverflow(UInt128(digit))
            guard !overflowTimes, !overflowPlus else { throw .overflow }
            magnitude = next
        }
        let padding = max(0, scale - fractionDigits.count)
        let (padded, overflow) = magnitude.multipliedReportingOverflow(
            by: Amount.powerOfTen(padding))
        guard !overflow else { throw .overflow }
        return try Amount.rounded(
            padded, discarded(after: scale), negative: negative, scale: scale, rule: rounding)
    }

    /// Classifies the fraction digits beyond `scale` against half a unit of the last kept one.
    private func discarded(after scale: Int) -> Discarded {
        let dropped = fractionDigits.dropFirst(scale)
        guard let first = dropped.first else { return .nothing }
        let restIsNonZero = dropped.dropFirst().contains { $0 != 0 }
        switch first {
        case 0: return restIsNonZero ? .belowHalf : .nothing
        case 5: return restIsNonZero ? .aboveHalf : .half
        case 1...4: return .belowHalf
        default: return .aboveHalf
        }
    }
}

/// Why an amount could not be read or computed. Each case has a stable `code` and a `message`
/// a partner engineer can act on; `.field` wraps another case with the wire field it concerns.
public enum AmountError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text (an excerpt of at most 40 characters) is not a plain decimal number.
    case malformed(String)
    /// The text (an excerpt) has more than 38 significant digits or 200 characters.
    case tooManyDigits(String)
    /// The value needs more decimal places than `scale` and the rounding rule was `.exact`.
    case tooPrecise(scale: Int)
    /// The value does not fit: `|units| ≤ Int128.max` at its scale.
    case overflow
    /// The divisor was zero.
    case divisionByZero
    /// A scale outside `0...18` was asked for (a programming error, reported not trapped).
    case scaleOutOfRange(Int)
    /// `error` concerns the wire field `name` (e.g. `payment_amount`).
    indirect case field(String, AmountError)

    /// A stable, machine-readable code for API error bodies.
    public var code: String {
        switch self {
        case .malformed: "amount_malformed"
        case .tooManyDigits: "amount_too_many_digits"
        case .tooPrecise: "amount_too_precise"
        case .overflow: "amount_overflow"
        case .divisionByZero: "amount_division_by_zero"
        case .scaleOutOfRange: "amount_scale_out_of_range"
        case .field(_, let error): error.code
        }
    }

    /// The wire field this error concerns, if one was named.
    public var fieldName: String? {
        if case .field(let name, _) = self { return name }
        return nil
    }

    /// The same error, naming `field` in its message (replacing any field named before).
    public func naming(_ field: String) -> AmountError {
        if case .field(_, let error) = self { return .field(field, error) }
        return .field(field, self)
    }

    /// A message a partner engineer can act on, e.g. "payment_amount has more than 2 decimal places".
    public var message: String { message(subject: "amount") }

    /// Same as `message`.
    public var description: String { message }

    private func message(subject: String) -> String {
        switch self {
        case .malformed(let text):
            "\(subject) \(text.debugDescription) is not a plain decimal number: write it like "
                + "\"12.34\", \"-0.5\" or \"7\" (ASCII digits, an optional leading '-', at most one '.' "
                + "with digits on both sides; no exponent, '+', spaces, separators or leading zeros)"
        case .tooManyDigits(let text):
            "\(subject) \(text.debugDescription) is too long: amounts are read exactly, with at most "
                + "\(Amount.maxSignificantDigits) significant digits and \(Amount.maxTextLength) characters"
        case .tooPrecise(let scale) where scale == 0: "\(subject) must be a whole number"
        case .tooPrecise(let scale) where scale == 1: "\(subject) has more than 1 decimal place"
        case .tooPrecise(let scale): "\(subject) has more than \(scale) decimal places"
        case .overflow: "\(subject) is too large to be held exactly"
        case .divisionByZero: "\(subject) cannot be computed: division by zero"
        case .scaleOutOfRange(let scale):
            "\(subject) scale \(scale) is out of range: amounts have 0 to \(Amount.maxScale) decimal places"
        case .field(let name, let error): error.message(subject: name)
        }
    }

    /// At most 40 characters of untrusted input, so messages stay short whatever was sent.
    static func excerpt(_ text: String) -> String {
        let head = text.prefix(40)
        return head.endIndex == text.endIndex ? text : head + "…"
    }
}
