/// KYC data for an entity in the US jurisdiction: SDK `UsKYCCheckData`, field for field.
///
/// Date-times (`signed_at`, `check_created_at`, …) and dates (`date_of_birth`, …) are kept as
/// the submitted ISO 8601 text so the API can echo them exactly and `KYCValidation` can answer
/// a bad one with a 422 naming the field. SDK literal unions (employment status, funding
/// sources, visa type) are `String` for the same reason; the typed view is the matching
/// computed property (`Employment.status`, …), non-nil once the data has passed validation.
public struct USKYCCheckData: Sendable, Codable, Equatable {
    public var alpacaCustomerAgreement: AlpacaCustomerAgreement
    public var amlCheck: AMLCheck
    public var dataCitation: DataCitation
    public var employment: Employment
    public var financialProfile: FinancialProfile
    public var identity: Identity
    public var kycMetadata: KYCMetadata
    public var nonProfessionalTraderAttestation: NonProfessionalTraderAttestation
    public var riskDisclosure: RiskDisclosure
    public var trustedContact: TrustedContact
    /// Required when the person is not a US citizen (checked by `KYCValidation`).
    public var usImmigrationInfo: USImmigrationInfo?

    public init(
        alpacaCustomerAgreement: AlpacaCustomerAgreement, amlCheck: AMLCheck, dataCitation: DataCitation,
        employment: Employment, financialProfile: FinancialProfile, identity: Identity, kycMetadata: KYCMetadata,
        nonProfessionalTraderAttestation: NonProfessionalTraderAttestation, riskDisclosure: RiskDisclosure,
        trustedContact: TrustedContact, usImmigrationInfo: USImmigrationInfo? = nil
    ) {
        self.alpacaCustomerAgreement = alpacaCustomerAgreement
        self.amlCheck = amlCheck
        self.dataCitation = dataCitation
        self.employment = employment
        self.financialProfile = financialProfile
        self.identity = identity
        self.kycMetadata = kycMetadata
        self.nonProfessionalTraderAttestation = nonProfessionalTraderAttestation
        self.riskDisclosure = riskDisclosure
        self.trustedContact = trustedContact
        self.usImmigrationInfo = usImmigrationInfo
    }

    enum CodingKeys: String, CodingKey {
        case alpacaCustomerAgreement = "alpaca_customer_agreement"
        case amlCheck = "aml_check"
        case dataCitation = "data_citation"
        case employment
        case financialProfile = "financial_profile"
        case identity
        case kycMetadata = "kyc_metadata"
        case nonProfessionalTraderAttestation = "non_professional_trader_attestation"
        case riskDisclosure = "risk_disclosure"
        case trustedContact = "trusted_contact"
        case usImmigrationInfo = "us_immigration_info"
    }

    /// The person's affirmation of Alpaca's customer agreement.
    public struct AlpacaCustomerAgreement: Sendable, Codable, Equatable {
        public var ipAddress: String
        /// ISO 8601 date-time with offset.
        public var signedAt: String

        public init(ipAddress: String, signedAt: String) {
            self.ipAddress = ipAddress
            self.signedAt = signedAt
        }

        enum CodingKeys: String, CodingKey {
            case ipAddress = "ip_address"
            case signedAt = "signed_at"
        }
    }

    /// The partner's AML screening result. Any match puts the check in review (SDK: "marked as
    /// high risk and subject to manual review").
    public struct AMLCheck: Sendable, Codable, Equatable {
        public var checkCreatedAt: String
        public var isAdverseMediaMatch: Bool
        public var isMonitoredListsMatch: Bool
        public var isPoliticallyExposedPersonMatch: Bool
        public var isSanctionsMatch: Bool
        public var records: [String]
        public var refID: String

        public init(
            checkCreatedAt: String, isAdverseMediaMatch: Bool, isMonitoredListsMatch: Bool,
            isPoliticallyExposedPersonMatch: Bool, isSanctionsMatch: Bool, records: [String], refID: String
        ) {
            self.checkCreatedAt = checkCreatedAt
            self.isAdverseMediaMatch = isAdverseMediaMatch
            self.isMonitoredListsMatch = isMonitoredListsMatch
            self.isPoliticallyExposedPersonMatch = isPoliticallyExposedPersonMatch
            self.isSanctionsMatch = isSanctionsMatch
            self.records = records
            self.refID = refID
        }

        enum CodingKeys: String, CodingKey {
            case checkCreatedAt = "check_created_at"
            case isAdverseMediaMatch = "is_adverse_media_match"
            case isMonitoredListsMatch = "is_monitored_lists_match"
            case isPoliticallyExposedPersonMatch = "is_politically_exposed_person_match"
            case isSanctionsMatch = "is_sanctions_match"
            case records
            case refID = "ref_id"
        }

        /// True when the partner's screening hit anything.
        public var hasAnyMatch: Bool {
            isAdverseMediaMatch || isMonitoredListsMatch || isPoliticallyExposedPersonMatch || isSanctionsMatch
        }
    }

    /// Sources the partner used to verify address, date of birth and tax id.
    public struct DataCitation: Sendable, Codable, Equatable {
        public var addressSources: [String]
        public var dateOfBirthSources: [String]
        public var taxIDSources: [String]

        public init(addressSources: [String], dateOfBirthSources: [String], taxIDSources: [String]) {
            self.addressSources = addressSources
            self.dateOfBirthSources = dateOfBirthSources
            self.taxIDSources = taxIDSources
        }

        enum CodingKeys: String, CodingKey {
            case addressSources = "address_sources"
            case dateOfBirthSources = "date_of_birth_sources"
            case taxIDSources = "tax_id_sources"
        }
    }

    /// Employment, which FINRA Rule 4512 requires a broker to record.
    public struct Employment: Sendable, Codable, Equatable {
        /// One of `EmploymentStatus`'s raw values.
        public var employmentStatus: String
        public var employerAddress: String?
        public var employerName: String?
        public var employmentPosition: String?

        public init(
            employmentStatus: String, employerAddress: String? = nil, employerName: String? = nil,
            employmentPosition: String? = nil
        ) {
            self.employmentStatus = employmentStatus
            self.employerAddress = employerAddress
            self.employerName = employerName
            self.employmentPosition = employmentPosition
        }

        enum CodingKeys: String, CodingKey {
            case employmentStatus = "employment_status"
            case employerAddress = "employer_address"
            case employerName = "employer_name"
            case employmentPosition = "employment_position"
        }

        /// The typed status, nil when the text is not an SDK literal.
        public var status: EmploymentStatus? { EmploymentStatus(rawValue: employmentStatus) }
    }

    /// SDK literals for `employment.employment_status`.
    public enum EmploymentStatus: String, Sendable, CaseIterable {
        case unemployed = "UNEMPLOYED", employed = "EMPLOYED", student = "STUDENT", retired = "RETIRED"
    }

    /// Liquid net worth range (whole USD; integers on the wire, never floating point) and the
    /// sources of funds.
    public struct FinancialProfile: Sendable, Codable, Equatable {
        /// Each one of `FundingSource`'s raw values.
        public var fundingSources: [String]
        public var liquidNetWorthMaxUSD: Int
        public var liquidNetWorthMinUSD: Int

        public init(fundingSources: [String], liquidNetWorthMaxUSD: Int, liquidNetWorthMinUSD: Int) {
            self.fundingSources = fundingSources
            self.liquidNetWorthMaxUSD = liquidNetWorthMaxUSD
            self.liquidNetWorthMinUSD = liquidNetWorthMinUSD
        }

        enum CodingKeys: String, CodingKey {
            case fundingSources = "funding_sources"
            case liquidNetWorthMaxUSD = "liquid_net_worth_max"
            case liquidNetWorthMinUSD = "liquid_net_worth_min"
        }
    }

    /// SDK literals for `financial_profile.funding_sources`.
    public enum FundingSource: String, Sendable, CaseIterable {
        case employmentIncome = "EMPLOYMENT_INCOME", investments = "INVESTMENTS", inheritance = "INHERITANCE"
        case businessIncome = "BUSINESS_INCOME", savings = "SAVINGS", family = "FAMILY"
    }

    /// Who the person is and where they live.
    public struct Identity: Sendable, Codable, Equatable {
        public var city: String
        /// ISO 3166-1 alpha-2.
        public var countryOfCitizenship: String
        /// Must be "US" (SDK literal).
        public var countryOfTaxResidence: String
        /// "YYYY-MM-DD".
        public var dateOfBirth: String
        public var emailAddress: String
        public var familyName: String
        public var givenName: String
        /// E.164, e.g. "+15555555555".
        public var phoneNumber: String
        public var postalCode: String
        public var streetAddress: String
        /// SSN or TIN.
        public var taxID: String
        public var middleName: String?
        /// Two-letter USPS code; required when the person lives in the US.
        public var state: String?
        public var unit: String?

        public init(
            city: String, countryOfCitizenship: String, countryOfTaxResidence: String = "US", dateOfBirth: String,
            emailAddress: String, familyName: String, givenName: String, phoneNumber: String, postalCode: String,
            streetAddress: String, taxID: String, middleName: String? = nil, state: String? = nil, unit: String? = nil
        ) {
            self.city = city
            self.countryOfCitizenship = countryOfCitizenship
            self.countryOfTaxResidence = countryOfTaxResidence
            self.dateOfBirth = dateOfBirth
            self.emailAddress = emailAddress
            self.familyName = familyName
            self.givenName = givenName
            self.phoneNumber = phoneNumber
            self.postalCode = postalCode
            self.streetAddress = streetAddress
            self.taxID = taxID
            self.middleName = middleName
            self.state = state
            self.unit = unit
        }

        enum CodingKeys: String, CodingKey {
            case city
            case countryOfCitizenship = "country_of_citizenship"
            case countryOfTaxResidence = "country_of_tax_residence"
            case dateOfBirth = "date_of_birth"
            case emailAddress = "email_address"
            case familyName = "family_name"
            case givenName = "given_name"
            case phoneNumber = "phone_number"
            case postalCode = "postal_code"
            case streetAddress = "street_address"
            case taxID = "tax_id"
            case middleName = "middle_name"
            case state
            case unit
        }

        /// The birth date once it parses as "YYYY-MM-DD".
        public var birthCalendarDate: CalendarDate? { try? CalendarDate(parsing: dateOfBirth) }

        var nameParts: [String] { [givenName, middleName, familyName].compactMap { $0 } }
    }

    /// The partner's own KYC check: when and from where.
    public struct KYCMetadata: Sendable, Codable, Equatable {
        public var checkCompletedAt: String
        public var checkInitiatedAt: String
        public var ipAddress: String
        public var refID: String

        public init(checkCompletedAt: String, checkInitiatedAt: String, ipAddress: String, refID: String) {
            self.checkCompletedAt = checkCompletedAt
            self.checkInitiatedAt = checkInitiatedAt
            self.ipAddress = ipAddress
            self.refID = refID
        }

        enum CodingKeys: String, CodingKey {
            case checkCompletedAt = "check_completed_at"
            case checkInitiatedAt = "check_initiated_at"
            case ipAddress = "ip_address"
            case refID = "ref_id"
        }
    }

    /// Self-attestation that affects market-data fees.
    public struct NonProfessionalTraderAttestation: Sendable, Codable, Equatable {
        public var attestationDate: String
        public var isNonProfessionalTrader: Bool

        public init(attestationDate: String, isNonProfessionalTrader: Bool) {
            self.attestationDate = attestationDate
            self.isNonProfessionalTrader = isNonProfessionalTrader
        }

        enum CodingKeys: String, CodingKey {
            case attestationDate = "attestation_dt"
            case isNonProfessionalTrader = "is_non_professional_trader"
        }
    }

    /// FINRA risk categories; any `true` needs extra verification before approval.
    public struct RiskDisclosure: Sendable, Codable, Equatable {
        public var immediateFamilyExposed: Bool
        public var isAffiliatedExchangeOrFINRA: Bool
        public var isControlPerson: Bool
        public var isPoliticallyExposed: Bool

        public init(
            immediateFamilyExposed: Bool = false, isAffiliatedExchangeOrFINRA: Bool = false,
            isControlPerson: Bool = false, isPoliticallyExposed: Bool = false
        ) {
            self.immediateFamilyExposed = immediateFamilyExposed
            self.isAffiliatedExchangeOrFINRA = isAffiliatedExchangeOrFINRA
            self.isControlPerson = isControlPerson
            self.isPoliticallyExposed = isPoliticallyExposed
        }

        enum CodingKeys: String, CodingKey {
            case immediateFamilyExposed = "immediate_family_exposed"
            case isAffiliatedExchangeOrFINRA = "is_affiliated_exchange_or_finra"
            case isControlPerson = "is_control_person"
            case isPoliticallyExposed = "is_politically_exposed"
        }
    }

    /// A trusted contact (FINRA Rule 4512); at least one of email or phone is required.
    public struct TrustedContact: Sendable, Codable, Equatable {
        public var familyName: String
        public var givenName: String
        public var emailAddress: String?
        public var phoneNumber: String?

        public init(familyName: String, givenName: String, emailAddress: String? = nil, phoneNumber: String? = nil) {
            self.familyName = familyName
            self.givenName = givenName
            self.emailAddress = emailAddress
            self.phoneNumber = phoneNumber
        }

        enum CodingKeys: String, CodingKey {
            case familyName = "family_name"
            case givenName = "given_name"
            case emailAddress = "email_address"
            case phoneNumber = "phone_number"
        }
    }

    /// Immigration status of a person who is not a US citizen.
    public struct USImmigrationInfo: Sendable, Codable, Equatable {
        /// ISO 3166-1 alpha-2.
        public var countryOfBirth: String
        public var isPermanentResident: Bool
        /// "YYYY-MM-DD"; required for B1 and B2 visas.
        public var departureFromUSDate: String?
        /// "YYYY-MM-DD"; required when a visa type is given.
        public var visaExpirationDate: String?
        /// One of `VisaType`'s raw values; required when not a permanent resident.
        public var visaType: String?

        public init(
            countryOfBirth: String, isPermanentResident: Bool, departureFromUSDate: String? = nil,
            visaExpirationDate: String? = nil, visaType: String? = nil
        ) {
            self.countryOfBirth = countryOfBirth
            self.isPermanentResident = isPermanentResident
            self.departureFromUSDate = departureFromUSDate
            self.visaExpirationDate = visaExpirationDate
            self.visaType = visaType
        }

        enum CodingKeys: String, CodingKey {
            case countryOfBirth = "country_of_birth"
            case isPermanentResident = "is_permanent_resident"
            case departureFromUSDate = "departure_from_us_date"
            case visaExpirationDate = "visa_expiration_date"
            case visaType = "visa_type"
        }

        /// The typed visa, nil when absent or not an SDK literal.
        public var visa: VisaType? { visaType.flatMap(VisaType.init(rawValue:)) }
    }

    /// SDK literals for `us_immigration_info.visa_type` (note the SDK's mixed-case "Other").
    public enum VisaType: String, Sendable, CaseIterable {
        case b1 = "B1", b2 = "B2", daca = "DACA", e1 = "E1", e2 = "E2", e3 = "E3", f1 = "F1", g4 = "G4"
        case h1b = "H1B", j1 = "J1", l1 = "L1", other = "Other", o1 = "O1", tn1 = "TN1"
    }
}
