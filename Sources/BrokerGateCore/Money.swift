/// An exact fixed-point decimal: value = `units / 10^scale`. Used for every amount of money
/// and every quantity (DESIGN.md rule 1: money is exact; no binary floating point anywhere).
///
/// - `scale` is the number of digits after the point, `0...18` (USD payments use 2, share
///   quantities 4, 18-decimal tokens 18).
/// - `units` is never `Int128.min`, so negation and absolute value can never overflow.
/// - Equality, hashing and ordering compare the numeric value across scales: `1.50 == 1.5`.
///   This is the only choice consistent with `Comparable` (exactly one of `<`, `==`, `>` must
///   hold for any two values). Compare `scale` as well where the representation matters.
/// - Arithmetic never traps on input: every operation that can overflow or lose digits
///   `throws(AmountError)`, and every operation that drops digits takes an explicit
///   `RoundingRule`, so each call site states in whose favour it rounds.
public struct Amount: Sendable {
    /// Signed base units: the value times `10^scale`.
    public let units: Int128
    /// Digits after the point, `0...18`.
    public let scale: Int

    /// The largest scale: 18 digits after the point (as for 18-decimal tokens).
    public static let maxScale = 18
    /// The most significant digits (first to last non-zero) any text or JSON input may have:
    /// 38 is what both `Int128` and Foundation's `Decimal` hold exactly, so a value means the
    /// same whether it arrives as a string or as a JSON number.
    public static let maxSignificantDigits = 38
    /// The longest text `init(parsing:scale:rounding:)` reads; a limit on everything.
    public static let maxTextLength = 200

    /// Creates an amount from base units, for values the program built itself (constants,
    /// results of its own arithmetic).
    ///
    /// - Precondition: `scale` is in `0...18` and `units != Int128.min`. For values read from
    ///   outside, use `init(validatingUnits:scale:)`, which throws instead.
    public init(units: Int128, scale: Int) {
        precondition(
            (0...Amount.maxScale).contains(scale), "Amount scale \(scale) is outside 0...18")
        precondition(
            units != .min, "Amount units must not be Int128.min, so that negation is total")
        self.units = units
        self.scale = scale
    }

    /// Creates an amount from base units read from outside (e.g. a stored row), throwing
    /// `.scaleOutOfRange` or `.overflow` instead of trapping.
    public init(validatingUnits units: Int128, scale: Int) throws(AmountError) {
        guard (0...Amount.maxScale).contains(scale) else { throw .scaleOutOfRange(scale) }
        guard units != .min else { throw .overflow }
        self.init(units: units, scale: scale)
    }

    /// Zero at the given scale (`0.00` at scale 2).
    public static func zero(scale: Int) -> Amount {
        Amount(units: 0, scale: scale)
    }

    /// Builds a signed amount from a magnitude, throwing `.overflow` past `Int128.max`.
    init(magnitude: UInt128, negative: Bool, scale: Int) throws(AmountError) {
        guard magnitude <= UInt128(Int128.max) else { throw .overflow }
        self.init(units: negative ? -Int128(magnitude) : Int128(magnitude), scale: scale)
    }
}

// MARK: - Sign and value

extension Amount {
    /// True when the value is below zero.
    public var isNegative: Bool { units < 0 }
    /// True when the value is above zero.
    public var isPositive: Bool { units > 0 }
    /// True when the value is zero, at any scale.
    public var isZero: Bool { units == 0 }
    /// `-1`, `0` or `1` according to the sign of the value.
    public func signum() -> Int { Int(units.signum()) }

    /// The value with its sign flipped; total because `units` is never `Int128.min`.
    public func negated() -> Amount { Amount(units: -units, scale: scale) }
    /// The value with its sign flipped; total because `units` is never `Int128.min`.
    public static prefix func - (amount: Amount) -> Amount { amount.negated() }
    /// The absolute value, at the same scale; total because `units` is never `Int128.min`.
    public var absoluteValue: Amount { Amount(units: units < 0 ? -units : units, scale: scale) }

    /// The same value at the smallest scale that holds it exactly (`1.50` → `1.5`, `0.00` → `0`).
    public func normalized() -> Amount {
        var units = units
        var scale = scale
        while scale > 0, units % 10 == 0 {
            units /= 10
            scale -= 1
        }
        return Amount(units: units, scale: scale)
    }
}

// MARK: - Scale and rounding

extension Amount {
    /// The same value at another scale. Adding digits is always exact; dropping digits rounds
    /// by `rounding`, and `.exact` throws `.tooPrecise(scale:)` if a non-zero digit would be lost.
    public func rescaled(to newScale: Int, rounding: RoundingRule) throws(AmountError) -> Amount {
        guard (0...Amount.maxScale).contains(newScale) else { throw .scaleOutOfRange(newScale) }
        if newScale >= scale {
            return Amount(units: try units(atLargerScale: newScale), scale: newScale)
        }
        let divisor = Amount.powerOfTen(scale - newScale)
        let (quotient, remainder) = units.magnitude.quotientAndRemainder(dividingBy: divisor)
        return try Amount.rounded(
            quotient, Discarded(remainder, of: divisor), negative: isNegative, scale: newScale,
            rule: rounding)
    }

    /// Enforces a wire field's precision exactly: `payment_amount` must have at most 2 decimal
    /// places. The error names `field`, e.g. "payment_amount has more than 2 decimal places".
    public func requiringScale(_ scale: Int, field: String) throws(AmountError) -> Amount {
        do throws(AmountError) {
            return try rescaled(to: scale, rounding: .exact)
        } catch {
            throw error.naming(field)
        }
    }

    /// `units` expressed at `larger` (≥ `scale`), exactly, or `.overflow`.
    func units(atLargerScale larger: Int) throws(AmountError) -> Int128 {
        let factor = Int128(Amount.powerOfTen(larger - scale))
        let (result, overflow) = units.multipliedReportingOverflow(by: factor)
        guard !overflow, result != .min else { throw .overflow }
        return result
    }

    /// Applies `rule` to a truncated magnitude given what was discarded below it.
    static func rounded(
        _ truncated: UInt128, _ discarded: Discarded, negative: Bool, scale: Int, rule: RoundingRule
    ) throws(AmountError) -> Amount {
        guard discarded != .nothing else {
            return try Amount(magnitude: truncated, negative: negative, scale: scale)
        }
        let awayFromZero: Bool
        switch rule {
        case .exact: throw .tooPrecise(scale: scale)
        case .down: awayFromZero = false
        case .up: awayFromZero = true
        case .floor: awayFromZero = negative
        case .ceiling: awayFromZero = !negative
        case .halfUp: awayFromZero = discarded != .belowHalf
        case .halfEven:
            awayFromZero = discarded == .aboveHalf || (discarded == .half && truncated & 1 == 1)
        }
        guard awayFromZero else {
            return try Amount(magnitude: truncated, negative: negative, scale: scale)
        }
        let (bumped, overflow) = truncated.addingReportingOverflow(1)
        guard !overflow else { throw .overflow }
        return try Amount(magnitude: bumped, negative: negative, scale: scale)
    }

    /// `10^exponent` for `0...38`; 10^38 is the largest power of ten below 2^128.
    static func powerOfTen(_ exponent: Int) -> UInt128 {
        powersOfTen[exponent]
    }

    private static let powersOfTen: [UInt128] = {
        var powers: [UInt128] = [1]
        for _ in 1...38 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()
}

/// What rounding drops below the last kept digit, measured against half a unit of it.
/// Text parsing and division both reduce to this, so one rounding routine serves both.
enum Discarded: Equatable {
    case nothing, belowHalf, half, aboveHalf

    /// Classifies `remainder / divisor` (with `remainder < divisor`), without computing
    /// `2 * remainder`, which could overflow.
    init(_ remainder: UInt128, of divisor: UInt128) {
        let rest = divisor - remainder
        if remainder == 0 {
            self = .nothing
        } else if remainder < rest {
            self = .belowHalf
        } else {
            self = remainder == rest ? .half : .aboveHalf
        }
    }
}

// MARK: - Arithmetic

extension Amount {
    /// `self + other`, exactly, at the larger of the two scales; throws `.overflow`.
    public func adding(_ other: Amount) throws(AmountError) -> Amount {
        let scale = max(scale, other.scale)
        let (sum, overflow) = try units(atLargerScale: scale)
            .addingReportingOverflow(other.units(atLargerScale: scale))
        guard !overflow, sum != .min else { throw .overflow }
        return Amount(units: sum, scale: scale)
    }

    /// `self - other`, exactly, at the larger of the two scales; throws `.overflow`.
    public func subtracting(_ other: Amount) throws(AmountError) -> Amount {
        try adding(other.negated())
    }

    /// `self × other` (e.g. price × quantity) at `scale`, rounded by `rounding`.
    ///
    /// The full product is computed in 256 bits before rounding, so the only overflow is a
    /// result that does not fit `Int128`.
    public func multiplied(
        by other: Amount, scale: Int, rounding: RoundingRule
    ) throws(AmountError) -> Amount {
        guard (0...Amount.maxScale).contains(scale) else { throw .scaleOutOfRange(scale) }
        let negative = isNegative != other.isNegative
        let product = units.magnitude.multipliedFullWidth(by: other.units.magnitude)
        let productScale = self.scale + other.scale
        if scale >= productScale {
            guard product.high == 0 else { throw .overflow }
            let (scaled, overflow) = product.low.multipliedReportingOverflow(
                by: Amount.powerOfTen(scale - productScale))
            guard !overflow else { throw .overflow }
            return try Amount(magnitude: scaled, negative: negative, scale: scale)
        }
        return try Amount.divide(
            product, by: Amount.powerOfTen(productScale - scale), negative: negative, scale: scale,
            rule: rounding)
    }

    /// `self ÷ other` (e.g. payment ÷ price) at `scale`, rounded by `rounding`;
    /// throws `.divisionByZero` when `other` is zero.
    public func divided(
        by other: Amount, scale: Int, rounding: RoundingRule
    ) throws(AmountError) -> Amount {
        guard (0...Amount.maxScale).contains(scale) else { throw .scaleOutOfRange(scale) }
        guard !other.isZero else { throw .divisionByZero }
        let negative = isNegative != other.isNegative
        // result units = |a| * 10^shift / |b|, with shift in -18...36.
        let shift = scale + other.scale - self.scale
        let dividend = units.magnitude
        let divisor = other.units.magnitude
        if shift >= 0 {
            return try Amount.divide(
                dividend.multipliedFullWidth(by: Amount.powerOfTen(shift)), by: divisor,
                negative: negative, scale: scale, rule: rounding)
        }
        let (widened, overflow) = divisor.multipliedReportingOverflow(by: Amount.powerOfTen(-shift))
        guard !overflow else {
            // The divisor exceeds 2^128 > 2 * dividend: the quotient is 0 and under half a unit.
            let discarded: Discarded = dividend == 0 ? .nothing : .belowHalf
            return try Amount.rounded(
                0, discarded, negative: negative, scale: scale, rule: rounding)
        }
        return try Amount.divide(
            (high: 0, low: dividend), by: widened, negative: negative, scale: scale, rule: rounding)
    }

    /// Divides a 256-bit magnitude and rounds; `.overflow` if the quotient exceeds 128 bits.
    private static func divide(
        _ dividend: (high: UInt128, low: UInt128), by divisor: UInt128, negative: Bool, scale: Int,
        rule: RoundingRule
    ) throws(AmountError) -> Amount {
        guard dividend.high < divisor else { throw .overflow }
        let (quotient, remainder) = divisor.dividingFullWidth(dividend)
        return try rounded(
            quotient, Discarded(remainder, of: divisor), negative: negative, scale: scale,
            rule: rule)
    }
}

// MARK: - Equality, hashing, ordering

extension Amount: Hashable, Comparable {
    /// Numeric equality across scales: `1.50 == 1.5`.
    public static func == (lhs: Amount, rhs: Amount) -> Bool {
        if lhs.scale == rhs.scale { return lhs.units == rhs.units }
        let (left, right) = (lhs.normalized(), rhs.normalized())
        return left.units == right.units && left.scale == right.scale
    }

    /// Hashes the normalized form, so values equal across scales hash alike.
    public func hash(into hasher: inout Hasher) {
        let normal = normalized()
        hasher.combine(normal.units)
        hasher.combine(normal.scale)
    }

    /// Numeric order across scales, computed without widening (so it cannot overflow).
    public static func < (lhs: Amount, rhs: Amount) -> Bool {
        if lhs.scale == rhs.scale { return lhs.units < rhs.units }
        if lhs.scale < rhs.scale { return lhs.order(againstLargerScale: rhs) < 0 }
        return rhs.order(againstLargerScale: lhs) > 0
    }

    /// The sign of `self - other` where `self.scale < other.scale`: compares
    /// `self.units * 10^d` with `other.units = q * 10^d + r` (|r| < 10^d) through `q` and `r`,
    /// because the multiplication itself could overflow `Int128`.
    private func order(againstLargerScale other: Amount) -> Int {
        let factor = Int128(Amount.powerOfTen(other.scale - scale))
        let (quotient, remainder) = other.units.quotientAndRemainder(dividingBy: factor)
        if units != quotient { return units < quotient ? -1 : 1 }
        return remainder > 0 ? -1 : (remainder < 0 ? 1 : 0)
    }
}

// MARK: - Text

extension Amount: CustomStringConvertible {
    /// Canonical text with exactly `scale` digits after the point: `"1.50"` at scale 2,
    /// `"-0.0001"`, `"3"` at scale 0. Never scientific notation.
    public var description: String {
        let digits = String(units.magnitude)
        let sign = isNegative ? "-" : ""
        guard scale > 0 else { return sign + digits }
        let padding = String(repeating: "0", count: max(0, scale + 1 - digits.count))
        let padded = padding + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<point] + "." + padded[point...]
    }

    /// Text without trailing zeros after the point: `"1.5"` for `1.50`, `"3"` for `3.00`.
    public var trimmedDescription: String { normalized().description }
}

/// How to drop digits. Every operation that can drop digits takes one explicitly, because the
/// house rounds in its own disfavour (DESIGN.md rule 1) and which way that is depends on the
/// call site (a fee charged to the customer rounds `.down`, proceeds or a refund owed to the
/// customer round `.up`). Callers pick; nothing here picks for them.
public enum RoundingRule: Sendable, Hashable, CaseIterable {
    /// Throw `AmountError.tooPrecise` if any non-zero digit would be lost.
    case exact
    /// Toward zero (truncate): `1.239 → 1.23`, `-1.239 → -1.23`.
    case down
    /// Away from zero: `1.231 → 1.24`, `-1.231 → -1.24`.
    case up
    /// Toward negative infinity: `1.239 → 1.23`, `-1.231 → -1.24`.
    case floor
    /// Toward positive infinity: `1.231 → 1.24`, `-1.239 → -1.23`.
    case ceiling
    /// To nearest, ties to the even digit (banker's rounding): `1.225 → 1.22`, `1.235 → 1.24`.
    case halfEven
    /// To nearest, ties away from zero: `1.225 → 1.23`, `-1.225 → -1.23`.
    case halfUp
}
