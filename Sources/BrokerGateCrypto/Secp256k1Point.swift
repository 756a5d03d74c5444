/// A point of secp256k1, y² = x³ + 7 over the base field, in homogeneous projective
/// coordinates (X : Y : Z) standing for the affine point (X/Z, Y/Z); the point at infinity
/// (the group identity) is (0 : 1 : 0).
///
/// Addition and doubling use the complete formulas of Renes, Costello and Batina
/// ("Complete addition formulas for prime order elliptic curves", EUROCRYPT 2016,
/// algorithms 7 and 9, for a = 0). "Complete" means one formula is correct for every pair of
/// inputs — P + Q, P + P, P + O, O + O — so scalar multiplication never needs a branch to
/// special-case doubling or the identity, and its sequence of operations is the same for
/// every secret scalar.
struct ProjectivePoint: Sendable {
    var x: FieldElement
    var y: FieldElement
    var z: FieldElement

    static let identity = ProjectivePoint(x: .zero, y: .one, z: .zero)

    /// G, from SEC 2 §2.4.1.
    static let generator = ProjectivePoint(
        affineX: FieldElement(
            reducing: UInt256(
                l0: 0x59F2_815B_16F8_1798, l1: 0x029B_FCDB_2DCE_28D9, l2: 0x55A0_6295_CE87_0B07, l3: 0x79BE_667E_F9DC_BBAC)),
        y: FieldElement(
            reducing: UInt256(
                l0: 0x9C47_D08F_FB10_D4B8, l1: 0xFD17_B448_A685_5419, l2: 0x5DA4_FBFC_0E11_08A8, l3: 0x483A_DA77_26A3_C465)))

    /// The curve constant b = 7.
    static let curveB = FieldElement(small: 7)
    /// 3·b, the constant the complete formulas multiply by.
    static let curveB3: UInt64 = 21

    init(x: FieldElement, y: FieldElement, z: FieldElement) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// Lifts an affine point (Z = 1). The caller has checked it lies on the curve.
    init(affineX: FieldElement, y: FieldElement) {
        self.init(x: affineX, y: y, z: .one)
    }

    /// True when (x, y) satisfies y² = x³ + 7. With cofactor 1 every such point is in the
    /// prime-order group, so this is all the validation a public key needs.
    static func isOnCurve(x: FieldElement, y: FieldElement) -> Bool {
        y.squared().equalMask(x.squared() * x + curveB) != 0
    }

    /// The affine coordinates, or nil for the identity. The inverse is a fixed
    /// exponentiation; the nil check branches only on "is this the identity", which for a
    /// valid private key is never true.
    func affine() -> (x: FieldElement, y: FieldElement)? {
        guard z.isZeroMask == 0 else { return nil }
        let zInverse = z.inverted()
        return (x * zInverse, y * zInverse)
    }

    /// `whenSet` under an all-ones mask, `otherwise` under zero.
    static func select(_ mask: UInt64, _ whenSet: ProjectivePoint, _ otherwise: ProjectivePoint) -> ProjectivePoint {
        ProjectivePoint(
            x: .select(mask, whenSet.x, otherwise.x), y: .select(mask, whenSet.y, otherwise.y),
            z: .select(mask, whenSet.z, otherwise.z))
    }

    /// P + Q by RCB algorithm 7 (complete, a = 0): 12 multiplications, 2 by 3b.
    static func + (p: ProjectivePoint, q: ProjectivePoint) -> ProjectivePoint {
        var t0 = p.x * q.x
        var t1 = p.y * q.y
        var t2 = p.z * q.z
        var t3 = (p.x + p.y) * (q.x + q.y)
        var t4 = t0 + t1
        t3 = t3 - t4
        t4 = (p.y + p.z) * (q.y + q.z)
        var x3 = t1 + t2
        t4 = t4 - x3
        x3 = (p.x + p.z) * (q.x + q.z)
        var y3 = t0 + t2
        y3 = x3 - y3
        x3 = t0 + t0
        t0 = x3 + t0
        t2 = t2.times(curveB3)
        var z3 = t1 + t2
        t1 = t1 - t2
        y3 = y3.times(curveB3)
        x3 = t4 * y3
        t2 = t3 * t1
        x3 = t2 - x3
        y3 = y3 * t0
        t1 = t1 * z3
        y3 = t1 + y3
        t0 = t0 * t3
        z3 = z3 * t4
        z3 = z3 + t0
        return ProjectivePoint(x: x3, y: y3, z: z3)
    }

    /// 2P by RCB algorithm 9 (complete, a = 0): 6 multiplications, 2 squarings.
    func doubled() -> ProjectivePoint {
        var t0 = y.squared()
        var z3 = t0 + t0
        z3 = z3 + z3
        z3 = z3 + z3
        var t1 = y * z
        var t2 = z.squared()
        t2 = t2.times(Self.curveB3)
        var x3 = t2 * z3
        var y3 = t0 + t2
        z3 = t1 * z3
        t1 = t2 + t2
        t2 = t1 + t2
        t0 = t0 - t2
        y3 = t0 * y3
        y3 = x3 + y3
        t1 = x * y
        x3 = t0 * t1
        x3 = x3 + x3
        return ProjectivePoint(x: x3, y: y3, z: z3)
    }

    /// Σ scalarᵢ·Pointᵢ by fixed 4-bit windows with shared doublings (Straus).
    ///
    /// The sequence of operations depends only on the number of terms: per point a table of
    /// 0·P … 15·P, then 64 rounds of four doublings and, per term, one addition of a table
    /// entry read by scanning all 16 entries with masks, so neither the branch pattern nor
    /// the memory addresses depend on the scalar's digits. A zero digit adds the identity,
    /// which the complete formula handles like any other point.
    static func linearCombination(_ terms: [(scalar: Scalar, point: ProjectivePoint)]) -> ProjectivePoint {
        let tables = terms.map { multiplesTable(of: $0.point) }
        var accumulator = identity
        for window in stride(from: 63, through: 0, by: -1) {
            accumulator = accumulator.doubled().doubled().doubled().doubled()
            for (term, table) in zip(terms, tables) {
                let digit = term.scalar.value.nibble(at: window)
                accumulator = accumulator + constantTimeLookup(table, digit)
            }
        }
        return accumulator
    }

    /// [0·P, 1·P, …, 15·P].
    private static func multiplesTable(of point: ProjectivePoint) -> [ProjectivePoint] {
        var table = [identity, point]
        for _ in 2..<16 {
            table.append(table[table.count - 1] + point)
        }
        return table
    }

    /// `table[digit]`, reading every entry so the access pattern is independent of `digit`.
    private static func constantTimeLookup(_ table: [ProjectivePoint], _ digit: UInt64) -> ProjectivePoint {
        var result = identity
        for (index, entry) in table.enumerated() {
            result = select(Limb.zeroMask(UInt64(index) ^ digit), entry, result)
        }
        return result
    }
}
