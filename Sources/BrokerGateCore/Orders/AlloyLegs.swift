import Foundation

/// One constituent order of an alloy order: the stock and what it spends (buy) or sells.
public struct AlloyLeg: Sendable, Hashable {
    public let stock: Stock
    /// Market buys: USD for this leg, 2 decimals.
    public let paymentAmount: Amount?
    /// Market sells: shares of this leg, at most 6 decimals (the market sell precision).
    public let assetQuantity: Amount?
}

/// How an alloy order splits into constituent orders. Pure functions, so the rounding rules
/// are pinned by unit tests; every rounding is explicit and never in the customer's disfavour.
public enum AlloyLegs {
    /// A market buy of `payment` USD (2 decimals) splits by each constituent's value share
    /// at `prices` (one per constituent, same instant): leg i gets `payment × vᵢ / Σv`
    /// rounded down to the cent, and the cents left over (fewer than the number of legs) go
    /// one each to the legs with the largest discarded fractions (largest-remainder method,
    /// ties to the earlier symbol). So the legs add up to exactly `payment`: the customer
    /// spends what they asked, all of it on shares, and no leg is more than a cent from its
    /// exact share. Fees are then charged per leg (each rounded down, `OrderPricing`).
    ///
    /// - Throws: `alloy_leg_below_minimum` when a leg would be under the per-order minimum,
    ///   naming the least payment that gives every leg the minimum.
    public static func buy(_ alloy: Alloy, payment: Amount, prices: [Amount]) throws -> [AlloyLeg] {
        precondition(prices.count == alloy.constituents.count && payment.scale == 2)
        let values = zip(alloy.constituents, prices).map { $0.quantity.units * $1.units }
        let total = values.reduce(0, +)
        let paymentCents = payment.units
        let shares = values.map { (paymentCents * $0).quotientAndRemainder(dividingBy: total) }
        var cents = shares.map(\.quotient)
        let leftover = Int(paymentCents - cents.reduce(0, +))
        let byRemainder = shares.indices.sorted {
            shares[$0].remainder > shares[$1].remainder || (shares[$0].remainder == shares[$1].remainder && $0 < $1)
        }
        for index in byRemainder.prefix(leftover) { cents[index] += 1 }
        assert(cents.reduce(0, +) == paymentCents, "alloy legs must add up to the payment")
        let minimumCents = OrderPricing.minimumNotional.units
        if let smallest = cents.indices.min(by: { cents[$0] < cents[$1] }), cents[smallest] < minimumCents {
            // Flooring loses under a cent per leg, so ceil(min × Σv / vᵢ) always suffices.
            let neededCents = (minimumCents * total + values[smallest] - 1) / values[smallest]
            throw DomainError(
                .ruleViolation, code: "alloy_leg_below_minimum",
                message:
                    "payment_amount \(payment) puts \(Amount(units: cents[smallest], scale: 2)) USD into the "
                    + "\(alloy.constituents[smallest].stock.symbol) leg of \(alloy.symbol); every leg must be at least "
                    + "\(OrderPricing.minimumNotional) USD, so send payment_amount of at least \(Amount(units: neededCents, scale: 2))")
        }
        return zip(alloy.constituents, cents).map {
            AlloyLeg(stock: $0.stock, paymentAmount: Amount(units: $1, scale: 2), assetQuantity: nil)
        }
    }

    /// A market sell of `units` alloy units (at most 4 decimals) sells `units × quantity`
    /// shares of each constituent, rounded down to 6 decimals: the customer never sells
    /// more than the basket they named, and keeps any sliver below a millionth of a share.
    ///
    /// - Throws: `alloy_leg_too_small` when a leg rounds to nothing.
    public static func sell(_ alloy: Alloy, units: Amount) throws -> [AlloyLeg] {
        try alloy.constituents.map { constituent in
            let shares = try units.multiplied(by: constituent.quantity, scale: 6, rounding: .down)
            guard shares.isPositive else {
                throw DomainError(
                    .ruleViolation, code: "alloy_leg_too_small",
                    message: "asset_quantity \(units) of \(alloy.symbol) sells no \(constituent.stock.symbol) shares; sell more alloy units"
                )
            }
            return AlloyLeg(stock: constituent.stock, paymentAmount: nil, assetQuantity: shares)
        }
    }
}
