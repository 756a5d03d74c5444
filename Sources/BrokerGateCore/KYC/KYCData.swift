/// The KYC wire vocabulary shared by both jurisdictions, and the BASELINE data shape.
///
/// Every type here mirrors `dinari-api-sdk` 0.15.0 (`types/v2/entities/`): same fields, same
/// optionality, snake_case wire keys. A key the SDK marks required is non-optional here, so a
/// body that omits it fails decoding (400, `DomainError.Kind.malformed`, with the key path in
/// the `DecodingError`). Values whose *format* matters (dates, date-times, country codes,
/// enumerations) decode as `String` on purpose: a well-formed body with a bad value must get
/// a 422 that names the field and the rule (`KYCValidation`), not a 400 from the decoder.

/// The jurisdiction of a KYC check (SDK `Jurisdiction`). BASELINE is for non-US persons; US
/// persons must use US (`KYCRules.usPersonRequiresUSJurisdiction`).
public enum KYCJurisdiction: String, Sendable, Codable, Equatable, CaseIterable {
    case baseline = "BASELINE"
    case us = "US"
}

/// The status of a KYC check, exactly the SDK's `KYCStatus` literals.
///
/// The rules engine produces PASS, FAIL, NEEDS_REVIEW and INCOMPLETE (`KYCDecision.status`).
/// PENDING is never a rules outcome: it is the record's status while a check has been started
/// but not yet decided (e.g. a managed KYC flow in progress), which the store owns.
public enum KYCStatus: String, Sendable, Codable, Equatable, CaseIterable {
    case pass = "PASS"
    case fail = "FAIL"
    case pending = "PENDING"
    case incomplete = "INCOMPLETE"
    case needsReview = "NEEDS_REVIEW"
}

/// The type of an uploaded KYC document, exactly the SDK's `KYCDocumentType` literals.
public enum KYCDocumentType: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case governmentID = "GOVERNMENT_ID"
    case selfie = "SELFIE"
    case residency = "RESIDENCY"
    case unknown = "UNKNOWN"
}

/// KYC data for an entity in the BASELINE (non-US) jurisdiction: SDK `BaselineKYCCheckData`.
///
/// `birthDate` is "YYYY-MM-DD" text checked by `KYCValidation` (see the file comment for why it
/// is not a `CalendarDate`); `birthCalendarDate` is the parsed value once validated.
public struct BaselineKYCCheckData: Sendable, Codable, Equatable {
    /// Country of residence, ISO 3166-1 alpha-2.
    public var addressCountryCode: String
    /// Country of citizenship, ISO 3166-1 alpha-2.
    public var countryCode: String
    /// Last name of the person.
    public var lastName: String
    public var addressCity: String?
    public var addressPostalCode: String?
    public var addressStreet1: String?
    public var addressStreet2: String?
    /// State or subdivision; in the US the unabbreviated state name (SDK note).
    public var addressSubdivision: String?
    /// "YYYY-MM-DD".
    public var birthDate: String?
    public var email: String?
    public var firstName: String?
    public var middleName: String?
    /// Number of the official tax document of the person's country.
    public var taxIDNumber: String?

    public init(
        addressCountryCode: String, countryCode: String, lastName: String,
        addressCity: String? = nil, addressPostalCode: String? = nil, addressStreet1: String? = nil,
        addressStreet2: String? = nil, addressSubdivision: String? = nil, birthDate: String? = nil,
        email: String? = nil, firstName: String? = nil, middleName: String? = nil, taxIDNumber: String? = nil
    ) {
        self.addressCountryCode = addressCountryCode
        self.countryCode = countryCode
        self.lastName = lastName
        self.addressCity = addressCity
        self.addressPostalCode = addressPostalCode
        self.addressStreet1 = addressStreet1
        self.addressStreet2 = addressStreet2
        self.addressSubdivision = addressSubdivision
        self.birthDate = birthDate
        self.email = email
        self.firstName = firstName
        self.middleName = middleName
        self.taxIDNumber = taxIDNumber
    }

    enum CodingKeys: String, CodingKey {
        case addressCountryCode = "address_country_code"
        case countryCode = "country_code"
        case lastName = "last_name"
        case addressCity = "address_city"
        case addressPostalCode = "address_postal_code"
        case addressStreet1 = "address_street_1"
        case addressStreet2 = "address_street_2"
        case addressSubdivision = "address_subdivision"
        case birthDate = "birth_date"
        case email
        case firstName = "first_name"
        case middleName = "middle_name"
        case taxIDNumber = "tax_id_number"
    }

    /// The birth date once it parses as "YYYY-MM-DD"; nil when absent or malformed.
    public var birthCalendarDate: CalendarDate? { birthDate.flatMap { try? CalendarDate(parsing: $0) } }

    /// The person's name parts in order, for name screening.
    var nameParts: [String] { [firstName, middleName, lastName].compactMap { $0 } }
}

/// The KYC data of one submission, in the shape of its jurisdiction.
///
/// Encodes as the bare data object (the wire `data` field of a KYC check); decoding needs the
/// jurisdiction first, because the wire union is discriminated by the sibling `jurisdiction` key.
public enum KYCSubmissionData: Sendable, Equatable, Encodable {
    case baseline(BaselineKYCCheckData)
    case us(USKYCCheckData)

    /// The jurisdiction this data is shaped for.
    public var jurisdiction: KYCJurisdiction {
        switch self {
        case .baseline: .baseline
        case .us: .us
        }
    }

    /// Decodes the data object in the shape of `jurisdiction`, e.g. from
    /// `container.superDecoder(forKey: .data)` in the request DTO.
    public init(jurisdiction: KYCJurisdiction, from decoder: any Decoder) throws {
        switch jurisdiction {
        case .baseline: self = .baseline(try BaselineKYCCheckData(from: decoder))
        case .us: self = .us(try USKYCCheckData(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .baseline(let data): try data.encode(to: encoder)
        case .us(let data): try data.encode(to: encoder)
        }
    }

    /// The person's name parts (first, middle, last) in order, for name screening.
    var nameParts: [String] {
        switch self {
        case .baseline(let data): data.nameParts
        case .us(let data): data.identity.nameParts
        }
    }
}
