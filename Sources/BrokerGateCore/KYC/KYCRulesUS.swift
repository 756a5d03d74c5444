import Foundation

/// Decision rules that only the US jurisdiction has: declared risk, agreements, documents.
extension KYCRules {
    /// Documents a US check needs before it can PASS. A government-issued photo ID is what the
    /// Customer Identification Program rule (31 CFR 1023.220) relies on for documentary
    /// verification.
    public static let requiredUSDocuments: [KYCDocumentType] = [.governmentID]

    /// How far in the future a partner's signature timestamp may lie and still count as
    /// signed: partner clocks drift, and a few minutes of skew is not an unsigned agreement.
    public static let clockSkewToleranceSeconds: TimeInterval = 300

    static func usResults(
        _ data: USKYCCheckData, documents: [KYCDocumentType], now: Date, today: CalendarDate
    ) -> [KYCRuleResult] {
        let identity = data.identity
        return [
            minimumAge(birthDate: identity.dateOfBirth, field: "identity.date_of_birth", today: today),
            sanctionedNationality(
                countryCode: identity.countryOfCitizenship, field: "identity.country_of_citizenship", today: today),
            nameScreening(nameParts: identity.nameParts, field: "identity.family_name"),
            declaredAMLMatch(data.amlCheck),
            politicallyExposedPerson(data.riskDisclosure),
            immediateFamilyExposed(data.riskDisclosure),
            controlPerson(data.riskDisclosure),
            exchangeOrFINRAAffiliation(data.riskDisclosure),
            usAgreements(data, now: now),
            usRequiredDocuments(documents),
            usDataCitations(data.dataCitation),
            usImmigrationStatus(data.usImmigrationInfo, today: today),
        ]
    }

    /// `declared_aml_match`: the partner's own AML screening hit something → NEEDS_REVIEW
    /// (SDK: "marked as high risk and subject to manual review").
    public static func declaredAMLMatch(_ check: USKYCCheckData.AMLCheck) -> KYCRuleResult {
        let hits = [
            ("sanctions", check.isSanctionsMatch), ("politically exposed person", check.isPoliticallyExposedPersonMatch),
            ("monitored lists", check.isMonitoredListsMatch), ("adverse media", check.isAdverseMediaMatch),
        ].filter(\.1).map(\.0)
        guard !hits.isEmpty else {
            return KYCRuleResult(
                rule: "declared_aml_match", outcome: .pass, field: "aml_check",
                reason: "partner AML check \(check.refID) reported no match")
        }
        return KYCRuleResult(
            rule: "declared_aml_match", outcome: .needsReview, field: "aml_check",
            reason: "partner AML check \(check.refID) matched \(hits.joined(separator: ", ")) "
                + "(\(check.records.count) record(s)); an operator must clear every hit before approval")
    }

    /// `politically_exposed_person`: PEPs need enhanced due diligence (FATF Recommendation 12).
    public static func politicallyExposedPerson(_ risk: USKYCCheckData.RiskDisclosure) -> KYCRuleResult {
        declaredFlag(
            risk.isPoliticallyExposed, rule: "politically_exposed_person", field: "risk_disclosure.is_politically_exposed",
            finding: "the customer declared being politically exposed",
            action: "enhanced due diligence (source of wealth and of funds) is required before approval")
    }

    /// `immediate_family_exposed`: relatives of PEPs and control persons carry the same risk.
    public static func immediateFamilyExposed(_ risk: USKYCCheckData.RiskDisclosure) -> KYCRuleResult {
        declaredFlag(
            risk.immediateFamilyExposed, rule: "immediate_family_exposed", field: "risk_disclosure.immediate_family_exposed",
            finding: "an immediate family member is politically exposed or a control person",
            action: "enhanced due diligence is required before approval")
    }

    /// `control_person`: insiders of a listed company face trading restrictions (SEC Rule 144).
    public static func controlPerson(_ risk: USKYCCheckData.RiskDisclosure) -> KYCRuleResult {
        declaredFlag(
            risk.isControlPerson, rule: "control_person", field: "risk_disclosure.is_control_person",
            finding: "the customer declared control of a publicly traded company",
            action: "record the company so trades in its stock can be restricted (SEC Rule 144) before approval")
    }

    /// `exchange_or_finra_affiliation`: FINRA Rule 3210 needs the employer's written consent.
    public static func exchangeOrFINRAAffiliation(_ risk: USKYCCheckData.RiskDisclosure) -> KYCRuleResult {
        declaredFlag(
            risk.isAffiliatedExchangeOrFINRA, rule: "exchange_or_finra_affiliation",
            field: "risk_disclosure.is_affiliated_exchange_or_finra",
            finding: "the customer declared an affiliation with an exchange or FINRA",
            action: "obtain the employer's written consent (FINRA Rule 3210) before approval")
    }

    /// One result for a self-declared risk flag: NEEDS_REVIEW when set, PASS otherwise.
    static func declaredFlag(_ isSet: Bool, rule: String, field: String, finding: String, action: String) -> KYCRuleResult {
        isSet
            ? KYCRuleResult(rule: rule, outcome: .needsReview, field: field, reason: "\(finding); \(action)")
            : KYCRuleResult(rule: rule, outcome: .pass, field: field, reason: "not declared")
    }

    /// `us_agreements`: the customer agreement is signed and the non-professional-trader
    /// attestation made, both at or before now (within `clockSkewToleranceSeconds`). A
    /// timestamp in the future means "not yet signed" → INCOMPLETE naming what is missing.
    public static func usAgreements(_ data: USKYCCheckData, now: Date) -> KYCRuleResult {
        let signatures = [
            ("alpaca_customer_agreement.signed_at", "the customer agreement", data.alpacaCustomerAgreement.signedAt),
            (
                "non_professional_trader_attestation.attestation_dt", "the non-professional trader attestation",
                data.nonProfessionalTraderAttestation.attestationDate
            ),
        ]
        let latest = now.addingTimeInterval(clockSkewToleranceSeconds)
        let unsigned = signatures.filter { _, _, text in
            KYCFieldFormats.parseInstant(text).map { $0 > latest } ?? true
        }
        guard let first = unsigned.first else {
            return KYCRuleResult(
                rule: "us_agreements", outcome: .pass, field: nil,
                reason: "customer agreement signed and non-professional trader attestation made")
        }
        let missing = unsigned.map { "\($0.1) (\($0.0) = \($0.2))" }.joined(separator: " and ")
        return KYCRuleResult(
            rule: "us_agreements", outcome: .incomplete, field: first.0,
            reason: "not yet signed as of now: \(missing); resubmit once the customer has signed")
    }

    /// `us_required_documents`: every type in `requiredUSDocuments` has been uploaded.
    public static func usRequiredDocuments(_ documents: [KYCDocumentType]) -> KYCRuleResult {
        let missing = requiredUSDocuments.filter { !documents.contains($0) }
        guard !missing.isEmpty else {
            return KYCRuleResult(
                rule: "us_required_documents", outcome: .pass, field: nil, reason: "required documents uploaded")
        }
        return KYCRuleResult(
            rule: "us_required_documents", outcome: .incomplete, field: nil,
            reason: "missing document(s): \(missing.map(\.rawValue).joined(separator: ", ")); upload with "
                + "POST /api/v2/entities/{entity_id}/kyc/{kyc_id}/document")
    }

    /// `us_data_citations`: the partner names at least one source for each verified datum
    /// (address, date of birth, tax id); an uncited datum is unverified.
    public static func usDataCitations(_ citation: USKYCCheckData.DataCitation) -> KYCRuleResult {
        let empty = [
            ("data_citation.address_sources", citation.addressSources),
            ("data_citation.date_of_birth_sources", citation.dateOfBirthSources),
            ("data_citation.tax_id_sources", citation.taxIDSources),
        ].filter { $0.1.isEmpty }.map(\.0)
        guard let first = empty.first else {
            return KYCRuleResult(rule: "us_data_citations", outcome: .pass, field: nil, reason: "every datum cites a source")
        }
        return KYCRuleResult(
            rule: "us_data_citations", outcome: .incomplete, field: first,
            reason: "no verification source cited in \(empty.joined(separator: ", ")); resubmit with the sources used")
    }

    /// `us_immigration_status`: a non-permanent resident's visa must not have expired and their
    /// scheduled departure must not have passed; either → NEEDS_REVIEW (a renewal may be
    /// pending, which a person can check).
    public static func usImmigrationStatus(_ info: USKYCCheckData.USImmigrationInfo?, today: CalendarDate) -> KYCRuleResult {
        let rule = "us_immigration_status"
        guard let info, !info.isPermanentResident else {
            return KYCRuleResult(rule: rule, outcome: .pass, field: nil, reason: "US citizen or permanent resident")
        }
        let dates = [
            ("us_immigration_info.visa_expiration_date", "visa expired", info.visaExpirationDate),
            ("us_immigration_info.departure_from_us_date", "scheduled departure from the US passed", info.departureFromUSDate),
        ]
        for (field, finding, text) in dates {
            guard let text else { continue }
            guard let date = try? CalendarDate(parsing: text) else {
                return KYCRuleResult(rule: rule, outcome: .incomplete, field: field, reason: "\(field) is not a YYYY-MM-DD date")
            }
            if date < today {
                return KYCRuleResult(
                    rule: rule, outcome: .needsReview, field: field,
                    reason: "\(finding) on \(date); an operator must see proof of current status before approval")
            }
        }
        return KYCRuleResult(rule: rule, outcome: .pass, field: nil, reason: "visa current")
    }
}
