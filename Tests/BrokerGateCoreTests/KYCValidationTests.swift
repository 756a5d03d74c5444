import Foundation
import Testing

@testable import BrokerGateCore

/// The 422 rules (`KYCValidation`): malformed or missing KYC data, named field by field.
struct KYCValidationTests {
    typealias F = KYCFixtures

    @Test func test_cleanBaselineAndUSData_haveNoViolations() throws {
        #expect(F.violations(F.baseline()).isEmpty)
        #expect(F.violations(F.us()).isEmpty)
        try KYCValidation.requireValid(.baseline(F.baseline()))
        try KYCValidation.requireValid(.us(F.us()))
    }

    @Test func test_invalidEmailCountryAndDate_are422NamingEachField() {
        var data = F.baseline()
        data.email = "anna@"
        data.countryCode = "XX"
        data.birthDate = "1990-02-30"
        #expect(
            F.violations(data).fieldRules == ["country_code: invalid_country_code", "birth_date: invalid_date", "email: invalid_email"])
        do {
            try KYCValidation.requireValid(.baseline(data))
            Issue.record("expected a rule violation")
        } catch {
            #expect(error.kind == .ruleViolation)
            #expect(error.code == "invalid_kyc_data")
            #expect(error.message.contains("data.email: invalid_email ('anna@' is not an email address"))
            #expect(error.message.contains("data.country_code: invalid_country_code"))
            #expect(error.message.contains("data.birth_date: invalid_date ('1990-02-30' is not a date; send YYYY-MM-DD"))
        }
    }

    @Test func test_minorIsNotA422_butARecordedFail() {
        var data = F.baseline()
        data.birthDate = "2015-01-01"
        #expect(F.violations(data).isEmpty)
        #expect(F.evaluate(data).result("minimum_age")?.outcome == .fail)
    }

    @Test func test_implausibleBirthDate_is422() {
        var data = F.baseline()
        data.birthDate = "0985-04-17"
        #expect(F.violations(data).fieldRules == ["birth_date: implausible_birth_date"])
    }

    @Test func test_blankRequiredField_is422_blankOptionalFields_countAsAbsent() {
        var data = F.baseline()
        data.lastName = "  "
        data.email = ""
        data.middleName = ""
        data.addressPostalCode = ""
        #expect(F.violations(data).fieldRules == ["last_name: required"])
    }

    @Test func test_names_allowAccentsApostrophesAndScripts_refuseDigitsControlsAndBidiOverrides() {
        var data = F.baseline()
        for good in ["O'Brien", "Jean-Luc", "Nguyễn", "Müller-Lüdenscheidt", "J. R.", "Путин", "金", "D’Angelo"] {
            data.lastName = good
            #expect(F.violations(data).isEmpty, "\(good)")
        }
        for bad in ["R2D2", "Smith\n", "Ev\u{202E}il", "<script>"] {
            data.lastName = bad
            #expect(F.violations(data).fieldRules == ["last_name: invalid_characters"], "\(bad)")
        }
        data.lastName = String(repeating: "a", count: 101)
        #expect(F.violations(data).fieldRules == ["last_name: too_long"])
    }

    @Test func test_countryCodes_officialListHas249_andRefusesReservedAndLowerCase() {
        #expect(Countries.iso3166Alpha2.count == 249)
        #expect(Countries.isValidCode("DE") && Countries.isValidCode("AX") && Countries.isValidCode("XK"))
        for bad in ["de", "EU", "UK", "ZZ", "DEU", "", "D"] {
            #expect(!Countries.isValidCode(bad), "\(bad)")
        }
    }

    @Test func test_postalCodes_followTheCountryFormat() {
        let good = [
            ("US", "10001"), ("US", "10001-1234"), ("CA", "K1A 0B1"), ("CA", "k1a0b1"), ("GB", "SW1A 1AA"),
            ("GB", "M1 1AE"), ("GB", "EC1A1BB"), ("NL", "1012 AB"), ("JP", "100-0001"), ("BR", "01310-100"),
            ("DE", "10115"), ("IN", "110001"), ("AU", "2000"), ("IE", "D02 X285"), ("FR", "75008"), ("AR", "C1425"),
        ]
        for (country, code) in good {
            #expect(PostalCodes.isValid(code, countryCode: country), "\(country) \(code)")
        }
        let bad = [
            ("US", "1000"), ("US", "10001-12"), ("CA", "12345"), ("GB", "12345"), ("DE", "1011"), ("NL", "AB 1012"), ("AR", "!!"),
            ("AR", "12345678901"),
        ]
        for (country, code) in bad {
            #expect(!PostalCodes.isValid(code, countryCode: country), "\(country) \(code)")
        }
        var data = F.baseline()
        data.addressPostalCode = "1011"
        #expect(F.violations(data).first?.reason.contains("expected 99999") == true)
    }

    @Test func test_emails() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "x@xn--80ak6aa92e.com"] {
            #expect(KYCFieldFormats.isEmail(good), "\(good)")
        }
        for bad in ["plain", "a@b", "a@@b.com", ".a@b.com", "a..b@c.com", "a@-b.com", "a@b.c", "ü@b.com", "a b@c.com"] {
            #expect(!KYCFieldFormats.isEmail(bad), "\(bad)")
        }
    }

    @Test func test_dateTimes_needAnOffset() {
        #expect(KYCFieldFormats.parseInstant("2026-11-28T10:00:00-05:00") == F.now)
        #expect(KYCFieldFormats.parseInstant("2026-11-28T15:00:00.000Z") == F.now)
        #expect(KYCFieldFormats.parseInstant("2026-11-28T15:00:00.123456+00:00") != nil)
        for bad in [
            "2026-11-28T15:00:00", "2026-11-28 15:00:00Z", "2026-11-28", "2026-02-30T00:00:00Z", "2026-11-28T24:00:00Z",
            "2026-11-28T15:00:00+0500",
        ] {
            #expect(KYCFieldFormats.parseInstant(bad) == nil, "\(bad)")
        }
    }

    @Test func test_ipAddresses() {
        for good in ["203.0.113.7", "0.0.0.0", "2001:db8::1", "::1", "::", "fe80::1:2:3:4", "::ffff:192.0.2.1", "1:2:3:4:5:6:7:8"] {
            #expect(KYCFieldFormats.isIPAddress(good), "\(good)")
        }
        for bad in ["256.1.1.1", "01.2.3.4", "1.2.3", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", "localhost"] {
            #expect(!KYCFieldFormats.isIPAddress(bad), "\(bad)")
        }
    }

    @Test func test_usIdentity_phoneTaxIDStateZipAndTaxResidence_are422() {
        var data = F.us()
        data.identity.phoneNumber = "(212) 555-0123"
        data.identity.taxID = "000-12-3456"
        data.identity.state = "New York"
        data.identity.postalCode = "1000"
        data.identity.countryOfTaxResidence = "CA"
        #expect(
            F.violations(data).fieldRules == [
                "identity.country_of_tax_residence: invalid_value", "identity.phone_number: invalid_phone_number",
                "identity.tax_id: invalid_tax_id", "identity.state: invalid_us_state", "identity.postal_code: invalid_postal_code",
            ])
        #expect(KYCFieldFormats.isUSTaxID("912345678"), "ITINs start with 9")
        #expect(
            !KYCFieldFormats.isUSTaxID("666123456") && !KYCFieldFormats.isUSTaxID("123006789") && !KYCFieldFormats.isUSTaxID("123450000"))
    }

    @Test func test_usAgreementTimestampsAndLiterals_are422() {
        var data = F.us()
        data.alpacaCustomerAgreement.signedAt = "yesterday"
        data.alpacaCustomerAgreement.ipAddress = "999.1.1.1"
        data.employment.employmentStatus = "employed"
        data.financialProfile.fundingSources = ["SAVINGS", "LOTTERY"]
        #expect(
            F.violations(data).fieldRules == [
                "alpaca_customer_agreement.ip_address: invalid_ip_address", "alpaca_customer_agreement.signed_at: invalid_datetime",
                "employment.employment_status: invalid_value", "financial_profile.funding_sources[1]: invalid_value",
            ])
    }

    @Test func test_employedWithoutEmployerOrPosition_is422() {
        var data = F.us()
        data.employment.employerName = nil
        data.employment.employmentPosition = " "
        #expect(
            F.violations(data).fieldRules == [
                "employment.employer_name: required_when_employed", "employment.employment_position: required_when_employed",
            ])
        data.employment.employmentStatus = "RETIRED"
        #expect(F.violations(data).isEmpty)
    }

    @Test func test_trustedContact_needsEmailOrPhone() {
        var data = F.us()
        data.trustedContact.emailAddress = nil
        #expect(F.violations(data).fieldRules == ["trusted_contact: contact_method_required"])
        data.trustedContact.phoneNumber = "+442071234567"
        #expect(F.violations(data).isEmpty)
    }

    @Test func test_nonCitizen_needsImmigrationInfo_andVisaDetails() {
        var data = F.us()
        data.identity.countryOfCitizenship = "IN"
        #expect(F.violations(data).fieldRules == ["us_immigration_info: immigration_info_required"])
        data.usImmigrationInfo = .init(countryOfBirth: "IN", isPermanentResident: false)
        #expect(F.violations(data).fieldRules == ["us_immigration_info.visa_type: visa_type_required"])
        data.usImmigrationInfo?.visaType = "B2"
        #expect(
            F.violations(data).fieldRules == [
                "us_immigration_info.visa_expiration_date: required_with_visa",
                "us_immigration_info.departure_from_us_date: required_with_visa",
            ])
        data.usImmigrationInfo?.visaExpirationDate = "2027-01-01"
        data.usImmigrationInfo?.departureFromUSDate = "2026-12-24"
        #expect(F.violations(data).isEmpty)
        data.usImmigrationInfo = .init(countryOfBirth: "IN", isPermanentResident: true)
        #expect(F.violations(data).isEmpty, "a green-card holder needs no visa")
    }

    @Test func test_netWorthRange_followsTheSDKRule() {
        #expect(KYCValidation.netWorthRangeProblem(minUSD: 0, maxUSD: 20_000) == nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: 0, maxUSD: 50_000) != nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: 5_000, maxUSD: 50_000) == nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: 4_999, maxUSD: 50_000) != nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: 60_000, maxUSD: 50_000) != nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: -1, maxUSD: 10) != nil)
        #expect(KYCValidation.netWorthRangeProblem(minUSD: Int.max, maxUSD: Int.max) != nil, "no overflow")
    }

    @Test func test_amlMatchWithoutRecords_is422() {
        var data = F.us()
        data.amlCheck.isPoliticallyExposedPersonMatch = true
        #expect(F.violations(data).fieldRules == ["aml_check.records: aml_match_records_required"])
    }

    @Test func test_kycMetadata_completedBeforeInitiated_is422() {
        var data = F.us()
        data.kycMetadata.checkCompletedAt = "2026-11-20T13:59:00-05:00"
        #expect(F.violations(data).fieldRules == ["kyc_metadata.check_completed_at: completed_before_initiated"])
    }

    // MARK: Wire shapes

    @Test func test_baselineData_decodesFromSnakeCase_andEncodesBackTheSameKeys() throws {
        let json = #"""
            {"address_country_code":"FR","country_code":"FR","last_name":"Lefèvre","first_name":"Zoé",
             "birth_date":"1991-07-14","email":"zoe@example.fr","address_postal_code":"75008","address_street_1":"1 rue X",
             "address_street_2":null,"tax_id_number":"1234567890123"}
            """#
        let data = try JSONDecoder().decode(BaselineKYCCheckData.self, from: Data(json.utf8))
        #expect(data.firstName == "Zoé" && data.birthCalendarDate == F.date("1991-07-14") && data.addressStreet2 == nil)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(KYCSubmissionData.baseline(data))) as? [String: Any]
        #expect(
            Set(encoded?.keys.map { $0 } ?? []) == [
                "address_country_code", "country_code", "last_name", "first_name", "birth_date", "email", "address_postal_code",
                "address_street_1", "tax_id_number",
            ])
    }

    @Test func test_usData_roundTripsThroughJSON_andDecodesByJurisdiction() throws {
        let encoded = try JSONEncoder().encode(F.us())
        let text = String(decoding: encoded, as: UTF8.self)
        for key in [
            "alpaca_customer_agreement", "non_professional_trader_attestation", "attestation_dt", "is_affiliated_exchange_or_finra",
            "liquid_net_worth_min", "date_of_birth", "tax_id_sources",
        ] {
            #expect(text.contains("\"\(key)\""), "\(key)")
        }
        struct Body: Decodable {
            let data: KYCSubmissionData
            enum CodingKeys: String, CodingKey { case data, jurisdiction }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                let jurisdiction = try container.decodeIfPresent(KYCJurisdiction.self, forKey: .jurisdiction) ?? .baseline
                data = try KYCSubmissionData(jurisdiction: jurisdiction, from: container.superDecoder(forKey: .data))
            }
        }
        let body = Data(#"{"jurisdiction":"US","data":"#.utf8) + encoded + Data("}".utf8)
        #expect(try JSONDecoder().decode(Body.self, from: body).data == .us(F.us()))
    }

    /// The body `dinari-api-sdk` 0.15.0 sends for `kyc.submit(jurisdiction="US", …)` with Python
    /// `datetime`/`date` values (generated with the SDK's own `maybe_transform`): it decodes,
    /// validates and passes.
    @Test func test_sdkGeneratedUSSubmitBody_decodesValidatesAndPasses() throws {
        let body = #"""
            {
             "jurisdiction": "US",
             "provider_name": "acme",
             "data": {
              "alpaca_customer_agreement": {
               "ip_address": "203.0.113.7",
               "signed_at": "2026-11-20T14:03:00.123456+00:00"
              },
              "aml_check": {
               "check_created_at": "2026-11-20T14:00:00+00:00",
               "is_adverse_media_match": false,
               "is_monitored_lists_match": false,
               "is_politically_exposed_person_match": false,
               "is_sanctions_match": false,
               "records": [],
               "ref_id": "aml-1"
              },
              "data_citation": {
               "address_sources": [
                "bill"
               ],
               "date_of_birth_sources": [
                "passport"
               ],
               "tax_id_sources": [
                "w9"
               ]
              },
              "employment": {
               "employment_status": "STUDENT"
              },
              "financial_profile": {
               "funding_sources": [
                "FAMILY"
               ],
               "liquid_net_worth_max": 20000,
               "liquid_net_worth_min": 0
              },
              "identity": {
               "city": "Boston",
               "country_of_citizenship": "US",
               "country_of_tax_residence": "US",
               "date_of_birth": "2000-01-02",
               "email_address": "s@example.edu",
               "family_name": "Li",
               "given_name": "Wei",
               "phone_number": "+16175550100",
               "postal_code": "02115",
               "street_address": "1 Campus Rd",
               "tax_id": "123456789",
               "state": "MA"
              },
              "kyc_metadata": {
               "check_completed_at": "2026-11-20T14:05:00+00:00",
               "check_initiated_at": "2026-11-20T14:00:00+00:00",
               "ip_address": "::1",
               "ref_id": "k-1"
              },
              "non_professional_trader_attestation": {
               "attestation_dt": "2026-11-20T14:04:00+00:00",
               "is_non_professional_trader": true
              },
              "risk_disclosure": {
               "immediate_family_exposed": false,
               "is_affiliated_exchange_or_finra": false,
               "is_control_person": false,
               "is_politically_exposed": false
              },
              "trusted_contact": {
               "family_name": "Li",
               "given_name": "Ming",
               "phone_number": "+16175550101"
              }
             }
            }
            """#
        struct Body: Decodable {
            let data: USKYCCheckData
        }
        let data = try JSONDecoder().decode(Body.self, from: Data(body.utf8)).data
        #expect(F.violations(data).isEmpty)
        #expect(F.evaluate(data, documents: [.governmentID]).status == .pass)
    }

    @Test func test_missingRequiredKey_isADecodingError_notAValidationResult() {
        let json = #"{"address_country_code":"FR","country_code":"FR"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BaselineKYCCheckData.self, from: Data(json.utf8)) }
    }
}
