/// A 256-bit unsigned integer as four 64-bit limbs, least significant first: the fixed-width
/// substrate under secp256k1's field and scalar arithmetic.
///
/// Private keys and nonces flow through every function here, so none of them branches on,
/// or indexes memory with, limb values: carries and comparisons come out as 0/1 words
/// computed with bit operations, and choices are made with all-ones/all-zeros masks. The
/// only indices taken (`nibble(at:)`) are positions, which are public. It is deliberately
/// not `Equatable`: a synthesized `==` would return early on the first differing limb.
struct UInt256: Sendable {
    var l0: UInt64
    var l1: UInt64
    var l2: UInt64
    var l3: UInt64

    static let zero = UInt256(l0: 0, l1: 0, l2: 0, l3: 0)

    /// Reads exactly 32 big-endian bytes (the encoding of keys, digests, r and s).
    init(bigEndianBytes bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "UInt256 needs exactly 32 bytes")
        var limbs: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            let limb = 3 - index / 8
            limbs[limb] = limbs[limb] << 8 | UInt64(byte)
        }
        self.init(l0: limbs[0], l1: limbs[1], l2: limbs[2], l3: limbs[3])
    }

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }

    /// The 32-byte big-endian encoding.
    var bigEndianBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for limb in [l3, l2, l1, l0] {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift)))
            }
        }
        return bytes
    }

    /// `self + other` modulo 2^256, and the carry out (0 or 1).
    func adding(_ other: UInt256) -> (sum: UInt256, carry: UInt64) {
        let (s0, c0) = Limb.addWithCarry(l0, other.l0, 0)
        let (s1, c1) = Limb.addWithCarry(l1, other.l1, c0)
        let (s2, c2) = Limb.addWithCarry(l2, other.l2, c1)
        let (s3, c3) = Limb.addWithCarry(l3, other.l3, c2)
        return (UInt256(l0: s0, l1: s1, l2: s2, l3: s3), c3)
    }

    /// `self - other` modulo 2^256, and the borrow out (1 exactly when `self < other`).
    func subtracting(_ other: UInt256) -> (difference: UInt256, borrow: UInt64) {
        let (d0, b0) = Limb.subtractWithBorrow(l0, other.l0, 0)
        let (d1, b1) = Limb.subtractWithBorrow(l1, other.l1, b0)
        let (d2, b2) = Limb.subtractWithBorrow(l2, other.l2, b1)
        let (d3, b3) = Limb.subtractWithBorrow(l3, other.l3, b2)
        return (UInt256(l0: d0, l1: d1, l2: d2, l3: d3), b3)
    }

    /// The exact 512-bit product, by schoolbook rows (16 limb products, no early exit).
    func multipliedFullWidth(by other: UInt256) -> (high: UInt256, low: UInt256) {
        let row0 = other.multipliedFullWidth(byLimb: l0)
        let r0 = row0.low.l0
        let row1 = other.multipliedFullWidth(byLimb: l1)
        let (a1, c1) = UInt256(l0: row0.low.l1, l1: row0.low.l2, l2: row0.low.l3, l3: row0.high).adding(row1.low)
        let r1 = a1.l0
        let row2 = other.multipliedFullWidth(byLimb: l2)
        let (a2, c2) = UInt256(l0: a1.l1, l1: a1.l2, l2: a1.l3, l3: row1.high &+ c1).adding(row2.low)
        let r2 = a2.l0
        let row3 = other.multipliedFullWidth(byLimb: l3)
        let (a3, c3) = UInt256(l0: a2.l1, l1: a2.l2, l2: a2.l3, l3: row2.high &+ c2).adding(row3.low)
        // The product is below 2^512, so the top limb cannot overflow.
        let low = UInt256(l0: r0, l1: r1, l2: r2, l3: a3.l0)
        let high = UInt256(l0: a3.l1, l1: a3.l2, l2: a3.l3, l3: row3.high &+ c3)
        return (high, low)
    }

    /// The exact 320-bit product with one limb, as the top limb and the low 256 bits.
    func multipliedFullWidth(byLimb factor: UInt64) -> (high: UInt64, low: UInt256) {
        let (p0, h0) = Limb.multiplyAdd(l0, factor, 0)
        let (p1, h1) = Limb.multiplyAdd(l1, factor, h0)
        let (p2, h2) = Limb.multiplyAdd(l2, factor, h1)
        let (p3, h3) = Limb.multiplyAdd(l3, factor, h2)
        return (h3, UInt256(l0: p0, l1: p1, l2: p2, l3: p3))
    }

    /// Limb-wise AND: keeps `self` under an all-ones mask, gives zero under a zero mask.
    func masked(_ mask: UInt64) -> UInt256 {
        UInt256(l0: l0 & mask, l1: l1 & mask, l2: l2 & mask, l3: l3 & mask)
    }

    /// `whenSet` where `mask` is all ones, `otherwise` where it is zero, without a branch.
    static func select(_ mask: UInt64, _ whenSet: UInt256, _ otherwise: UInt256) -> UInt256 {
        UInt256(
            l0: (whenSet.l0 & mask) | (otherwise.l0 & ~mask), l1: (whenSet.l1 & mask) | (otherwise.l1 & ~mask),
            l2: (whenSet.l2 & mask) | (otherwise.l2 & ~mask), l3: (whenSet.l3 & mask) | (otherwise.l3 & ~mask))
    }

    /// All ones when the value is zero, else zero.
    var isZeroMask: UInt64 {
        Limb.zeroMask(l0 | l1 | l2 | l3)
    }

    /// All ones when `self == other`, else zero; never exits early.
    func equalMask(_ other: UInt256) -> UInt64 {
        Limb.zeroMask((l0 ^ other.l0) | (l1 ^ other.l1) | (l2 ^ other.l2) | (l3 ^ other.l3))
    }

    /// All ones when `self < other`, else zero (the borrow of the subtraction).
    func lessThanMask(_ other: UInt256) -> UInt64 {
        0 &- subtracting(other).borrow
    }

    /// The 4-bit digit at `index` (0 = least significant, 63 = most). The index is a public
    /// loop position; only the returned digit depends on the value.
    func nibble(at index: Int) -> UInt64 {
        precondition((0..<64).contains(index), "a 256-bit value has 64 nibbles")
        let limb: UInt64
        switch index / 16 {
        case 0: limb = l0
        case 1: limb = l1
        case 2: limb = l2
        default: limb = l3
        }
        return (limb >> UInt64(4 * (index % 16))) & 0xF
    }
}

/// Word-level primitives for multi-limb arithmetic, each branch-free so that carries,
/// borrows and masks derived from secret limbs never become jumps.
enum Limb {
    /// `a + b + carryIn` and the carry out. The carry is bit 63 of the full adder's majority
    /// function, computed with bit operations instead of a comparison so that no compiler can
    /// turn it into a branch.
    @inline(__always)
    static func addWithCarry(_ a: UInt64, _ b: UInt64, _ carryIn: UInt64) -> (sum: UInt64, carry: UInt64) {
        let sum = a &+ b &+ carryIn
        return (sum, ((a & b) | ((a | b) & ~sum)) >> 63)
    }

    /// `a - b - borrowIn` and the borrow out, branch-free like `addWithCarry`.
    @inline(__always)
    static func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrowIn: UInt64) -> (difference: UInt64, borrow: UInt64) {
        let difference = a &- b &- borrowIn
        return (difference, ((~a & b) | ((~a | b) & difference)) >> 63)
    }

    /// `a × b + addend` as (low, high). It cannot overflow 128 bits: (2^64−1)² + (2^64−1) < 2^128.
    @inline(__always)
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ addend: UInt64) -> (low: UInt64, high: UInt64) {
        let (high, low) = a.multipliedFullWidth(by: b)
        let (sum, carry) = Limb.addWithCarry(low, addend, 0)
        return (sum, high &+ carry)
    }

    /// All ones when `word` is zero, else zero: `word | -word` has bit 63 set exactly when
    /// `word` is non-zero. Swift has no optimization barrier, so LLVM may still recognize
    /// this idiom and emit a jump where the mask feeds a single select (it did in scalar
    /// negation, since rewritten); the secret-data paths were checked in x86-64 release
    /// disassembly (e.g. the table lookup compiles to `sete` plus vector masks).
    @inline(__always)
    static func zeroMask(_ word: UInt64) -> UInt64 {
        ((word | (0 &- word)) >> 63) &- 1
    }
}
