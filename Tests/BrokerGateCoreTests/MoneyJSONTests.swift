import Foundation
import Testing

@testable import BrokerGateCore

/// A request-shaped body, so the tests see what JSONEncoder/JSONDecoder do to a field.
private struct Body: Codable { var payment_amount: Amount }

private func decode(_ json: String) throws -> Amount {
    try JSONDecoder().decode(Body.self, from: Data("{\"payment_amount\": \(json)}".utf8))
        .payment_amount
}

private func encode(_ value: Amount) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]  // options explicit, not defaults
    return String(decoding: try encoder.encode(Body(payment_amount: value)), as: UTF8.self)
}

/// The `AmountError` inside a `DecodingError`, or nil when the decoder itself failed.
private func amountError(decoding json: String) -> AmountError? {
    do {
        _ = try decode(json)
        return nil
    } catch let DecodingError.dataCorrupted(context) {
        return context.underlyingError as? AmountError
    } catch {
        return nil
    }
}

@Suite("Money: exact JSON")
struct MoneyJSONTests {
    static let exactNumbers = [
        "0.1", "0.3", "19.99", "123456789012345.6789", "-0.0001", "0.000000000000000001",
        "99999999999999999999999999999999999999", "0.30000000000000004", "9007199254740993",
    ]

    @Test(arguments: exactNumbers)
    func encode_rendersTheExactDigitsAsAJSONNumber(text: String) throws {
        #expect(try encode(Amount(parsingAtNaturalScale: text)) == "{\"payment_amount\":\(text)}")
    }

    @Test(arguments: exactNumbers)
    func decode_readsTheNumbersTextExactly_neverThroughDouble(text: String) throws {
        let decoded = try decode(text)
        #expect(decoded.description == text)  // natural scale: exactly the digits sent
    }

    @Test func encode_trimsTrailingZeros_andNeverUsesExponents() throws {
        #expect(try encode(Amount(units: 150, scale: 2)) == "{\"payment_amount\":1.5}")
        #expect(try encode(.zero(scale: 4)) == "{\"payment_amount\":0}")
        let e38 = "100000000000000000000000000000000000000"
        #expect(try encode(Amount(parsing: e38, scale: 0)) == "{\"payment_amount\":\(e38)}")  // not 1e38
        #expect(
            try encode(Amount(units: -.max, scale: 18))
                == "{\"payment_amount\":-170141183460469231731.687303715884105727}")
    }

    @Test func decimalValue_isExactAtEveryScaleUpToInt128Max() {
        for scale in 0...Amount.maxScale {
            for units: Int128 in [.max, -.max, 1, -1, 10] {
                let value = Amount(units: units, scale: scale)
                #expect(value.decimalValue.description == value.trimmedDescription)
            }
        }
    }

    @Test func encodeThenDecode_roundTripsEveryValue() throws {
        for value in Amount.samples(500) {
            let data = try JSONEncoder().encode(Body(payment_amount: value))
            #expect(try JSONDecoder().decode(Body.self, from: data).payment_amount == value)
        }
    }

    @Test func decode_naturalScaleIsTheSmallestThatHoldsTheValue() throws {
        #expect(try decode("1.50").scale == 1)
        #expect(try decode("\"12.3400\"").description == "12.34")
        #expect(try decode("1e2").description == "100")  // a JSON exponent is valid JSON
        let negativeZero = try decode("-0")
        #expect(negativeZero.isZero && negativeZero.description == "0")
    }

    @Test func decode_acceptsDecimalStrings_withTheStrictGrammar() throws {
        #expect(try decode("\"19.99\"") == Amount(units: 1999, scale: 2))
        #expect(amountError(decoding: "\"NaN\"") == .field("payment_amount", .malformed("NaN")))
        #expect(amountError(decoding: "\"1e3\"") == .field("payment_amount", .malformed("1e3")))
        #expect(amountError(decoding: "\"1,5\"") == .field("payment_amount", .malformed("1,5")))
    }

    @Test func decode_rejectsWhatItCannotHoldExactly() throws {
        #expect(throws: DecodingError.self) { try decode("1e400") }  // Foundation: not valid JSON
        #expect(throws: DecodingError.self) { try decode("NaN") }
        #expect(throws: DecodingError.self) { try decode("null") }
        #expect(throws: DecodingError.self) { try decode("true") }
        #expect(
            amountError(decoding: "1" + String(repeating: "0", count: 50))
                == .field("payment_amount", .overflow))
        #expect(amountError(decoding: "1e-19") == .field("payment_amount", .tooPrecise(scale: 18)))
        #expect(
            amountError(decoding: "0.0000000000000000001")
                == .field("payment_amount", .tooPrecise(scale: 18)))
        let truncated = amountError(decoding: "123456789012345678901234567890123456789.5")
        #expect(truncated?.code == "amount_too_many_digits")  // Foundation kept 39 digits: suspect
    }

    @Test func decode_errorNamesTheFieldPath() throws {
        struct Order: Codable { var legs: [Body] }
        let json = Data(#"{"legs": [{"payment_amount": 1}, {"payment_amount": "x"}]}"#.utf8)
        do {
            _ = try JSONDecoder().decode(Order.self, from: json)
            Issue.record("decoded a malformed amount")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(
                context.underlyingError as? AmountError
                    == .field("legs[1].payment_amount", .malformed("x")))
            #expect(
                context.debugDescription.hasPrefix(
                    "legs[1].payment_amount \"x\" is not a plain decimal"))
        }
    }

    /// Pins the Foundation gap `JSONNumberGuard` exists for; if this starts failing, Foundation
    /// became exact and the guard can be reconsidered.
    @Test func foundationDecimal_silentlyDropsDigitsPast38_soTheGuardRejectsThem() throws {
        let sneaky = "1." + String(repeating: "0", count: 40) + "1"
        #expect(try decode(sneaky) == Amount(units: 1, scale: 0))
        #expect(throws: AmountError.tooManyDigits(AmountError.excerpt(sneaky))) {
            try JSONNumberGuard.check(Data("{\"payment_amount\": \(sneaky)}".utf8))
        }
    }

    @Test func jsonNumberGuard_passesNormalBodies_andSkipsStrings() throws {
        let digits40 = String(repeating: "7", count: 40)
        let fine = [
            #"{"a": 19.99, "b": [-0.0001, 1e400, 0], "c": true, "d": null}"#,
            #"{"id": "\#(digits40)", "note": "quote \" then \#(digits40)"}"#,
            #"{"n": 1\#(String(repeating: "0", count: 60)), "m": 0.\#(String(repeating: "0", count: 60))1}"#,
            #"{"n": \#(String(repeating: "9", count: 38)).000, "e": 1.5e-\#(digits40)}"#,
        ]
        for body in fine { try JSONNumberGuard.check(Data(body.utf8)) }
        #expect(throws: AmountError.tooManyDigits("-\(digits40.prefix(39))")) {
            try JSONNumberGuard.check(Data("[1, -\(digits40.prefix(39))]".utf8))
        }
    }
}
