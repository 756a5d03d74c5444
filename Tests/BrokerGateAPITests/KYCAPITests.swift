import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// KYC through the live server: decisions, operator review, validation, isolation.
struct KYCAPITests {
    @Test func test_baselineSubmission_passes_andCompletesTheEntity() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let submitted = try await client.submitKYC(entityID, data: KYCTestSupport.baseline())
            #expect(submitted.status == .created)
            let check = try submitted.json()
            #expect(check["status"] as? String == "PASS")
            #expect(check["jurisdiction"] as? String == "BASELINE")
            #expect((check["data"] as? [String: Any])?["last_name"] as? String == "Müller")
            let current = try await client.call(.get, "/api/v2/entities/\(entityID)/kyc")
            #expect(try current.json()["id"] as? String == check["id"] as? String)
            let entity = try await client.call(.get, "/api/v2/entities/\(entityID)").json()
            #expect(entity["is_kyc_complete"] as? Bool == true)
            #expect(entity["nationality"] as? String == "DE")
        }
    }

    @Test func test_iranResident_fails_onSanctionedJurisdiction() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let data = KYCTestSupport.baseline([
                "address_country_code": "IR", "address_city": "Tehran", "address_postal_code": NSNull(),
                "address_street_1": NSNull(),
            ])
            let submitted = try await client.submitKYC(entityID, data: data)
            #expect(try submitted.json()["status"] as? String == "FAIL")
            #expect(try submitted.findingRules().contains("sanctioned_jurisdiction"))
            let entity = try await client.call(.get, "/api/v2/entities/\(entityID)").json()
            #expect(entity["is_kyc_complete"] as? Bool == false)
        }
    }

    @Test func test_screenedName_needsReview_thenOperatorApproval_passes_andIsRecorded() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity("Vladimir Putin")
            let data = KYCTestSupport.baseline(["first_name": "Vladimir", "last_name": "Putin"])
            let submitted = try await client.submitKYC(entityID, data: data).json()
            #expect(submitted["status"] as? String == "NEEDS_REVIEW")
            let kycID = try #require(submitted["id"] as? String)

            let queue = try await client.call(.get, "/api/v2/operator/kyc_reviews", key: .operator).json()
            let items = try #require(queue["data"] as? [[String: Any]])
            let item = try #require(items.first { $0["kyc_id"] as? String == kycID })
            let findings = try #require(item["findings"] as? [[String: Any]])
            #expect(findings.contains { $0["rule"] as? String == "name_screening" && ($0["reason"] as? String)?.isEmpty == false })
            #expect(item["operator_may_approve"] as? Bool == true)

            let approved = try await client.call(
                .post, "/api/v2/operator/kyc_reviews/\(kycID)/approve", key: .operator,
                json: #"{"note": "Different person: born 1990 in Berlin, listed person born 1952."}"#)
            #expect(approved.status == .ok)
            let review = try #require(try approved.json()["review"] as? [String: Any])
            #expect(review["outcome"] as? String == "APPROVED")
            #expect(review["reviewer_key_id"] as? String == TestGateway.operatorKey.id)
            #expect((review["note"] as? String)?.hasPrefix("Different person") == true)
            #expect(review["decided_dt"] as? String == "2026-11-28T15:00:00Z")

            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").json()["status"] as? String == "PASS")
            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)").json()["is_kyc_complete"] as? Bool == true)
            let after = try await client.call(.get, "/api/v2/operator/kyc_reviews", key: .operator).json()
            #expect((after["data"] as? [[String: Any]])?.contains { $0["kyc_id"] as? String == kycID } == false)
        }
    }

    @Test func test_secondDecision_isRefused_andTheFirstStands() async throws {
        try await TestGateway().test { client in
            let kycID = try await Self.checkInReview(client)
            let rejected = try await client.call(
                .post, "/api/v2/operator/kyc_reviews/\(kycID)/reject", key: .operator, json: #"{"note": "Confirmed match."}"#)
            #expect(try rejected.json()["status"] as? String == "FAIL")
            for action in ["approve", "reject"] {
                let again = try await client.call(
                    .post, "/api/v2/operator/kyc_reviews/\(kycID)/\(action)", key: .operator, json: #"{"note": "Changed my mind."}"#)
                #expect(again.status == .unprocessableContent)
                #expect(try again.error().code == "kyc_already_decided")
            }
            let record = try await client.call(.get, "/api/v2/operator/kyc_reviews/\(kycID)", key: .operator).json()
            let review = try #require(record["review"] as? [String: Any])
            #expect(review["outcome"] as? String == "REJECTED")
            #expect(review["note"] as? String == "Confirmed match.")
        }
    }

    @Test func test_approval_isRefused_whileDataIsMissingUnderTheReview() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let data = KYCTestSupport.baseline(["first_name": "Vladimir", "last_name": "Putin", "birth_date": NSNull()])
            let submitted = try await client.submitKYC(entityID, data: data).json()
            #expect(submitted["status"] as? String == "NEEDS_REVIEW")
            let kycID = try #require(submitted["id"] as? String)
            let approved = try await client.call(
                .post, "/api/v2/operator/kyc_reviews/\(kycID)/approve", key: .operator, json: #"{"note": "Looks fine."}"#)
            #expect(approved.status == .unprocessableContent)
            let error = try approved.error()
            #expect(error.code == "kyc_not_approvable")
            #expect(error.message.contains("minimum_age"))
        }
    }

    @Test func test_decision_needsANote_andAnOperatorKey() async throws {
        try await TestGateway().test { client in
            let kycID = try await Self.checkInReview(client)
            let blank = try await client.call(
                .post, "/api/v2/operator/kyc_reviews/\(kycID)/approve", key: .operator, json: #"{"note": "  "}"#)
            #expect(blank.status == .badRequest)
            #expect(try blank.error().message.hasPrefix("note:"))
            let missing = try await client.call(.post, "/api/v2/operator/kyc_reviews/\(kycID)/approve", key: .operator, json: "{}")
            #expect(missing.status == .badRequest)
            let partner = try await client.call(.post, "/api/v2/operator/kyc_reviews/\(kycID)/approve", json: #"{"note": "x"}"#)
            #expect(partner.status == .forbidden)
            #expect(try await client.call(.get, "/api/v2/operator/kyc_reviews").status == .forbidden)
            let passed = try await client.call(.get, "/api/v2/operator/kyc_reviews/\(kycID)", key: .operator).json()
            #expect(passed["status"] as? String == "NEEDS_REVIEW")
            #expect(passed["review"] == nil)
        }
    }

    @Test func test_invalidData_is422NamingEachFieldAndRule_andNothingIsStored() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let data = KYCTestSupport.baseline(["email": "not-an-email", "birth_date": "1990-13-01", "country_code": "XX"])
            let refused = try await client.submitKYC(entityID, data: data)
            #expect(refused.status == .unprocessableContent)
            let error = try refused.error()
            #expect(error.code == "invalid_kyc_data")
            for expected in ["data.email: invalid_email", "data.birth_date: invalid_date", "data.country_code: invalid_country_code"] {
                #expect(error.message.contains(expected), "\(expected) in \(error.message)")
            }
            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").status == .notFound)
            let queue = try await client.call(.get, "/api/v2/operator/kyc_reviews", key: .operator).json()
            #expect((queue["data"] as? [Any])?.isEmpty == true)
            let entity = try await client.call(.get, "/api/v2/entities/\(entityID)").json()
            #expect(entity["nationality"] == nil || entity["nationality"] is NSNull)
        }
    }

    @Test func test_malformedSubmissions_are400NamingTheField() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let cases: [(String, String)] = [
                (#"{"provider_name": "x"}"#, "data"),
                (#"{"data": {"address_country_code": "DE", "country_code": "DE", "last_name": "M"}}"#, "provider_name"),
                (#"{"provider_name": "x", "jurisdiction": "EU", "data": {}}"#, "jurisdiction"),
                (#"{"provider_name": "x", "data": {"country_code": "DE", "last_name": "M"}}"#, "data.address_country_code"),
            ]
            for (body, field) in cases {
                let response = try await client.call(.post, "/api/v2/entities/\(entityID)/kyc", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try response.error().message.hasPrefix(field), "\(body)")
            }
        }
    }

    @Test func test_everyKYCRoute_answers404_toAnotherOrganization() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let kycID = try #require(try await client.submitKYC(entityID, data: KYCTestSupport.baseline()).json()["id"] as? String)
            _ = try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: "id.png")
            let other = try await EntitiesAPITests.secondPartner(client)
            let responses = [
                try await client.submitKYC(entityID, data: KYCTestSupport.baseline(), key: other),
                try await client.call(.get, "/api/v2/entities/\(entityID)/kyc", key: other),
                try await client.call(.post, "/api/v2/entities/\(entityID)/kyc/url", key: other, json: "{}"),
                try await client.call(.get, "/api/v2/entities/\(entityID)/kyc/\(kycID)/document", key: other),
                try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: "x.png", key: other),
            ]
            for response in responses {
                #expect(response.status == .notFound)
                #expect(try response.error().code == "not_found")
            }
            // Their own entity with our check id is just as unknown.
            let theirs = try await client.createEntity(key: other)
            let crossed = try await client.call(.get, "/api/v2/entities/\(theirs)/kyc/\(kycID)/document", key: other)
            #expect(crossed.status == .notFound)
            let documents = try await client.call(.get, "/api/v2/entities/\(entityID)/kyc/\(kycID)/document")
            #expect((try JSONSerialization.jsonObject(with: Data(buffer: documents.body)) as? [Any])?.count == 1)
        }
    }

    @Test func test_resubmissionInReview_keepsAnEarlierPass_butANewerFailTakesOver() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let entityID = try await client.createEntity()
            let passed = try await client.submitKYC(entityID, data: KYCTestSupport.baseline()).json()
            gateway.clock.advance(by: 60)
            let data = KYCTestSupport.baseline(["first_name": "Vladimir", "last_name": "Putin"])
            let inReview = try #require(try await client.submitKYC(entityID, data: data).json()["id"] as? String)
            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").json()["id"] as? String == passed["id"] as? String)
            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)").json()["is_kyc_complete"] as? Bool == true)

            let rejected = try await client.call(
                .post, "/api/v2/operator/kyc_reviews/\(inReview)/reject", key: .operator, json: #"{"note": "Confirmed match."}"#)
            #expect(rejected.status == .ok)
            let current = try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").json()
            #expect(current["id"] as? String == inReview)
            #expect(current["status"] as? String == "FAIL")
            #expect(try await client.call(.get, "/api/v2/entities/\(entityID)").json()["is_kyc_complete"] as? Bool == false)
        }
    }

    /// A NEEDS_REVIEW check (screened name, nothing else missing); returns its id.
    static func checkInReview(_ client: some TestClientProtocol) async throws -> String {
        let entityID = try await client.createEntity()
        let data = KYCTestSupport.baseline(["first_name": "Vladimir", "last_name": "Putin"])
        let submitted = try await client.submitKYC(entityID, data: data).json()
        #expect(submitted["status"] as? String == "NEEDS_REVIEW")
        return try #require(submitted["id"] as? String)
    }
}
