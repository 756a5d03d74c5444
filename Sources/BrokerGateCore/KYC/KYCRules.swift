import Foundation

/// The outcome of one KYC rule. Raw values use the `KYCStatus` spelling so a recorded result
/// reads like the status it contributes to.
public enum KYCRuleOutcome: String, Sendable, Codable, Equatable, CaseIterable {
    case pass = "PASS"
    case fail = "FAIL"
    case needsReview = "NEEDS_REVIEW"
    case incomplete = "INCOMPLETE"

    /// Severity for "worst outcome wins": FAIL > NEEDS_REVIEW > INCOMPLETE > PASS.
    var severity: Int {
        switch self {
        case .pass: 0
        case .incomplete: 1
        case .needsReview: 2
        case .fail: 3
        }
    }

    /// The check status this outcome produces on its own.
    public var status: KYCStatus {
        switch self {
        case .pass: .pass
        case .fail: .fail
        case .needsReview: .needsReview
        case .incomplete: .incomplete
        }
    }
}

/// What one rule concluded about one submission; recorded on the KYC record (audit trail) and,
/// for validation failures, named in the 422.
public struct KYCRuleResult: Sendable, Codable, Equatable {
    /// Stable snake_case rule name, e.g. "minimum_age", "invalid_email".
    public let rule: String
    public let outcome: KYCRuleOutcome
    /// The wire field path inside the KYC `data` object, e.g. "birth_date" or
    /// "identity.email_address"; nil when the rule concerns the submission as a whole.
    public let field: String?
    /// Human, actionable: what was found and what to do.
    public let reason: String

    public init(rule: String, outcome: KYCRuleOutcome, field: String?, reason: String) {
        self.rule = rule
        self.outcome = outcome
        self.field = field
        self.reason = reason
    }
}

/// The decision on one KYC submission: its status and every rule result behind it.
public struct KYCDecision: Sendable, Codable, Equatable {
    /// The worst outcome among `results` (FAIL > NEEDS_REVIEW > INCOMPLETE > PASS).
    public let status: KYCStatus
    /// One result per rule evaluated, passes included, in evaluation order.
    public let results: [KYCRuleResult]

    public init(results: [KYCRuleResult]) {
        self.results = results
        let worst = results.max { $0.outcome.severity < $1.outcome.severity }
        self.status = worst?.outcome.status ?? .pass
    }

    /// The results that kept the status from PASS.
    public var findings: [KYCRuleResult] { results.filter { $0.outcome != .pass } }

    /// Whether an operator may approve this check to PASS: only a NEEDS_REVIEW decision with no
    /// FAIL and no INCOMPLETE result underneath. Because NEEDS_REVIEW outranks INCOMPLETE, a
    /// check can be in review while documents are still missing; approval must wait for them.
    public var operatorMayApprove: Bool {
        status == .needsReview && !results.contains { $0.outcome == .fail || $0.outcome == .incomplete }
    }
}

/// The KYC decision rules: each a named function of the submitted data, the uploaded documents
/// and the business clock, producing one recorded `KYCRuleResult`.
///
/// `evaluate` expects data that passed `KYCValidation` (malformed data is a 422 and never gets
/// here) but is total anyway: a value it cannot read yields INCOMPLETE, never a crash or PASS.
public enum KYCRules {
    /// Customers must be adults. 18 is the age of majority in most US states and the minimum
    /// at which a customer can contract for a brokerage account in most jurisdictions.
    public static let minimumAgeYears = 18

    /// Decides a submission. The jurisdiction is the data's own (`data.jurisdiction`): the
    /// wire union makes the shape and the jurisdiction one choice.
    public static func evaluate(_ data: KYCSubmissionData, documents: [KYCDocumentType], now: Date) -> KYCDecision {
        let today = newYorkDate(of: now)
        switch data {
        case .baseline(let baseline):
            return KYCDecision(results: [
                minimumAge(birthDate: baseline.birthDate, field: "birth_date", today: today),
                usPersonRequiresUSJurisdiction(baseline),
                sanctionedResidence(countryCode: baseline.addressCountryCode, field: "address_country_code", today: today),
                sanctionedNationality(countryCode: baseline.countryCode, field: "country_code", today: today),
                sanctionedRegion(baseline),
                nameScreening(nameParts: baseline.nameParts, field: "last_name"),
            ])
        case .us(let us):
            return KYCDecision(results: usResults(us, documents: documents, now: now, today: today))
        }
    }

    /// The America/New_York calendar date at `instant`. The gateway's business day is New
    /// York's (DESIGN.md), so a customer born on 2008-11-28 becomes eligible at 00:00 New York
    /// time on 2026-11-28, the same moment for every partner wherever their servers run.
    public static func newYorkDate(of instant: Date) -> CalendarDate {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + newYork.secondsFromGMT(for: instant)
        return CalendarDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    private static let newYork: TimeZone = {
        guard let zone = TimeZone(identifier: "America/New_York") else {
            fatalError("tz database lacks America/New_York; install tzdata")
        }
        return zone
    }()

    // MARK: Rules for both jurisdictions

    /// `minimum_age`: the person is at least `minimumAgeYears` old on today's New York date.
    /// Missing (BASELINE makes it optional) or unreadable → INCOMPLETE; in the future → FAIL,
    /// with a reason that says so. A minor is a recorded FAIL, not a 422: the data is well
    /// formed, and the decision (with its reason) belongs on the record.
    public static func minimumAge(birthDate text: String?, field: String, today: CalendarDate) -> KYCRuleResult {
        let rule = "minimum_age"
        guard let text else {
            return KYCRuleResult(
                rule: rule, outcome: .incomplete, field: field,
                reason: "\(field) is needed to verify the customer is at least \(minimumAgeYears); resubmit with it")
        }
        guard let birth = try? CalendarDate(parsing: text) else {
            return KYCRuleResult(rule: rule, outcome: .incomplete, field: field, reason: "\(field) '\(text)' is not a YYYY-MM-DD date")
        }
        guard birth <= today else {
            return KYCRuleResult(
                rule: rule, outcome: .fail, field: field,
                reason: "\(field) \(birth) is after today (\(today), America/New_York); correct it and resubmit")
        }
        let eligible = adulthoodDate(birth: birth)
        guard today >= eligible else {
            return KYCRuleResult(
                rule: rule, outcome: .fail, field: field,
                reason: "must be at least \(minimumAgeYears) on \(today) (America/New_York); eligible from \(eligible)")
        }
        return KYCRuleResult(
            rule: rule, outcome: .pass, field: field, reason: "at least \(minimumAgeYears) since \(eligible)")
    }

    /// The date someone born on `birth` turns `minimumAgeYears`. A 29 February birthday falls
    /// on 1 March in common years: the later of the two conventions (Feb 28 / Mar 1), so no
    /// one is onboarded before they are an adult under either.
    public static func adulthoodDate(birth: CalendarDate) -> CalendarDate {
        let year = birth.year + minimumAgeYears
        if let date = try? CalendarDate(year: year, month: birth.month, day: birth.day) { return date }
        return CalendarDate(uncheckedYear: year, month: 3, day: 1)
    }

    /// `sanctioned_jurisdiction`: FAIL when the person lives in a comprehensively embargoed
    /// country (`SanctionedJurisdictions`). Serving them is prohibited outright; no review can
    /// make it lawful, hence FAIL rather than NEEDS_REVIEW.
    public static func sanctionedResidence(countryCode: String, field: String, today: CalendarDate) -> KYCRuleResult {
        let rule = "sanctioned_jurisdiction"
        guard let embargo = SanctionedJurisdictions.embargo(on: countryCode, at: today) else {
            return KYCRuleResult(rule: rule, outcome: .pass, field: field, reason: "\(countryCode) is not under a comprehensive embargo")
        }
        return KYCRuleResult(
            rule: rule, outcome: .fail, field: field,
            reason: "residents of \(countryCode) cannot be served: comprehensive US embargo (\(embargo.program))")
    }

    /// `sanctioned_nationality`: NEEDS_REVIEW when the person is a citizen of an embargoed
    /// country but lives elsewhere. OFAC's country programs target persons *ordinarily
    /// resident* in the country and its government, not nationals abroad, so an automatic FAIL
    /// would refuse people the law allows us to serve; but it is a risk indicator that a person
    /// must look at (ties to the government, source of funds). Stricter than a PASS, fairer
    /// than a FAIL.
    public static func sanctionedNationality(countryCode: String, field: String, today: CalendarDate) -> KYCRuleResult {
        let rule = "sanctioned_nationality"
        guard let embargo = SanctionedJurisdictions.embargo(on: countryCode, at: today) else {
            return KYCRuleResult(rule: rule, outcome: .pass, field: field, reason: "\(countryCode) is not under a comprehensive embargo")
        }
        return KYCRuleResult(
            rule: rule, outcome: .needsReview, field: field,
            reason: "citizen of \(countryCode), under a comprehensive US embargo (\(embargo.program)); an operator "
                + "must confirm the customer is not ordinarily resident there and has no ties to its government")
    }

    /// `name_screening`: NEEDS_REVIEW when the full name (first, middle, last) resembles a
    /// listed sanctioned person (`SanctionsScreening`). Not FAIL: a name alone does not
    /// identify a person, so an operator compares date of birth and nationality.
    public static func nameScreening(nameParts: [String], field: String) -> KYCRuleResult {
        let rule = "name_screening"
        let fullName = nameParts.joined(separator: " ")
        guard let best = SanctionsScreening.screen(fullName).first else {
            return KYCRuleResult(
                rule: rule, outcome: .pass, field: field,
                reason: "no match among \(SanctionsList.fixture.count) screened sanctioned persons")
        }
        return KYCRuleResult(
            rule: rule, outcome: .needsReview, field: field,
            reason: "'\(fullName)' resembles '\(best.matchedName)' (\(best.entry.list), \(best.entry.program); "
                + "similarity \(best.scorePerMille)‰); an operator must compare date of birth and nationality "
                + "with the listing before approval")
    }

    // MARK: BASELINE-only rules

    /// `us_person_requires_us_jurisdiction`: BASELINE is for non-US persons. A US resident or
    /// citizen (territories included, as Regulation S counts them) gets FAIL and must resubmit
    /// under the US jurisdiction, which collects what US rules require (SSN, agreements, …).
    public static func usPersonRequiresUSJurisdiction(_ data: BaselineKYCCheckData) -> KYCRuleResult {
        let rule = "us_person_requires_us_jurisdiction"
        let usFields = [("address_country_code", data.addressCountryCode), ("country_code", data.countryCode)]
            .filter { Countries.unitedStatesAndTerritories.contains($0.1) }
        guard let (field, code) = usFields.first else {
            return KYCRuleResult(rule: rule, outcome: .pass, field: nil, reason: "neither a US resident nor a US citizen")
        }
        return KYCRuleResult(
            rule: rule, outcome: .fail, field: field,
            reason: "\(field) is \(code): US residents and citizens must use the US jurisdiction; "
                + "resubmit with jurisdiction US")
    }

    /// `sanctioned_region`: the embargoed regions of Ukraine have no country code, so the
    /// address text of UA/RU addresses is searched. A subdivision that *is* Crimea or
    /// Sevastopol → FAIL (wholly embargoed); a place word elsewhere in the address →
    /// NEEDS_REVIEW (free text cannot tell occupied from unoccupied Donetsk, say).
    public static func sanctionedRegion(_ data: BaselineKYCCheckData) -> KYCRuleResult {
        let rule = "sanctioned_region"
        let finding = SanctionedJurisdictions.regionFinding(
            countryCode: data.addressCountryCode, subdivision: data.addressSubdivision,
            lines: [
                ("address_subdivision", data.addressSubdivision), ("address_city", data.addressCity),
                ("address_street_1", data.addressStreet1), ("address_street_2", data.addressStreet2),
                ("address_postal_code", data.addressPostalCode),
            ])
        switch finding {
        case nil:
            return KYCRuleResult(rule: rule, outcome: .pass, field: nil, reason: "address is not in an embargoed region")
        case .embargoedSubdivision(let region):
            return KYCRuleResult(
                rule: rule, outcome: .fail, field: "address_subdivision",
                reason: "residents of the \(region) cannot be served: comprehensive US embargo")
        case .mentionsRegion(let region, let word, let field):
            return KYCRuleResult(
                rule: rule, outcome: .needsReview, field: field,
                reason: "address mentions '\(word)', in or near the \(region); an operator must confirm "
                    + "the address is outside the embargoed region")
        }
    }
}
