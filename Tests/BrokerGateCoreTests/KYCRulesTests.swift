import Foundation
import Testing

@testable import BrokerGateCore

/// The recorded KYC decision rules (`KYCRules`): each test names the rule it pins.
struct KYCRulesTests {
    typealias F = KYCFixtures

    // MARK: Clean data

    @Test func test_baselinePerson_withCleanData_passes() {
        let decision = F.evaluate(F.baseline())
        #expect(decision.status == .pass)
        #expect(decision.findings.isEmpty)
        #expect(
            decision.results.map(\.rule) == [
                "minimum_age", "us_person_requires_us_jurisdiction", "sanctioned_jurisdiction", "sanctioned_nationality",
                "sanctioned_region", "name_screening",
            ])
    }

    @Test func test_usPerson_withCleanDataAgreementsAndGovernmentID_passes() {
        let decision = F.evaluate(F.us())
        #expect(decision.status == .pass, "\(decision.findings)")
        #expect(decision.results.count == 12)
    }

    // MARK: minimum_age

    @Test func test_age17YearsAnd364Days_fails_age18OnBirthday_passes() {
        var data = F.baseline()
        data.birthDate = "2008-11-29"  // 18 tomorrow
        let minor = F.evaluate(data)
        #expect(minor.status == .fail)
        #expect(minor.result("minimum_age")?.outcome == .fail)
        #expect(minor.result("minimum_age")?.reason.contains("eligible from 2008-11-29") == false)
        #expect(minor.result("minimum_age")?.reason.contains("eligible from 2026-11-29") == true)

        data.birthDate = "2008-11-28"  // 18 today
        #expect(F.evaluate(data).result("minimum_age")?.outcome == .pass)
        #expect(F.evaluate(data).status == .pass)
    }

    @Test func test_leapDayBirthday_ageRule_adultOnMarch1InCommonYears() {
        let birth = F.date("2008-02-29")
        #expect(KYCRules.adulthoodDate(birth: birth) == F.date("2026-03-01"))
        let onFeb28 = KYCRules.minimumAge(birthDate: "2008-02-29", field: "birth_date", today: F.date("2026-02-28"))
        let onMar1 = KYCRules.minimumAge(birthDate: "2008-02-29", field: "birth_date", today: F.date("2026-03-01"))
        #expect(onFeb28.outcome == .fail)
        #expect(onMar1.outcome == .pass)
        // 18 is not a multiple of 4, so a leap-day birth never has an 18th leap-day birthday;
        // the neighbours are unaffected.
        #expect(KYCRules.adulthoodDate(birth: F.date("2008-02-28")) == F.date("2026-02-28"))
        #expect(KYCRules.adulthoodDate(birth: F.date("2008-03-01")) == F.date("2026-03-01"))
    }

    @Test func test_age_usesTheNewYorkDate_notUTC() {
        // 2026-11-29 03:00 UTC is still 2026-11-28 22:00 in New York.
        let lateEvening = F.instant("2026-11-29T03:00:00Z")
        #expect(KYCRules.newYorkDate(of: lateEvening) == F.date("2026-11-28"))
        var data = F.baseline()
        data.birthDate = "2008-11-29"
        #expect(F.evaluate(data, now: lateEvening).result("minimum_age")?.outcome == .fail)
        #expect(F.evaluate(data, now: F.instant("2026-11-29T05:00:00Z")).result("minimum_age")?.outcome == .pass)
    }

    @Test func test_birthDateInTheFuture_failsSayingSo() {
        var data = F.baseline()
        data.birthDate = "2030-01-01"
        let result = F.evaluate(data).result("minimum_age")
        #expect(result?.outcome == .fail)
        #expect(result?.reason.contains("after today") == true)
    }

    @Test func test_baselineWithoutBirthDate_isIncomplete() {
        var data = F.baseline()
        data.birthDate = nil
        let decision = F.evaluate(data)
        #expect(decision.status == .incomplete)
        #expect(decision.result("minimum_age")?.field == "birth_date")
    }

    // MARK: us_person_requires_us_jurisdiction

    @Test func test_baselineUSResident_failsWithUseUSJurisdiction() {
        var data = F.baseline()
        data.addressCountryCode = "US"
        data.addressPostalCode = "10001"
        let result = F.evaluate(data).result("us_person_requires_us_jurisdiction")
        #expect(result?.outcome == .fail)
        #expect(result?.field == "address_country_code")
        #expect(result?.reason.contains("use the US jurisdiction") == true)
    }

    @Test(arguments: ["US", "PR", "GU", "VI"])
    func test_baselineUSCitizenOrTerritoryPerson_failsWithUseUSJurisdiction(code: String) {
        var data = F.baseline()
        data.countryCode = code
        #expect(F.evaluate(data).status == .fail)
        #expect(F.evaluate(data).result("us_person_requires_us_jurisdiction")?.field == "country_code")
    }

    // MARK: sanctioned_jurisdiction / sanctioned_nationality / sanctioned_region

    @Test(arguments: ["IR", "CU", "KP"])
    func test_residentOfIran_fails(code: String) {
        var data = F.baseline()
        data.addressCountryCode = code
        data.addressPostalCode = nil
        let result = F.evaluate(data).result("sanctioned_jurisdiction")
        #expect(F.evaluate(data).status == .fail)
        #expect(result?.outcome == .fail)
        #expect(result?.field == "address_country_code")
        #expect(result?.reason.contains("31 CFR") == true)
    }

    @Test func test_residentOfSyria_failedBeforeJuly2025_notAfterProgramEnded() {
        var data = F.baseline()
        data.addressCountryCode = "SY"
        data.addressPostalCode = nil
        let before = F.evaluate(data, now: F.instant("2025-06-30T12:00:00Z"))
        let after = F.evaluate(data, now: F.instant("2025-07-01T12:00:00Z"))
        #expect(before.result("sanctioned_jurisdiction")?.outcome == .fail)
        #expect(after.result("sanctioned_jurisdiction")?.outcome == .pass)
    }

    @Test func test_residentOfRussia_isNotUnderAComprehensiveEmbargo() {
        var data = F.baseline()
        data.addressCountryCode = "RU"
        data.countryCode = "RU"
        data.addressPostalCode = "101000"
        data.addressCity = "Moscow"
        #expect(F.evaluate(data).status == .pass)
    }

    @Test func test_iranianCitizenLivingInGermany_needsReview() {
        var data = F.baseline()
        data.countryCode = "IR"
        let decision = F.evaluate(data)
        #expect(decision.status == .needsReview)
        #expect(decision.result("sanctioned_nationality")?.field == "country_code")
        #expect(decision.result("sanctioned_jurisdiction")?.outcome == .pass)
    }

    @Test func test_crimeaSubdivision_fails_donetskCity_needsReview() {
        var crimea = F.baseline()
        crimea.addressCountryCode = "UA"
        crimea.countryCode = "UA"
        crimea.addressPostalCode = "95000"
        crimea.addressSubdivision = "UA-43"
        #expect(F.evaluate(crimea).result("sanctioned_region")?.outcome == .fail)
        crimea.addressSubdivision = "Avtonomna Respublika Krym"
        #expect(F.evaluate(crimea).result("sanctioned_region")?.outcome == .fail)

        var donetsk = crimea
        donetsk.addressSubdivision = "Donetska oblast"
        donetsk.addressCity = "Donetsk"
        let result = F.evaluate(donetsk).result("sanctioned_region")
        #expect(result?.outcome == .needsReview)
        #expect(result?.reason.contains("E.O. 14065") == true)
        #expect(result?.field == "address_city")

        var kyiv = crimea
        kyiv.addressSubdivision = "Kyiv"
        kyiv.addressCity = "Kyiv"
        kyiv.addressStreet1 = "Krymska St 4"  // a street named after Crimea, in Kyiv
        #expect(F.evaluate(kyiv).result("sanctioned_region")?.outcome == .pass)
    }

    // MARK: name_screening

    @Test func test_nameOnList_needsReview_withTheMatchedListEntryInTheReason() {
        var data = F.baseline()
        data.firstName = "Vladimir"
        data.middleName = nil
        data.lastName = "Poutine"
        let decision = F.evaluate(data)
        #expect(decision.status == .needsReview)
        let result = decision.result("name_screening")
        #expect(result?.outcome == .needsReview)
        #expect(result?.field == "last_name")
        #expect(result?.reason.contains("PUTIN, Vladimir") == true)
        #expect(result?.reason.contains("RUSSIA-EO14024") == true)
    }

    @Test func test_usIdentityName_isScreenedToo() {
        var data = F.us()
        data.identity.givenName = "Ramzan"
        data.identity.middleName = nil
        data.identity.familyName = "Kadyrow"
        let result = F.evaluate(data).result("name_screening")
        #expect(result?.outcome == .needsReview)
        #expect(result?.field == "identity.family_name")
    }

    // MARK: declared risk (US)

    @Test(arguments: [
        ("politically_exposed_person", USKYCCheckData.RiskDisclosure(isPoliticallyExposed: true)),
        ("control_person", USKYCCheckData.RiskDisclosure(isControlPerson: true)),
        ("exchange_or_finra_affiliation", USKYCCheckData.RiskDisclosure(isAffiliatedExchangeOrFINRA: true)),
        ("immediate_family_exposed", USKYCCheckData.RiskDisclosure(immediateFamilyExposed: true)),
    ])
    func test_pepFlag_needsReview(rule: String, declared: USKYCCheckData.RiskDisclosure) {
        var data = F.us()
        data.riskDisclosure = declared
        let decision = F.evaluate(data)
        #expect(decision.status == .needsReview)
        #expect(decision.findings.map(\.rule) == [rule])
        #expect(decision.operatorMayApprove)
    }

    @Test func test_declaredAMLMatch_needsReview_namingTheHits() {
        var data = F.us()
        data.amlCheck.isSanctionsMatch = true
        data.amlCheck.records = ["possible SDN hit: DOE, Jane (SDGT)"]
        let result = F.evaluate(data).result("declared_aml_match")
        #expect(result?.outcome == .needsReview)
        #expect(result?.reason.contains("sanctions") == true)
    }

    // MARK: us_agreements / us_required_documents / us_data_citations / us_immigration_status

    @Test func test_usJurisdiction_withoutAgreements_isIncomplete_withDocuments_passes() {
        var unsigned = F.us()
        unsigned.alpacaCustomerAgreement.signedAt = "2026-12-01T00:00:00Z"  // not yet signed
        let noAgreement = F.evaluate(unsigned, documents: [.governmentID])
        #expect(noAgreement.status == .incomplete)
        #expect(noAgreement.result("us_agreements")?.field == "alpaca_customer_agreement.signed_at")
        #expect(noAgreement.result("us_agreements")?.reason.contains("customer agreement") == true)

        let signed = F.us()
        let noDocuments = F.evaluate(signed, documents: [.selfie])
        #expect(noDocuments.status == .incomplete)
        #expect(noDocuments.result("us_required_documents")?.reason.contains("GOVERNMENT_ID") == true)

        #expect(F.evaluate(signed, documents: [.selfie, .governmentID]).status == .pass)
    }

    @Test func test_agreementSignedWithinClockSkew_counts() {
        var data = F.us()
        data.nonProfessionalTraderAttestation.attestationDate = "2026-11-28T15:04:00Z"  // 4 min ahead of now
        #expect(F.evaluate(data).result("us_agreements")?.outcome == .pass)
        data.nonProfessionalTraderAttestation.attestationDate = "2026-11-28T15:06:00Z"
        #expect(F.evaluate(data).result("us_agreements")?.outcome == .incomplete)
    }

    @Test func test_usDataCitationsMissing_isIncomplete() {
        var data = F.us()
        data.dataCitation.taxIDSources = []
        let result = F.evaluate(data).result("us_data_citations")
        #expect(result?.outcome == .incomplete)
        #expect(result?.field == "data_citation.tax_id_sources")
    }

    @Test func test_expiredVisa_needsReview_currentVisa_passes() {
        var data = F.us()
        data.identity.countryOfCitizenship = "IN"
        data.usImmigrationInfo = .init(
            countryOfBirth: "IN", isPermanentResident: false, visaExpirationDate: "2026-11-27", visaType: "H1B")
        #expect(F.evaluate(data).result("us_immigration_status")?.outcome == .needsReview)
        data.usImmigrationInfo?.visaExpirationDate = "2027-11-27"
        #expect(F.evaluate(data).status == .pass)
    }

    @Test func test_usCitizenOfIran_needsReview() {
        var data = F.us()
        data.identity.countryOfCitizenship = "IR"
        data.usImmigrationInfo = .init(countryOfBirth: "IR", isPermanentResident: true)
        #expect(F.evaluate(data).result("sanctioned_nationality")?.outcome == .needsReview)
    }

    // MARK: Decision

    @Test func test_status_isTheWorstOutcome_failOverReviewOverIncompleteOverPass() {
        func decision(_ outcomes: [KYCRuleOutcome]) -> KYCStatus {
            KYCDecision(results: outcomes.map { KYCRuleResult(rule: "r", outcome: $0, field: nil, reason: "") }).status
        }
        #expect(decision([.pass, .incomplete, .needsReview, .fail]) == .fail)
        #expect(decision([.incomplete, .needsReview, .pass]) == .needsReview)
        #expect(decision([.pass, .incomplete]) == .incomplete)
        #expect(decision([.pass, .pass]) == .pass)
    }

    @Test func test_operatorMayApprove_onlyAReviewWithNothingIncompleteOrFailed() {
        var data = F.us()
        data.riskDisclosure.isPoliticallyExposed = true
        #expect(F.evaluate(data, documents: [.governmentID]).operatorMayApprove)
        let stillMissingID = F.evaluate(data, documents: [])
        #expect(stillMissingID.status == .needsReview)
        #expect(!stillMissingID.operatorMayApprove)
        #expect(!F.evaluate(F.us()).operatorMayApprove, "a PASS needs no approval")
    }

    @Test func test_decision_encodesWithWireSpellings() throws {
        var data = F.baseline()
        data.countryCode = "CU"
        let json = String(decoding: try JSONEncoder().encode(F.evaluate(data)), as: UTF8.self)
        #expect(json.contains(#""status":"NEEDS_REVIEW""#))
        #expect(json.contains(#""rule":"sanctioned_nationality""#))
        #expect(json.contains(#""outcome":"NEEDS_REVIEW""#))
        #expect(KYCStatus.allCases.map(\.rawValue).sorted() == ["FAIL", "INCOMPLETE", "NEEDS_REVIEW", "PASS", "PENDING"])
        #expect(KYCDocumentType.allCases.map(\.rawValue) == ["GOVERNMENT_ID", "SELFIE", "RESIDENCY", "UNKNOWN"])
    }
}
