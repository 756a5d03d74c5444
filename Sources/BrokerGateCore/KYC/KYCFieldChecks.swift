/// Collects field violations for `KYCValidation`: one method per kind of field, each adding
/// a FAIL `KYCRuleResult` that names the wire field, the rule and the fix. Leaf checks live in
/// `KYCFieldFormats`; this type only turns them into results.
struct KYCFieldChecks {
    /// Limits on every free-text field (TIGER_STYLE: put a limit on everything).
    static let nameMaxLength = 100
    static let textMaxLength = 200
    static let identifierMaxLength = 128
    static let listItemMaxLength = 1_000
    static let listMaxItems = 50

    /// The oldest birth date accepted as plausible; earlier ones are typos (e.g. year 0985).
    static let earliestBirthDate = CalendarDate(uncheckedYear: 1900, month: 1, day: 1)

    private(set) var violations: [KYCRuleResult] = []

    /// Longest piece of a rejected value quoted back in a message.
    static let echoLengthMax = 64

    /// A rejected value as quoted in a message: cut to `echoLengthMax` characters, controls and
    /// bidirectional controls replaced by U+FFFD, so an error message cannot carry a megabyte
    /// or reorder the text of the dashboard that shows it.
    static func echo(_ value: String) -> String {
        let shown = value.prefix(echoLengthMax).unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory == .control || KYCFieldFormats.isBidiControl(scalar) ? "\u{FFFD}" : Character(scalar)
        }
        return String(shown) + (value.count > echoLengthMax ? "…" : "")
    }

    mutating func fail(_ field: String, _ rule: String, _ reason: String) {
        violations.append(KYCRuleResult(rule: rule, outcome: .fail, field: field, reason: reason))
    }

    // MARK: Text

    /// A required text: not blank, within `maxLength`, no forbidden characters; names also
    /// restricted to name characters.
    mutating func requiredText(_ value: String, field: String, maxLength: Int = textMaxLength, isName: Bool = false) {
        guard !value.allSatisfy(\.isWhitespace) else {
            return fail(field, "required", "must not be empty")
        }
        text(value, field: field, maxLength: maxLength, isName: isName)
    }

    /// An optional text: absent or blank means not provided (forms often send ""); otherwise
    /// checked like a required one.
    mutating func optionalText(_ value: String?, field: String, maxLength: Int = textMaxLength, isName: Bool = false) {
        guard let value, !value.allSatisfy(\.isWhitespace) else { return }
        text(value, field: field, maxLength: maxLength, isName: isName)
    }

    private mutating func text(_ value: String, field: String, maxLength: Int, isName: Bool) {
        if value.count > maxLength {
            fail(field, "too_long", "must be at most \(maxLength) characters, got \(value.count)")
        } else if KYCFieldFormats.hasForbiddenCharacters(value) {
            fail(field, "invalid_characters", "must not contain control characters or bidirectional controls (U+202E and friends)")
        } else if isName, !KYCFieldFormats.isPersonName(value) {
            fail(field, "invalid_characters", "use letters, spaces, apostrophes, hyphens and periods only")
        } else if isName, MixedScriptRule.mixesConfusableScripts(value) {
            fail(field, "mixed_script", MixedScriptRule.problem)
        }
    }

    /// A list of short texts: at most `listMaxItems`, each non-blank and within bounds.
    mutating func textList(_ values: [String], field: String, maxItems: Int = listMaxItems) {
        guard values.count <= maxItems else {
            return fail(field, "too_many_items", "must have at most \(maxItems) items, got \(values.count)")
        }
        for (index, value) in values.enumerated() {
            requiredText(value, field: "\(field)[\(index)]", maxLength: Self.listItemMaxLength)
        }
    }

    // MARK: Codes and formats

    /// An ISO 3166-1 alpha-2 country code.
    mutating func countryCode(_ value: String, field: String) {
        guard !Countries.isValidCode(value) else { return }
        fail(
            field, "invalid_country_code",
            "'\(Self.echo(value))' is not an ISO 3166-1 alpha-2 country code; send two upper-case letters, e.g. DE")
    }

    /// "YYYY-MM-DD" of a real date; birth dates also on or after 1900-01-01.
    mutating func date(_ value: String, field: String, isBirthDate: Bool = false) {
        guard let date = try? CalendarDate(parsing: value) else {
            return fail(field, "invalid_date", "'\(Self.echo(value))' is not a date; send YYYY-MM-DD, e.g. 1990-04-17")
        }
        if isBirthDate, date < Self.earliestBirthDate {
            fail(field, "implausible_birth_date", "\(date) is before \(Self.earliestBirthDate); check the year")
        }
    }

    /// An ISO 8601 instant with offset.
    mutating func instant(_ value: String, field: String) {
        guard KYCFieldFormats.parseInstant(value) == nil else { return }
        fail(
            field, "invalid_datetime",
            "'\(Self.echo(value))' is not an ISO 8601 date-time with offset; send e.g. 2026-11-28T15:00:00Z")
    }

    mutating func email(_ value: String, field: String) {
        guard !KYCFieldFormats.isEmail(value) else { return }
        fail(field, "invalid_email", "'\(Self.echo(value))' is not an email address; send e.g. name@example.com (IDN in punycode)")
    }

    mutating func phone(_ value: String, field: String) {
        guard !KYCFieldFormats.isE164Phone(value) else { return }
        fail(field, "invalid_phone_number", "'\(Self.echo(value))' is not E.164; send + and country code, digits only, e.g. +15555555555")
    }

    mutating func ipAddress(_ value: String, field: String) {
        guard !KYCFieldFormats.isIPAddress(value) else { return }
        fail(field, "invalid_ip_address", "'\(Self.echo(value))' is not an IPv4 or IPv6 address")
    }

    /// A postal code in the format of `countryCode` (skipped when the country is itself invalid:
    /// that field's own violation says what to fix first).
    mutating func postalCode(_ value: String, field: String, countryCode: String) {
        guard Countries.isValidCode(countryCode), !PostalCodes.isValid(value, countryCode: countryCode) else { return }
        fail(
            field, "invalid_postal_code",
            "'\(Self.echo(value))' is not a postal code of \(countryCode); expected \(PostalCodes.expectedFormat(countryCode: countryCode))"
        )
    }

    /// One of an SDK literal union, spelled exactly.
    mutating func oneOf<Literal: RawRepresentable & CaseIterable>(_ value: String, _: Literal.Type, field: String)
    where Literal.RawValue == String {
        guard Literal(rawValue: value) == nil else { return }
        let allowed = Literal.allCases.map(\.rawValue).joined(separator: ", ")
        fail(field, "invalid_value", "'\(Self.echo(value))' is not one of \(allowed)")
    }
}
