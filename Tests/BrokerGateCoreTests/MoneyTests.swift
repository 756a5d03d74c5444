import Foundation
import Testing

@testable import BrokerGateCore

/// Values are written as text, as on the wire; `try` makes a typo fail the test, not crash it.
private func amount(_ text: String, _ scale: Int) throws -> Amount {
    try Amount(parsing: text, scale: scale)
}

/// A deterministic generator (xorshift64*) so property tests replay identically.
private struct Xorshift: RandomNumberGenerator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

extension Amount {
    /// Deterministic random amounts of every scale, 1 to 38 digits, both signs (shared by the
    /// Money suites' property tests).
    static func samples(_ count: Int) -> [Amount] {
        var rng = Xorshift()
        return (0..<count).map { _ in
            let digits = Int.random(in: 1...38, using: &rng)
            let magnitude = Int128(UInt128.random(in: 0..<Amount.powerOfTen(digits), using: &rng))
            let units = Bool.random(using: &rng) ? -magnitude : magnitude
            return Amount(units: units, scale: Int.random(in: 0...Amount.maxScale, using: &rng))
        }
    }
}

@Suite("Money: exact arithmetic and text")
struct MoneyTests {
    @Test func addition_pointOnePlusPointTwo_isExactlyPointThree() throws {
        let sum = try amount("0.1", 1).adding(amount("0.2", 1))
        #expect(sum == (try amount("0.3", 1)))
        #expect(sum.units == 3 && sum.description == "0.3")
    }

    @Test(arguments: [
        ("12.3400", 4), ("-0.5", 1), ("7", 0), ("0.0001", 4), ("-0.0001", 4), ("12.3456", 4),
        ("0.000000000000000001", 18), ("99999999999999999999999999999999999999", 0),
        ("-1234567890123456789.012345678901234567", 18),
    ])
    func parseThenRender_roundTripsExactly(text: String, scale: Int) throws {
        #expect(try amount(text, scale).description == text)
    }

    @Test func parse_fewerDigitsThanScale_padsWithZeros() throws {
        #expect(try amount("1.5", 2).units == 150)
        #expect(try amount("3", 4).description == "3.0000")
        #expect(try amount("12.34560000", 4).description == "12.3456")  // zeros are not precision lost
    }

    @Test func parse_negativeZero_isPlainZero() throws {
        for text in ["-0", "-0.00", "0.000"] {
            let zero = try amount(text, 2)
            #expect(zero.isZero && !zero.isNegative && zero.description == "0.00")
        }
    }

    @Test func description_isCanonicalAtScale_andTrimmedDropsTrailingZeros() {
        let cases: [(Amount, String, String)] = [
            (Amount(units: 150, scale: 2), "1.50", "1.5"),
            (Amount(units: -1, scale: 4), "-0.0001", "-0.0001"),
            (Amount(units: 3, scale: 0), "3", "3"), (Amount(units: 300, scale: 2), "3.00", "3"),
            (.zero(scale: 2), "0.00", "0"),
            (Amount(units: -120, scale: 18), "-0.000000000000000120", "-0.00000000000000012"),
        ]
        for (value, canonical, trimmed) in cases {
            #expect(value.description == canonical && value.trimmedDescription == trimmed)
        }
    }

    @Test func parse_quantityWithFiveDecimals_isTooPreciseForScaleFour() {
        #expect(throws: AmountError.tooPrecise(scale: 4)) { try amount("12.34567", 4) }
        #expect(throws: AmountError.tooPrecise(scale: 0)) { try amount("1.5", 0) }
    }

    /// (input, rule, result at scale 4): positives, negatives, ties, and values under one unit.
    static let roundingCases: [(String, RoundingRule, String)] = [
        ("12.34567", .down, "12.3456"), ("12.34567", .up, "12.3457"),
        ("12.34567", .floor, "12.3456"), ("12.34567", .ceiling, "12.3457"),
        ("12.34567", .halfEven, "12.3457"), ("12.34567", .halfUp, "12.3457"),
        ("-12.34567", .down, "-12.3456"), ("-12.34567", .up, "-12.3457"),
        ("-12.34567", .floor, "-12.3457"), ("-12.34567", .ceiling, "-12.3456"),
        ("-12.34567", .halfEven, "-12.3457"), ("-12.34567", .halfUp, "-12.3457"),
        ("12.34561", .down, "12.3456"), ("12.34561", .up, "12.3457"),
        ("12.34561", .halfUp, "12.3456"), ("12.34561", .halfEven, "12.3456"),
        ("12.34565", .halfEven, "12.3456"), ("12.34565", .halfUp, "12.3457"),
        ("12.34575", .halfEven, "12.3458"), ("12.34575", .halfUp, "12.3458"),
        ("-12.34565", .halfEven, "-12.3456"), ("-12.34565", .halfUp, "-12.3457"),
        ("12.345650000001", .halfEven, "12.3457"), ("12.3456", .up, "12.3456"),
        ("-0.00001", .down, "0.0000"), ("-0.00001", .up, "-0.0001"),
        ("-0.00001", .floor, "-0.0001"), ("-0.00001", .ceiling, "0.0000"),
        ("0.00005", .halfEven, "0.0000"), ("0.00005", .halfUp, "0.0001"),
    ]

    @Test(arguments: roundingCases)
    func parseAndRescale_dropDigitsByTheChosenRule(
        text: String, rule: RoundingRule, expected: String
    ) throws {
        #expect(try Amount(parsing: text, scale: 4, rounding: rule).description == expected)
        let full = try Amount(parsingAtNaturalScale: text)
        #expect(try full.rescaled(to: 4, rounding: rule).description == expected)
    }

    @Test func rescale_upIsExact_andExactRuleRefusesToDropDigits() throws {
        #expect(try amount("1.5", 1).rescaled(to: 4, rounding: .exact).description == "1.5000")
        #expect(try amount("1.5000", 4).rescaled(to: 1, rounding: .exact).description == "1.5")
        #expect(throws: AmountError.tooPrecise(scale: 2)) {
            try amount("1.505", 3).rescaled(to: 2, rounding: .exact)
        }
        #expect(throws: AmountError.scaleOutOfRange(19)) {
            try amount("1", 0).rescaled(to: 19, rounding: .down)
        }
    }

    @Test func negativeValues_signAndNegationAreTotal() throws {
        let debt = try amount("-12.50", 2)
        #expect(debt.isNegative && debt.signum() == -1 && debt.absoluteValue.description == "12.50")
        #expect((-debt).description == "12.50" && debt.negated().negated() == debt)
        let extreme = Amount(units: -.max, scale: 0)
        #expect((-extreme).units == .max && extreme.absoluteValue.units == .max)
        #expect(throws: AmountError.overflow) { try Amount(validatingUnits: .min, scale: 0) }
        #expect(try amount("2", 0).subtracting(amount("2.25", 2)).description == "-0.25")
    }

    @Test func overflow_atInt128Limits_throwsInsteadOfTrapping() throws {
        let max = Amount(units: .max, scale: 0)
        let one = try amount("1", 0)
        #expect(throws: AmountError.overflow) { try max.adding(one) }
        #expect(throws: AmountError.overflow) { try max.negated().subtracting(one) }  // would be Int128.min
        #expect(throws: AmountError.overflow) { try max.rescaled(to: 1, rounding: .exact) }
        #expect(throws: AmountError.overflow) {
            try max.multiplied(by: amount("2", 0), scale: 0, rounding: .down)
        }
        #expect(throws: AmountError.overflow) {
            try max.divided(by: amount("0.5", 1), scale: 0, rounding: .down)
        }
        #expect(throws: AmountError.overflow) {
            try amount("200000000000000000000000000000000000000", 0)
        }
        #expect(throws: AmountError.overflow) { try amount("200000000000000000000", 18) }  // 2e38 units
        #expect(
            try amount("100000000000000000000000000000000000000", 0).units
                == Int128(Amount.powerOfTen(38)))
    }

    @Test func addition_mixedScales_alignsToTheLargerScaleExactly() throws {
        let sum = try amount("1.5", 1).adding(amount("0.25", 2))
        #expect(sum.scale == 2 && sum.description == "1.75")
    }

    @Test func division_oneHundredByThree_roundsByTheChosenRule() throws {
        let payment = try amount("100.00", 2)
        let three = try amount("3", 0)
        #expect(try payment.divided(by: three, scale: 4, rounding: .down).description == "33.3333")
        #expect(try payment.divided(by: three, scale: 4, rounding: .up).description == "33.3334")
        #expect(
            try payment.negated().divided(by: three, scale: 4, rounding: .floor).description
                == "-33.3334")
        #expect(throws: AmountError.tooPrecise(scale: 4)) {
            try payment.divided(by: three, scale: 4, rounding: .exact)
        }
        #expect(
            try payment.divided(by: amount("8", 0), scale: 3, rounding: .exact).description
                == "12.500")
    }

    @Test func division_paymentByPrice_givesQuantity() throws {
        let quantity = try amount("1000.00", 2).divided(
            by: amount("187.23", 2), scale: 4, rounding: .down)
        #expect(quantity.description == "5.3410")  // 5.34102..., never more than was paid for
    }

    @Test func division_byZero_throws() {
        #expect(throws: AmountError.divisionByZero) {
            try amount("1", 0).divided(by: .zero(scale: 2), scale: 2, rounding: .down)
        }
    }

    @Test func division_tinyByHuge_isZeroOrOneUnitByRule() throws {
        // The divisor scaled to the result exceeds 128 bits: quotient 0, remainder under half.
        let tiny = Amount(units: 5, scale: 18)
        let huge = try amount("1000000000000000000000000000000", 0)
        #expect(try tiny.divided(by: huge, scale: 2, rounding: .down).description == "0.00")
        #expect(try tiny.divided(by: huge, scale: 2, rounding: .up).description == "0.01")
        #expect(
            try tiny.negated().divided(by: huge, scale: 2, rounding: .floor).description == "-0.01")
    }

    @Test func multiplication_priceTimesQuantity_roundsByTheChosenRule() throws {
        let price = try amount("187.23", 2)
        let quantity = try amount("0.1234", 4)
        #expect(
            try price.multiplied(by: quantity, scale: 6, rounding: .exact).description
                == "23.104182")
        #expect(
            try price.multiplied(by: quantity, scale: 2, rounding: .down).description == "23.10")
        #expect(try price.multiplied(by: quantity, scale: 2, rounding: .up).description == "23.11")
        #expect(
            try price.multiplied(by: quantity.negated(), scale: 2, rounding: .halfEven).description
                == "-23.10")
        #expect(throws: AmountError.tooPrecise(scale: 2)) {
            try price.multiplied(by: quantity, scale: 2, rounding: .exact)
        }
        #expect(
            try price.multiplied(by: amount("3", 0), scale: 4, rounding: .exact).description
                == "561.6900")
    }

    @Test func multiplication_productWiderThan128Bits_stillRoundsExactly() throws {
        // 27 × 19 digits at scale 36: the intermediate needs 256 bits; the result fits.
        let a = try amount("123456789.123456789012345678", 18)
        let b = try amount("2.500000000000000001", 18)
        #expect(try a.multiplied(by: b, scale: 2, rounding: .down).description == "308641972.80")
        #expect(
            try a.multiplied(by: b, scale: 18, rounding: .halfEven).description
                == "308641972.808641972654320984")
    }

    @Test(arguments: [
        "", "1e3", "1E3", "NaN", "Infinity", "-Infinity", "1.2.3", " 1", "1 ", "1\n", "1,0",
        "1,000", "+", "-",
        "+1", "+-1", "--1", "0x10", "١٢", "１２", ".5", "-.5", "5.", "007", "-01.5", "1_000", "٫5",
        "1.-5",
    ])
    func parse_rejectsMalformedText(text: String) {
        #expect(throws: AmountError.malformed(text)) { try amount(text, 4) }
    }

    @Test func parse_rejectsMoreThan38SignificantDigitsOr200Characters() throws {
        let digits39 = "1." + String(repeating: "0", count: 37) + "1"
        #expect(throws: AmountError.tooManyDigits(AmountError.excerpt(digits39))) {
            try amount(digits39, 18)
        }
        let digits38 = "1." + String(repeating: "0", count: 36) + "1"
        #expect(
            try Amount(parsing: digits38, scale: 18, rounding: .down).description
                == "1.000000000000000000")
        let long = "0." + String(repeating: "0", count: 199)
        #expect(throws: AmountError.tooManyDigits(String(long.prefix(40)) + "…")) {
            try amount(long, 2)
        }
        #expect(throws: AmountError.scaleOutOfRange(19)) { try amount("1", 19) }
        #expect(throws: AmountError.scaleOutOfRange(-1)) { try amount("1", -1) }
    }

    @Test func equality_comparesValueAcrossScales_consistentlyWithHashing() throws {
        let (a, b) = (try amount("1.50", 2), try amount("1.5", 1))
        #expect(a == b && a.hashValue == b.hashValue && Set([a, b]).count == 1)
        let (above, below) = (try amount("1.51", 2), try amount("1.49", 2))
        #expect(a != above && a < above && a > below && !(a < b) && !(b < a))
        #expect(try amount("-1.5", 1) < amount("-1.49", 2))
        #expect(Amount(units: .max, scale: 18) < Amount(units: .max, scale: 0))  // aligning would overflow
        #expect(Amount(units: -.max, scale: 0) < Amount(units: -.max, scale: 18))
    }

    @Test func ordering_agreesWithTheSignOfTheDifference() throws {
        let values = Amount.samples(600)
        for (x, y) in zip(values, values.reversed()) {
            guard let difference = try? x.subtracting(y) else { continue }
            #expect(
                (x < y) == difference.isNegative && (x == y) == difference.isZero
                    && (x > y) == difference.isPositive)
            let reparsed = try Amount(parsing: x.description, scale: x.scale)
            #expect(x.normalized() == x && reparsed == x && reparsed.scale == x.scale)
            if let wider = try? x.rescaled(to: Amount.maxScale, rounding: .exact) {
                #expect(
                    wider == x && wider.hashValue == x.hashValue && !(wider < x) && !(x < wider))
            }
        }
    }

    @Test func errors_nameTheFieldInAnActionableMessage() throws {
        let natural = try Amount(parsingAtNaturalScale: "10.125")
        #expect(throws: AmountError.field("payment_amount", .tooPrecise(scale: 2))) {
            try natural.requiringScale(2, field: "payment_amount")
        }
        let error = AmountError.tooPrecise(scale: 2).naming("payment_amount")
        #expect(error.message == "payment_amount has more than 2 decimal places")
        #expect(error.code == "amount_too_precise" && error.fieldName == "payment_amount")
        #expect(error.naming("limit_price") == .field("limit_price", .tooPrecise(scale: 2)))
        #expect(try natural.requiringScale(4, field: "asset_quantity").description == "10.1250")
        #expect(
            AmountError.malformed("1e3").message.hasPrefix(
                "amount \"1e3\" is not a plain decimal number"))
    }
}
