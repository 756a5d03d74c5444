import Foundation

/// Fees, quantities and notionals, each rounded explicitly and always in the house's
/// disfavour (DESIGN.md rule 1): the customer receives the larger share count or proceeds
/// and pays the smaller cost or fee.
public enum OrderPricing {
    /// 25 basis points of notional.
    public static let feeBps: Int128 = 25
    /// Orders below one dollar of notional are refused: the fee would round to nothing and
    /// the broker's minimum is above it.
    public static let minimumNotional = Amount(units: 100, scale: 2)
    static let scale = LedgerAsset.scale

    /// The fee on `notional` (ledger units), rounded down to the cent.
    public static func feeUnits(onNotionalUnits notional: Int64) -> Int64 {
        let raw = Int128(notional) * feeBps / 10_000
        let cent = Int128(10_000)  // one cent at scale 6
        return Int64(raw / cent * cent)
    }

    /// Ledger units of an amount at any scale ≤ 6, exactly.
    public static func units(_ amount: Amount) throws -> Int64 {
        let rescaled = try amount.rescaled(to: scale, rounding: .exact)
        guard let units = Int64(exactly: rescaled.units) else {
            throw DomainError(.ruleViolation, code: "amount_overflow", message: "amount too large")
        }
        return units
    }

    /// Shares bought for `paymentUnits` at `price`, rounded up at ledger scale.
    public static func quantityUnits(forPaymentUnits payment: Int64, at price: Amount) throws -> Int64 {
        let payment = Amount(units: Int128(payment), scale: scale)
        return try units(try payment.divided(by: price, scale: scale, rounding: .up))
    }

    /// `quantity × price` at ledger scale, rounded as `rounding` says (down for what the
    /// customer pays, up for what the customer receives).
    public static func notionalUnits(quantityUnits: Int64, price: Amount, rounding: RoundingRule) throws -> Int64 {
        let quantity = Amount(units: Int128(quantityUnits), scale: scale)
        return try units(try quantity.multiplied(by: price, scale: scale, rounding: rounding))
    }
}
