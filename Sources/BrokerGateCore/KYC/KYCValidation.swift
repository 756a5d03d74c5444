/// Format and presence rules for KYC data: the checks that make a submission *unusable* as
/// opposed to *refused*. A violation here is a 422 (`invalid_kyc_data`) and nothing is stored;
/// everything that decides PASS / FAIL / NEEDS_REVIEW / INCOMPLETE about well-formed data is a
/// recorded outcome in `KYCRules` instead (a minor, a sanctioned country, a listed name).
///
/// The split: a value the SDK types constrain (dates, date-times, country codes, literals,
/// "at least one of", "required if") or that no real person could have (an email without a
/// domain, a 1850 birth date, an SSN with area 000) is validation. The rules are clock-free,
/// so the same body always gets the same 422: a retry with the same idempotency key cannot
/// flip between 422 and 201.
///
/// Field names are wire paths inside the request's `data` object ("email",
/// "identity.email_address", "financial_profile.funding_sources[1]").
public enum KYCValidation {
    /// Every violation in `data`, in field order; empty when the data is valid. Each result
    /// has outcome FAIL, the field, the rule and how to fix it.
    public static func validate(_ data: KYCSubmissionData) -> [KYCRuleResult] {
        var checks = KYCFieldChecks()
        switch data {
        case .baseline(let baseline): checkBaseline(baseline, &checks)
        case .us(let us): checkUS(us, &checks)
        }
        return checks.violations
    }

    /// Throws one `invalid_kyc_data` rule violation (422) listing every failing field with its
    /// rule, e.g. "KYC data is invalid: data.email: invalid_email ('x' is not …); data.birth_date:
    /// invalid_date (…)". Returns normally when the data is valid.
    public static func requireValid(_ data: KYCSubmissionData) throws(DomainError) {
        let violations = validate(data)
        guard !violations.isEmpty else { return }
        let list = violations.map { "data.\($0.field ?? "?"): \($0.rule) (\($0.reason))" }.joined(separator: "; ")
        throw DomainError(.ruleViolation, code: "invalid_kyc_data", message: "KYC data is invalid: \(list)")
    }

    // MARK: BASELINE

    static func checkBaseline(_ data: BaselineKYCCheckData, _ checks: inout KYCFieldChecks) {
        checks.countryCode(data.addressCountryCode, field: "address_country_code")
        checks.countryCode(data.countryCode, field: "country_code")
        checks.requiredText(data.lastName, field: "last_name", maxLength: KYCFieldChecks.nameMaxLength, isName: true)
        checks.optionalText(data.firstName, field: "first_name", maxLength: KYCFieldChecks.nameMaxLength, isName: true)
        checks.optionalText(data.middleName, field: "middle_name", maxLength: KYCFieldChecks.nameMaxLength, isName: true)
        checks.optionalText(data.addressStreet1, field: "address_street_1")
        checks.optionalText(data.addressStreet2, field: "address_street_2")
        checks.optionalText(data.addressCity, field: "address_city", maxLength: KYCFieldChecks.nameMaxLength)
        checks.optionalText(data.addressSubdivision, field: "address_subdivision", maxLength: KYCFieldChecks.nameMaxLength)
        if let postal = provided(data.addressPostalCode) {
            checks.postalCode(postal, field: "address_postal_code", countryCode: data.addressCountryCode)
        }
        if let birthDate = provided(data.birthDate) {
            checks.date(birthDate, field: "birth_date", isBirthDate: true)
        }
        if let email = provided(data.email) {
            checks.email(email, field: "email")
        }
        if let taxID = provided(data.taxIDNumber), !KYCFieldFormats.isTaxIDNumber(taxID) {
            checks.fail("tax_id_number", "invalid_tax_id", "use 1–64 letters, digits, spaces, dots, slashes or hyphens")
        }
    }

    /// The value when present and not blank; optional fields sent as "" count as absent.
    static func provided(_ value: String?) -> String? {
        guard let value, !value.allSatisfy(\.isWhitespace) else { return nil }
        return value
    }

    // MARK: US

    static func checkUS(_ data: USKYCCheckData, _ checks: inout KYCFieldChecks) {
        checkIdentity(data.identity, &checks)
        checks.ipAddress(data.alpacaCustomerAgreement.ipAddress, field: "alpaca_customer_agreement.ip_address")
        checks.instant(data.alpacaCustomerAgreement.signedAt, field: "alpaca_customer_agreement.signed_at")
        checkAMLCheck(data.amlCheck, &checks)
        checks.textList(data.dataCitation.addressSources, field: "data_citation.address_sources")
        checks.textList(data.dataCitation.dateOfBirthSources, field: "data_citation.date_of_birth_sources")
        checks.textList(data.dataCitation.taxIDSources, field: "data_citation.tax_id_sources")
        checkEmployment(data.employment, &checks)
        checkFinancialProfile(data.financialProfile, &checks)
        checkKYCMetadata(data.kycMetadata, &checks)
        checks.instant(
            data.nonProfessionalTraderAttestation.attestationDate, field: "non_professional_trader_attestation.attestation_dt")
        checkTrustedContact(data.trustedContact, &checks)
        checkImmigration(data.usImmigrationInfo, citizenship: data.identity.countryOfCitizenship, &checks)
    }

    static func checkIdentity(_ identity: USKYCCheckData.Identity, _ checks: inout KYCFieldChecks) {
        let nameMax = KYCFieldChecks.nameMaxLength
        checks.requiredText(identity.givenName, field: "identity.given_name", maxLength: nameMax, isName: true)
        checks.optionalText(identity.middleName, field: "identity.middle_name", maxLength: nameMax, isName: true)
        checks.requiredText(identity.familyName, field: "identity.family_name", maxLength: nameMax, isName: true)
        checks.date(identity.dateOfBirth, field: "identity.date_of_birth", isBirthDate: true)
        checks.countryCode(identity.countryOfCitizenship, field: "identity.country_of_citizenship")
        if identity.countryOfTaxResidence != "US" {
            checks.fail(
                "identity.country_of_tax_residence", "invalid_value",
                "must be 'US' in the US jurisdiction; non-US tax residents use BASELINE")
        }
        checks.email(identity.emailAddress, field: "identity.email_address")
        checks.phone(identity.phoneNumber, field: "identity.phone_number")
        if !KYCFieldFormats.isUSTaxID(identity.taxID) {
            checks.fail("identity.tax_id", "invalid_tax_id", "send a 9-digit SSN or ITIN, as 123456789 or 123-45-6789")
        }
        checks.requiredText(identity.streetAddress, field: "identity.street_address")
        checks.optionalText(identity.unit, field: "identity.unit")
        checks.requiredText(identity.city, field: "identity.city", maxLength: nameMax)
        checkUSAddressCodes(identity, &checks)
    }

    /// The SDK asks for a two-letter state when the person lives in the US; with a state, the
    /// postal code must be a ZIP. The US shape has no address-country field, so without a
    /// state the postal code gets the permissive foreign check.
    static func checkUSAddressCodes(_ identity: USKYCCheckData.Identity, _ checks: inout KYCFieldChecks) {
        guard let state = provided(identity.state) else {
            if !PostalCodes.isPlausibleForeignCode(identity.postalCode) {
                checks.fail(
                    "identity.postal_code", "invalid_postal_code",
                    "expected \(PostalCodes.permissiveFormat)")
            }
            return
        }
        if !Countries.usStateCodes.contains(state) {
            checks.fail(
                "identity.state", "invalid_us_state", "'\(KYCFieldChecks.echo(state))' is not a two-letter USPS state code, e.g. NY")
        }
        checks.postalCode(identity.postalCode, field: "identity.postal_code", countryCode: "US")
    }

    static func checkAMLCheck(_ aml: USKYCCheckData.AMLCheck, _ checks: inout KYCFieldChecks) {
        checks.instant(aml.checkCreatedAt, field: "aml_check.check_created_at")
        checks.requiredText(aml.refID, field: "aml_check.ref_id", maxLength: KYCFieldChecks.identifierMaxLength)
        checks.textList(aml.records, field: "aml_check.records")
        if aml.hasAnyMatch, aml.records.isEmpty {
            checks.fail(
                "aml_check.records", "aml_match_records_required",
                "a match is reported, so describe each hit in records (SDK: provide details about the matches)")
        }
    }

    static func checkEmployment(_ employment: USKYCCheckData.Employment, _ checks: inout KYCFieldChecks) {
        checks.oneOf(employment.employmentStatus, USKYCCheckData.EmploymentStatus.self, field: "employment.employment_status")
        checks.optionalText(employment.employerName, field: "employment.employer_name")
        checks.optionalText(employment.employerAddress, field: "employment.employer_address")
        checks.optionalText(employment.employmentPosition, field: "employment.employment_position")
        guard employment.status == .employed else { return }
        // FINRA Rule 4512(a)(1)(D) requires the occupation and employer of an employed customer.
        for (field, value) in [("employer_name", employment.employerName), ("employment_position", employment.employmentPosition)]
        where provided(value) == nil {
            checks.fail("employment.\(field)", "required_when_employed", "required when employment_status is EMPLOYED")
        }
    }

    static func checkFinancialProfile(_ profile: USKYCCheckData.FinancialProfile, _ checks: inout KYCFieldChecks) {
        let sources = profile.fundingSources
        if sources.isEmpty {
            checks.fail("financial_profile.funding_sources", "required", "name at least one funding source")
        } else if sources.count > USKYCCheckData.FundingSource.allCases.count {
            checks.fail("financial_profile.funding_sources", "too_many_items", "list each funding source once")
        }
        for (index, source) in sources.enumerated().prefix(USKYCCheckData.FundingSource.allCases.count) {
            checks.oneOf(source, USKYCCheckData.FundingSource.self, field: "financial_profile.funding_sources[\(index)]")
        }
        if let problem = netWorthRangeProblem(minUSD: profile.liquidNetWorthMinUSD, maxUSD: profile.liquidNetWorthMaxUSD) {
            checks.fail("financial_profile.liquid_net_worth_min", "invalid_net_worth_range", problem)
        }
    }

    /// Upper bound on a declared liquid net worth: above any real person's, so a larger value
    /// is a unit mistake (cents for dollars).
    static let netWorthMaxUSD = 1_000_000_000_000

    /// The SDK's range rule: 0 ≤ min ≤ max; min may be 0 only if max ≤ $20,000, otherwise min
    /// must be within an order of magnitude of max (min × 10 ≥ max). Integer math, no overflow.
    static func netWorthRangeProblem(minUSD: Int, maxUSD: Int) -> String? {
        if minUSD < 0 || maxUSD < minUSD {
            return "need 0 ≤ liquid_net_worth_min ≤ liquid_net_worth_max, got \(minUSD)…\(maxUSD)"
        }
        if maxUSD > netWorthMaxUSD {
            return "liquid_net_worth_max \(maxUSD) exceeds \(netWorthMaxUSD); send whole US dollars"
        }
        if maxUSD > 20_000, minUSD < (maxUSD + 9) / 10 {
            return "above $20,000 the range must be within an order of magnitude: min ≥ max ÷ 10 = \((maxUSD + 9) / 10)"
        }
        return nil
    }

    static func checkKYCMetadata(_ metadata: USKYCCheckData.KYCMetadata, _ checks: inout KYCFieldChecks) {
        checks.instant(metadata.checkInitiatedAt, field: "kyc_metadata.check_initiated_at")
        checks.instant(metadata.checkCompletedAt, field: "kyc_metadata.check_completed_at")
        checks.ipAddress(metadata.ipAddress, field: "kyc_metadata.ip_address")
        checks.requiredText(metadata.refID, field: "kyc_metadata.ref_id", maxLength: KYCFieldChecks.identifierMaxLength)
        if let initiated = KYCFieldFormats.parseInstant(metadata.checkInitiatedAt),
            let completed = KYCFieldFormats.parseInstant(metadata.checkCompletedAt), completed < initiated
        {
            checks.fail("kyc_metadata.check_completed_at", "completed_before_initiated", "must not be before check_initiated_at")
        }
    }

    static func checkTrustedContact(_ contact: USKYCCheckData.TrustedContact, _ checks: inout KYCFieldChecks) {
        let nameMax = KYCFieldChecks.nameMaxLength
        checks.requiredText(contact.givenName, field: "trusted_contact.given_name", maxLength: nameMax, isName: true)
        checks.requiredText(contact.familyName, field: "trusted_contact.family_name", maxLength: nameMax, isName: true)
        let email = provided(contact.emailAddress)
        let phone = provided(contact.phoneNumber)
        if let email { checks.email(email, field: "trusted_contact.email_address") }
        if let phone { checks.phone(phone, field: "trusted_contact.phone_number") }
        if email == nil, phone == nil {
            checks.fail("trusted_contact", "contact_method_required", "give email_address or phone_number (or both)")
        }
    }

    static func checkImmigration(
        _ info: USKYCCheckData.USImmigrationInfo?, citizenship: String, _ checks: inout KYCFieldChecks
    ) {
        guard let info else {
            if citizenship != "US" {
                checks.fail(
                    "us_immigration_info", "immigration_info_required",
                    "required when country_of_citizenship is not US (here \(citizenship))")
            }
            return
        }
        checks.countryCode(info.countryOfBirth, field: "us_immigration_info.country_of_birth")
        if let visa = provided(info.visaType) {
            checks.oneOf(visa, USKYCCheckData.VisaType.self, field: "us_immigration_info.visa_type")
        } else if !info.isPermanentResident {
            checks.fail("us_immigration_info.visa_type", "visa_type_required", "required when is_permanent_resident is false")
        }
        for (field, value) in [("visa_expiration_date", info.visaExpirationDate), ("departure_from_us_date", info.departureFromUSDate)] {
            if let date = provided(value) { checks.date(date, field: "us_immigration_info.\(field)") }
        }
        if provided(info.visaType) != nil, provided(info.visaExpirationDate) == nil {
            checks.fail("us_immigration_info.visa_expiration_date", "required_with_visa", "required when visa_type is given")
        }
        if info.visa == .b1 || info.visa == .b2, provided(info.departureFromUSDate) == nil {
            checks.fail("us_immigration_info.departure_from_us_date", "required_with_visa", "required for B1 and B2 visas")
        }
    }
}
