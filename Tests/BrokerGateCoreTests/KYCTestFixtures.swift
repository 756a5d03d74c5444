import Foundation

@testable import BrokerGateCore

/// Clean KYC submissions and a fixed business clock for the KYC tests; each test changes only
/// the fields its rule is about.
enum KYCFixtures {
    /// Saturday 2026-11-28 10:00 America/New_York (15:00 UTC).
    static let now = instant("2026-11-28T15:00:00Z")

    static func instant(_ text: String) -> Date {
        guard let date = KYCFieldFormats.parseInstant(text) else { fatalError("bad fixture instant \(text)") }
        return date
    }

    static func date(_ text: String) -> CalendarDate {
        guard let date = try? CalendarDate(parsing: text) else { fatalError("bad fixture date \(text)") }
        return date
    }

    /// A German resident and citizen, 36 years old, every optional field filled in.
    static func baseline() -> BaselineKYCCheckData {
        BaselineKYCCheckData(
            addressCountryCode: "DE", countryCode: "DE", lastName: "Müller", addressCity: "Berlin",
            addressPostalCode: "10115", addressStreet1: "Invalidenstraße 117", addressStreet2: nil,
            addressSubdivision: "Berlin", birthDate: "1990-04-17", email: "anna.mueller@example.de",
            firstName: "Anna", middleName: "Lena", taxIDNumber: "12 345 678 901")
    }

    /// A US citizen in New York with agreements signed before `now`.
    static func us() -> USKYCCheckData {
        USKYCCheckData(
            alpacaCustomerAgreement: .init(ipAddress: "203.0.113.7", signedAt: "2026-11-20T14:03:00.123456+00:00"),
            amlCheck: .init(
                checkCreatedAt: "2026-11-20T14:00:00Z", isAdverseMediaMatch: false, isMonitoredListsMatch: false,
                isPoliticallyExposedPersonMatch: false, isSanctionsMatch: false, records: [], refID: "aml-123"),
            dataCitation: .init(
                addressSources: ["utility bill"], dateOfBirthSources: ["passport"], taxIDSources: ["IRS W-9"]),
            employment: .init(
                employmentStatus: "EMPLOYED", employerAddress: "1 Main St, New York, NY", employerName: "Acme Corp",
                employmentPosition: "Engineer"),
            financialProfile: .init(
                fundingSources: ["EMPLOYMENT_INCOME", "SAVINGS"], liquidNetWorthMaxUSD: 100_000,
                liquidNetWorthMinUSD: 50_000),
            identity: .init(
                city: "New York", countryOfCitizenship: "US", dateOfBirth: "1985-06-30",
                emailAddress: "jane.doe@example.com", familyName: "Doe", givenName: "Jane", phoneNumber: "+12125550123",
                postalCode: "10001-1234", streetAddress: "350 Fifth Avenue", taxID: "123-45-6789", middleName: "Q",
                state: "NY", unit: "Apt 5"),
            kycMetadata: .init(
                checkCompletedAt: "2026-11-20T14:05:00-05:00", checkInitiatedAt: "2026-11-20T14:00:00-05:00",
                ipAddress: "2001:db8::1", refID: "kyc-789"),
            nonProfessionalTraderAttestation: .init(attestationDate: "2026-11-20T14:04:00Z", isNonProfessionalTrader: true),
            riskDisclosure: .init(),
            trustedContact: .init(familyName: "Doe", givenName: "John", emailAddress: "john.doe@example.com"),
            usImmigrationInfo: nil)
    }

    static func evaluate(_ data: BaselineKYCCheckData, now: Date = now) -> KYCDecision {
        KYCRules.evaluate(.baseline(data), documents: [], now: now)
    }

    static func evaluate(_ data: USKYCCheckData, documents: [KYCDocumentType] = [.governmentID], now: Date = now) -> KYCDecision {
        KYCRules.evaluate(.us(data), documents: documents, now: now)
    }

    static func violations(_ data: BaselineKYCCheckData) -> [KYCRuleResult] { KYCValidation.validate(.baseline(data)) }
    static func violations(_ data: USKYCCheckData) -> [KYCRuleResult] { KYCValidation.validate(.us(data)) }
}

extension KYCDecision {
    /// The result of the named rule (each rule records exactly one).
    func result(_ rule: String) -> KYCRuleResult? { results.first { $0.rule == rule } }
}

extension Array where Element == KYCRuleResult {
    /// "field: rule" pairs, for compact assertions.
    var fieldRules: [String] { map { "\($0.field ?? "-"): \($0.rule)" } }
}
