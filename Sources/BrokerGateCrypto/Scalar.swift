/// An integer modulo secp256k1's group order
/// n = 0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_BAAEDCE6_AF48A03B_BFD25E8C_D0364141:
/// private keys, nonces, r, s and message digests as ECDSA uses them.
///
/// Kept fully reduced (`value < n`). Private keys and nonces are scalars, so every
/// operation is a fixed sequence of instructions with mask-based selection. Reduction uses
/// 2^256 ≡ c (mod n) with c = 2^256 − n < 2^129: the high half of a product is folded back
/// three times (each fold shrinks it by ~127 bits), then one masked correction.
struct Scalar: Sendable {
    /// The canonical representative, always `< n`.
    private(set) var value: UInt256

    /// The group order n.
    static let order = UInt256(
        l0: 0xBFD2_5E8C_D036_4141, l1: 0xBAAE_DCE6_AF48_A03B, l2: 0xFFFF_FFFF_FFFF_FFFE, l3: 0xFFFF_FFFF_FFFF_FFFF)
    /// 2^256 − n, a 129-bit number.
    static let complement = UInt256(l0: 0x402D_A173_2FC9_BEBF, l1: 0x4551_2319_50B7_5FC4, l2: 1, l3: 0)
    /// ⌊n/2⌋: the largest s that counts as "low" (EIP-2 / BIP-62 normalization).
    static let halfOrder = UInt256(
        l0: 0xDFE9_2F46_681B_20A0, l1: 0x5D57_6E73_57A4_501D, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0x7FFF_FFFF_FFFF_FFFF)
    /// n − 2, the Fermat inverse exponent.
    static let inverseExponent = UInt256(
        l0: 0xBFD2_5E8C_D036_413F, l1: 0xBAAE_DCE6_AF48_A03B, l2: 0xFFFF_FFFF_FFFF_FFFE, l3: 0xFFFF_FFFF_FFFF_FFFF)

    static let zero = Scalar(reducing: .zero)
    static let one = Scalar(reducing: UInt256(l0: 1, l1: 0, l2: 0, l3: 0))

    /// Reduces any 256-bit value (a digest, or an x coordinate for r). One conditional
    /// subtraction suffices because 2^256 < 2n.
    init(reducing raw: UInt256) {
        let (reduced, borrow) = raw.subtracting(Self.order)
        value = UInt256.select(0 &- borrow, raw, reduced)
    }

    /// Parses 32 big-endian bytes that must already be in [1, n−1], as a private key, r and
    /// s must. The comparisons are branch-free; only the final accept/reject verdict
    /// branches, which reveals validity and nothing else.
    init?(nonZeroCanonicalBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let raw = UInt256(bigEndianBytes: bytes)
        let valid = raw.lessThanMask(Self.order) & ~raw.isZeroMask
        guard valid != 0 else { return nil }
        value = raw
    }

    /// The 32-byte big-endian encoding.
    var bytes: [UInt8] { value.bigEndianBytes }

    /// All ones when zero, else zero.
    var isZeroMask: UInt64 { value.isZeroMask }

    /// All ones when `self > n/2` (a "high" s), else zero.
    var isHighMask: UInt64 { Self.halfOrder.lessThanMask(value) }

    /// `whenSet` under an all-ones mask, `otherwise` under zero.
    static func select(_ mask: UInt64, _ whenSet: Scalar, _ otherwise: Scalar) -> Scalar {
        Scalar(canonical: UInt256.select(mask, whenSet.value, otherwise.value))
    }

    static func + (a: Scalar, b: Scalar) -> Scalar {
        // As for the field: a + b < 2n; keep the sum only if it neither carried nor reached n.
        let (sum, carry) = a.value.adding(b.value)
        let (reduced, borrow) = sum.subtracting(order)
        return Scalar(canonical: UInt256.select(Limb.zeroMask(carry) & (0 &- borrow), sum, reduced))
    }

    static prefix func - (a: Scalar) -> Scalar {
        // n − a, which is n itself (not canonical) when a is 0; reducing maps that to 0.
        // Written as a reduction rather than "mask by a ≠ 0" because LLVM compiled the mask
        // of an is-zero test into a branch; the subtract-and-select in `init(reducing:)`
        // stays branch-free (checked in the x86-64 release disassembly).
        Scalar(reducing: order.subtracting(a.value).difference)
    }

    static func * (a: Scalar, b: Scalar) -> Scalar {
        let (high, low) = a.value.multipliedFullWidth(by: b.value)
        return Scalar(reducingWideHigh: high, low: low)
    }

    /// self⁻¹ by Fermat (self^(n−2)); 0 maps to 0. Constant-time: the exponent is public.
    func inverted() -> Scalar {
        power(Self.inverseExponent)
    }

    /// Wraps a value the caller has already reduced below n.
    private init(canonical: UInt256) {
        value = canonical
    }

    /// Reduces high · 2^256 + low (any 512-bit value) modulo n with a fixed schedule.
    private init(reducingWideHigh high: UInt256, low: UInt256) {
        let c = Self.complement
        // Fold 1: high·c + low < 2^386; its top part is below 2^130.
        let (high1, low1) = high.multipliedFullWidth(by: c)
        let (sum1, carry1) = low1.adding(low)
        let top1 = high1.adding(UInt256(l0: carry1, l1: 0, l2: 0, l3: 0)).sum
        // Fold 2: top1·c + sum1 < 2^260; its top part is below 2^4.
        let (high2, low2) = top1.multipliedFullWidth(by: c)
        let (sum2, carry2) = low2.adding(sum1)
        // Fold 3: top2·c < 2^133, so only a single carry bit can remain.
        let (_, low3) = c.multipliedFullWidth(byLimb: high2.l0 &+ carry2)
        let (sum3, carry3) = low3.adding(sum2)
        // A carry means sum3 < 2^133, so adding c once more cannot carry again.
        let folded = sum3.adding(c.masked(0 &- carry3)).sum
        self.init(reducing: folded)
    }
}

extension Scalar: ModularArithmetic {}
