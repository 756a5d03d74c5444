/// The exact arithmetic of a split, in ledger units (10⁻⁶ share, 10⁻⁶ USD). Integer only.
public enum SplitArithmetic {
    /// `units` after a split of `ratio`: floor(units × to ÷ from). What a holder keeps as
    /// tokens, what custody and the broker's position become.
    public static func split(_ units: Int64, _ ratio: SplitRatio) -> Int64 {
        precondition(units >= 0, "a split applies to holdings, never to a negative balance")
        return Int64(Int128(units) * Int128(ratio.to) / Int128(ratio.from))
    }

    /// A holder's share of a split: the tokens kept, and the fraction below one ledger unit
    /// left over, as `remainder ÷ from` of a post-split unit (0 ≤ remainder < from).
    public static func holding(_ units: Int64, _ ratio: SplitRatio) -> (units: Int64, remainder: Int64) {
        let exact = Int128(units) * Int128(ratio.to)
        return (Int64(exact / Int128(ratio.from)), Int64(exact % Int128(ratio.from)))
    }

    /// Cash in lieu of a fraction of `remainder ÷ from` post-split units, at `closeUnits` (the
    /// previous close per pre-split share, in ledger units): one post-split unit is worth
    /// `close × from ÷ to` 10⁻⁶ USD per 10⁻⁶ share, so the fraction is worth
    /// `remainder × close ÷ (to × 10⁶)` ledger units of USD, rounded **up** (the customer's
    /// favour; the house pays less than one ledger unit for it).
    public static func cashInLieu(remainder: Int64, ratio: SplitRatio, closeUnits: Int64) -> Int64 {
        precondition(remainder >= 0 && remainder < ratio.from && closeUnits >= 0, "a fraction below one unit at a real price")
        let exact = Int128(remainder) * Int128(closeUnits)
        let divisor = Int128(ratio.to) * 1_000_000
        return Int64((exact + divisor - 1) / divisor)
    }

    /// A price after the split: `price × from ÷ to` at the price's scale, rounded down, or up
    /// when `roundingUp` (rounding is always explicit).
    public static func adjustedPrice(_ price: Amount, _ ratio: SplitRatio, roundingUp: Bool) -> Amount {
        let numerator = price.units * Int128(ratio.from)
        let denominator = Int128(ratio.to)
        let quotient = numerator / denominator
        let rounded = roundingUp && numerator % denominator != 0 ? quotient + 1 : quotient
        return Amount(units: rounded, scale: price.scale)
    }
}
