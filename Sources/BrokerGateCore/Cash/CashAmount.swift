import BrokerGateCrypto
import Crypto
import Foundation

/// The rules every cash amount a partner sends must meet, in one place: positive, at most
/// the asset's decimals, and bounded. Amounts arrive exact (`Amount` reads JSON numbers and
/// strings alike without a binary float) and leave here as ledger units.
public enum CashAmount {
    /// The largest single faucet, deposit, withdrawal or transfer: 10,000,000 (a limit on
    /// everything; far above any sandbox need, far below `Int64` units).
    public static let wholeMax: Int64 = 10_000_000
    /// `wholeMax` in ledger units.
    public static let unitsMax: Int64 = wholeMax * unitsPerWhole
    /// Ledger units in one USD+ (or one token): 10^6.
    public static let unitsPerWhole: Int64 = 1_000_000

    /// Ledger units of `amount`, or a 422 naming `field`: `amount_too_precise` past
    /// `decimalsMax`, `amount_not_positive` at or below zero, `amount_too_large` past `wholeMax`.
    public static func units(_ amount: Amount, field: String, decimalsMax: Int = LedgerAsset.scale) throws(DomainError) -> Int64 {
        precondition(decimalsMax <= LedgerAsset.scale, "no wire amount is finer than the ledger")
        do throws(AmountError) {
            _ = try amount.requiringScale(decimalsMax, field: field)
        } catch {
            throw DomainError(
                .ruleViolation, code: error.code,
                message: "\(error.message); send at most \(decimalsMax) digits after the point")
        }
        guard amount.isPositive else {
            throw DomainError(.ruleViolation, code: "amount_not_positive", message: "\(field) must be greater than 0")
        }
        let limit = Amount(units: Int128(wholeMax), scale: 0)
        guard amount <= limit, let ledger = try? amount.rescaled(to: LedgerAsset.scale, rounding: .exact) else {
            throw DomainError(.ruleViolation, code: "amount_too_large", message: "\(field) must be at most \(wholeMax)")
        }
        return Int64(ledger.units)
    }

    /// Ledger units as a wire amount (exact; trailing zeros trimmed by `Amount`'s encoding).
    public static func amount(_ units: Int64) -> Amount {
        Amount(units: Int128(units), scale: LedgerAsset.scale)
    }

    /// A deterministic fake on-chain transaction hash for a simulated movement: SHA-256 of
    /// its kind and id, so the same record always shows the same hash.
    public static func transactionHash(kind: String, id: String) -> String {
        "0x" + Hex.encode(SHA256.hash(data: Array("brokergate:tx:\(kind):\(id)".utf8)))
    }
}
