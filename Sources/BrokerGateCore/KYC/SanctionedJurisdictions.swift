/// A jurisdiction under a comprehensive (country-wide) OFAC embargo.
public struct SanctionedJurisdiction: Sendable, Equatable {
    /// ISO 3166-1 alpha-2.
    public let countryCode: String
    /// The program and its regulations, for the recorded reason.
    public let program: String
    /// The first New York date on which the embargo no longer applies; nil while in force.
    /// Kept (rather than deleting the row) so a replayed or back-dated check decides as the
    /// law stood on its own date.
    public let liftedOn: CalendarDate?

    /// Whether the embargo applies on `date`.
    public func isInForce(on date: CalendarDate) -> Bool {
        liftedOn.map { date < $0 } ?? true
    }
}

/// Comprehensively sanctioned jurisdictions, per OFAC's "Sanctions Programs and Country
/// Information" page (https://ofac.treasury.gov/sanctions-programs-and-country-information),
/// as of 2025.
///
/// - Only country-wide embargoes are here. Russia, Belarus, Venezuela, Myanmar and others are
///   *targeted* (list- and sector-based) programs: their residents may be served, and their
///   designated persons are caught by name screening instead.
/// - Syria's comprehensive program ended on 2025-07-01 (E.O. 14312 of 2025-06-30 revoked the
///   Syria sanctions executive orders; the Syrian Sanctions Regulations, 31 CFR 542, were then
///   removed). Sanctions on the Assad regime's members continue under E.O. 13894 as amended,
///   which name screening covers.
/// - The Crimea region of Ukraine (E.O. 13685) and the so-called Donetsk and Luhansk People's
///   Republics (E.O. 14065) are embargoed too, but ISO 3166-1 has no code for them: they are
///   "UA" (or "RU" in addresses written from Russia's side). `regionFindings` looks for them
///   in the address text instead.
public enum SanctionedJurisdictions {
    /// The country-wide embargoes.
    public static let comprehensive: [SanctionedJurisdiction] = [
        SanctionedJurisdiction(
            countryCode: "CU", program: "Cuban Assets Control Regulations (31 CFR 515)", liftedOn: nil),
        SanctionedJurisdiction(
            countryCode: "IR", program: "Iranian Transactions and Sanctions Regulations (31 CFR 560)", liftedOn: nil),
        SanctionedJurisdiction(
            countryCode: "KP", program: "North Korea Sanctions Regulations (31 CFR 510)", liftedOn: nil),
        SanctionedJurisdiction(
            countryCode: "SY", program: "Syrian Sanctions Regulations (31 CFR 542)",
            liftedOn: CalendarDate(uncheckedYear: 2025, month: 7, day: 1)),
    ]

    /// The embargo in force for `countryCode` on `date`, if any.
    public static func embargo(on countryCode: String, at date: CalendarDate) -> SanctionedJurisdiction? {
        comprehensive.first { $0.countryCode == countryCode && $0.isInForce(on: date) }
    }

    /// Which embargoed region an address names, and whether that is certain.
    public enum RegionFinding: Sendable, Equatable {
        /// The subdivision itself is an embargoed region (e.g. "UA-43", "Crimea", "Sevastopol").
        case embargoedSubdivision(region: String)
        /// The address line `field` names a place in or near an embargoed region; free text
        /// cannot tell, so a person must look (e.g. Donetsk oblast is only partly occupied).
        case mentionsRegion(region: String, word: String, field: String)
    }

    /// Subdivisions that are wholly inside the Crimea embargo (E.O. 13685): ISO 3166-2 codes
    /// and normalized names.
    static let crimeaSubdivisions: Set<String> = [
        "ua 43", "ua 40", "crimea", "krym", "crimee", "krim", "sevastopol", "sebastopol",
        "autonomous republic of crimea", "respublika krym", "avtonomna respublika krym",
    ]

    /// Place words that point at an embargoed region, by region. Matched as whole normalized
    /// tokens, so "Krymska street" in Kyiv does not match "krym".
    static let regionWords: [(region: String, words: Set<String>)] = [
        (
            "Crimea region of Ukraine (E.O. 13685)",
            [
                "crimea", "krym", "crimee", "krim", "sevastopol", "sebastopol", "simferopol", "kerch", "yalta",
                "feodosia", "feodosiya", "yevpatoria", "yevpatoriya", "evpatoria", "dzhankoi",
            ]
        ),
        (
            "so-called DNR/LNR regions of Ukraine (E.O. 14065)",
            [
                "donetsk", "luhansk", "lugansk", "dnr", "lnr", "dpr", "lpr", "makiivka", "horlivka", "gorlovka",
                "alchevsk", "ua 14", "ua 09",
            ]
        ),
    ]

    /// Looks for embargoed Ukrainian regions in an address in Ukraine or Russia. `lines` are
    /// the address fields as (wire field name, value), subdivision first.
    public static func regionFinding(
        countryCode: String, subdivision: String?, lines: [(field: String, value: String?)]
    ) -> RegionFinding? {
        guard countryCode == "UA" || countryCode == "RU" else { return nil }
        if crimeaSubdivisions.contains(normalize(subdivision ?? "")) {
            return .embargoedSubdivision(region: regionWords[0].region)
        }
        for (region, regionSet) in regionWords {
            for (field, value) in lines {
                let tokens = SanctionsScreening.foldedWords(value ?? "")
                // Two-token codes such as "ua 14" are checked as pairs.
                let words = tokens + zip(tokens, tokens.dropFirst()).map { "\($0) \($1)" }
                if let word = words.first(where: regionSet.contains) {
                    return .mentionsRegion(region: region, word: word, field: field)
                }
            }
        }
        return nil
    }

    /// Lower-cased, accent-free, punctuation as single spaces (the screening folds).
    static func normalize(_ text: String) -> String {
        SanctionsScreening.foldedWords(text).joined(separator: " ")
    }
}
