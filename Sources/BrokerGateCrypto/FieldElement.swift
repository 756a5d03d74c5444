/// An element of secp256k1's base field, integers modulo the prime
/// p = 2^256 − 2^32 − 977. Coordinates of curve points live here.
///
/// The value is kept fully reduced (`value < p`) after every operation, so equality is
/// limb equality. p's special form makes reduction cheap: 2^256 ≡ 2^32 + 977 (mod p), so
/// the high half of a product folds back in with one limb multiplication. Every operation
/// runs a fixed sequence of instructions (masks, no branches on the value), because the
/// coordinates of k·G during key derivation and signing are secret.
struct FieldElement: Sendable {
    /// The canonical representative, always `< p`.
    private(set) var value: UInt256

    /// p = 2^256 − 2^32 − 977.
    static let modulus = UInt256(
        l0: 0xFFFF_FFFE_FFFF_FC2F, l1: 0xFFFF_FFFF_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0xFFFF_FFFF_FFFF_FFFF)
    /// 2^256 − p = 2^32 + 977: what one wrap past 2^256 is worth modulo p.
    static let wrap: UInt64 = 0x1_0000_03D1

    static let zero = FieldElement(reducing: .zero)
    static let one = FieldElement(small: 1)

    /// Reduces any 256-bit value. One conditional subtraction suffices because
    /// 2^256 < 2p.
    init(reducing raw: UInt256) {
        let (reduced, borrow) = raw.subtracting(Self.modulus)
        value = UInt256.select(0 &- borrow, raw, reduced)
    }

    /// A small constant such as the curve's b = 7.
    init(small: UInt64) {
        self.init(reducing: UInt256(l0: small, l1: 0, l2: 0, l3: 0))
    }

    /// Parses a 32-byte big-endian coordinate, rejecting values ≥ p instead of reducing
    /// them: a non-canonical encoding of a public key or of r is malformed input.
    init?(canonicalBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let raw = UInt256(bigEndianBytes: bytes)
        guard raw.lessThanMask(Self.modulus) != 0 else { return nil }
        value = raw
    }

    /// The 32-byte big-endian encoding of the canonical value.
    var bytes: [UInt8] { value.bigEndianBytes }

    /// 1 when the canonical value is odd (the parity bit of a compressed or recoverable y).
    var parity: UInt64 { value.l0 & 1 }

    /// All ones when zero, else zero.
    var isZeroMask: UInt64 { value.isZeroMask }

    /// All ones when equal, else zero; constant-time because values are canonical.
    func equalMask(_ other: FieldElement) -> UInt64 { value.equalMask(other.value) }

    /// `whenSet` under an all-ones mask, `otherwise` under zero.
    static func select(_ mask: UInt64, _ whenSet: FieldElement, _ otherwise: FieldElement) -> FieldElement {
        FieldElement(canonical: UInt256.select(mask, whenSet.value, otherwise.value))
    }

    static func + (a: FieldElement, b: FieldElement) -> FieldElement {
        // a + b < 2p. Subtract p and keep the difference unless the sum neither carried
        // nor reached p; on a carry the wrapped difference is exactly a + b − p.
        let (sum, carry) = a.value.adding(b.value)
        let (reduced, borrow) = sum.subtracting(modulus)
        let keepSum = Limb.zeroMask(carry) & (0 &- borrow)
        return FieldElement(canonical: UInt256.select(keepSum, sum, reduced))
    }

    static func - (a: FieldElement, b: FieldElement) -> FieldElement {
        let (difference, borrow) = a.value.subtracting(b.value)
        return FieldElement(canonical: difference.adding(modulus.masked(0 &- borrow)).sum)
    }

    static prefix func - (a: FieldElement) -> FieldElement {
        zero - a
    }

    static func * (a: FieldElement, b: FieldElement) -> FieldElement {
        let (high, low) = a.value.multipliedFullWidth(by: b.value)
        // high · 2^256 ≡ high · wrap: fold the high half into a 289-bit value.
        let (foldedTop, foldedLow) = high.multipliedFullWidth(byLimb: wrap)
        let (sum, carry) = foldedLow.adding(low)
        return FieldElement(foldingTop: foldedTop &+ carry, low: sum)
    }

    /// `self · factor` for a small public constant (the curve's 3b = 21).
    func times(_ factor: UInt64) -> FieldElement {
        let (top, low) = value.multipliedFullWidth(byLimb: factor)
        return FieldElement(foldingTop: top, low: low)
    }

    func squared() -> FieldElement { self * self }

    /// self^(p−2) = self⁻¹ by Fermat's little theorem (0 maps to 0). The exponent is public,
    /// so the square-and-multiply schedule is the same for every input.
    func inverted() -> FieldElement {
        power(Self.inverseExponent)
    }

    /// A square root of `self`, or nil when `self` is not a square. p ≡ 3 (mod 4), so the
    /// root is self^((p+1)/4); it is checked by squaring. Used only on public data
    /// (recovering R from r), where the branch on the result reveals nothing secret.
    func squareRoot() -> FieldElement? {
        let root = power(Self.squareRootExponent)
        return root.squared().equalMask(self) != 0 ? root : nil
    }

    static let inverseExponent = UInt256(
        l0: 0xFFFF_FFFE_FFFF_FC2D, l1: 0xFFFF_FFFF_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0xFFFF_FFFF_FFFF_FFFF)
    static let squareRootExponent = UInt256(
        l0: 0xFFFF_FFFF_BFFF_FF0C, l1: 0xFFFF_FFFF_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFF, l3: 0x3FFF_FFFF_FFFF_FFFF)

    /// Wraps a value the caller has already reduced below p.
    private init(canonical: UInt256) {
        value = canonical
    }

    /// Reduces top · 2^256 + low for top < 2^35: folds top back in with `wrap`, absorbs the
    /// possible carry with one masked `wrap` addition (it cannot carry again, the value is
    /// then below 2^100), and finishes with one conditional subtraction of p.
    private init(foldingTop top: UInt64, low: UInt256) {
        let (foldLow, foldHigh) = Limb.multiplyAdd(top, Self.wrap, 0)
        let (sum, carry) = low.adding(UInt256(l0: foldLow, l1: foldHigh, l2: 0, l3: 0))
        let wrapped = sum.adding(UInt256(l0: Self.wrap & (0 &- carry), l1: 0, l2: 0, l3: 0)).sum
        self.init(reducing: wrapped)
    }
}

/// Arithmetic shared by the base field and the scalar field: exponentiation by a public
/// exponent, used for inverses and square roots.
protocol ModularArithmetic {
    static var one: Self { get }
    static func * (a: Self, b: Self) -> Self
}

extension ModularArithmetic {
    /// self^exponent by fixed 4-bit windows: 15 multiplications for the table, then for
    /// each of the 64 digits four squarings and one multiplication, even when the digit is
    /// 0 (it multiplies by one). The exponent is a public constant, so indexing the table
    /// with its digits leaks nothing.
    func power(_ exponent: UInt256) -> Self {
        var table = [Self.one, self]
        for _ in 2..<16 {
            table.append(table[table.count - 1] * self)
        }
        var result = Self.one
        for index in stride(from: 63, through: 0, by: -1) {
            result = result * result
            result = result * result
            result = result * result
            result = result * result
            result = result * table[Int(exponent.nibble(at: index))]
        }
        return result
    }
}

extension FieldElement: ModularArithmetic {}
