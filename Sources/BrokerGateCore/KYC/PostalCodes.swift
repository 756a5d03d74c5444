/// Postal-code shapes by country, for `KYCValidation`'s `invalid_postal_code` rule.
///
/// Only countries whose national format is fixed and well known are listed; a wrong pattern
/// would refuse real customers, so every other country gets a permissive check (1–10 letters,
/// digits, spaces or hyphens) that catches only obvious garbage.
public enum PostalCodes {
    /// Shapes per country: `9` = digit, `A` = letter (either case), `?` = letter or digit, any
    /// other character literal. A shape with a space also accepts the code without it
    /// ("SW1A1AA"), since partners store both.
    static let shapes: [String: [String]] = [
        "US": ["99999", "99999-9999"],  // ZIP or ZIP+4
        "CA": ["A9A 9A9"],
        "GB": ["A9 9AA", "A99 9AA", "AA9 9AA", "AA99 9AA", "A9A 9AA", "AA9A 9AA", "GIR 0AA"],
        "IE": ["A99 ????", "D6W ????"],  // Eircode: routing key + unique identifier
        "DE": ["99999"], "FR": ["99999"], "IT": ["99999"], "ES": ["99999"], "MX": ["99999"], "KR": ["99999"],
        "NL": ["9999 AA"],
        "BE": ["9999"], "AT": ["9999"], "CH": ["9999"], "DK": ["9999"], "NO": ["9999"], "AU": ["9999"],
        "SE": ["999 99"],
        "PL": ["99-999"], "PT": ["9999-999"],
        "JP": ["999-9999", "9999999"],
        "BR": ["99999-999", "99999999"],
        "IN": ["999999", "999 999"],  // PIN
        "CN": ["999999"], "SG": ["999999"], "RU": ["999999"],
    ]

    /// Whether `code` is a plausible postal code in `countryCode`.
    public static func isValid(_ code: String, countryCode: String) -> Bool {
        guard let countryShapes = shapes[countryCode] else { return isPlausibleForeignCode(code) }
        return countryShapes.contains { shape in
            matches(code, shape: shape) || (shape.contains(" ") && matches(code, shape: shape.replacingSpaces()))
        }
    }

    /// What `isPlausibleForeignCode` accepts, for messages.
    public static let permissiveFormat = "1–10 letters, digits, spaces or hyphens"

    /// The expected formats, for the 422 message ("expected 99999 or 99999-9999 for US").
    public static func expectedFormat(countryCode: String) -> String {
        guard let countryShapes = shapes[countryCode] else { return permissiveFormat }
        return countryShapes.joined(separator: " or ") + " (9 = digit, A = letter, ? = either)"
    }

    static func matches(_ code: String, shape: String) -> Bool {
        guard code.count == shape.count else { return false }
        return zip(code, shape).allSatisfy { character, pattern in
            switch pattern {
            case "9": character.isASCII && character.isNumber
            case "A": character.isASCII && character.isLetter
            case "?": character.isASCII && (character.isLetter || character.isNumber)
            default: character.uppercased() == String(pattern)
            }
        }
    }

    static func isPlausibleForeignCode(_ code: String) -> Bool {
        (1...10).contains(code.count) && code.first != " " && code.last != " "
            && code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " " || $0 == "-") }
            && code.contains { $0.isLetter || $0.isNumber }
    }
}

extension String {
    fileprivate func replacingSpaces() -> String { filter { $0 != " " } }
}
