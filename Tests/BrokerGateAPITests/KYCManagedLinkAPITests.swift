import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Managed-check links and the hosted form's routes: single use, expiry, same rules.
struct KYCManagedLinkAPITests {
    /// Issues a link for a new entity; returns (entity id, token, embed_url).
    static func issueLink(_ client: some TestClientProtocol) async throws -> (String, String, String) {
        let entityID = try await client.createEntity()
        let issued = try await client.call(.post, "/api/v2/entities/\(entityID)/kyc/url")
        #expect(issued.status == .created)
        let body = try issued.json()
        let embedURL = try #require(body["embed_url"] as? String)
        let token = try #require(embedURL.components(separatedBy: "#token=").last)
        #expect(body["expiration_dt"] as? String == "2026-11-29T15:00:00Z")
        return (entityID, token, embedURL)
    }

    static func form(_ data: [String: Any]) throws -> String {
        try KYCTestSupport.json(["data": data])
    }

    @Test func test_link_opensTheHostedForm_andIsSingleUse() async throws {
        try await TestGateway().test { client in
            let (entityID, token, embedURL) = try await Self.issueLink(client)
            #expect(embedURL.contains("/kyc.html#token="))
            let session = try await client.session(.get, token: token)
            #expect(session.status == .ok)
            let info = try session.json()
            #expect(info["jurisdiction"] as? String == "BASELINE")
            #expect((info["countries"] as? [[String: Any]])?.contains { $0["code"] as? String == "DE" } == true)

            // Refused data does not spend the link: the customer fixes it and sends again.
            let refused = try await client.session(.post, token: token, json: try Self.form(KYCTestSupport.baseline(["email": "nope"])))
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().message.contains("data.email: invalid_email"))
            let accepted = try await client.session(.post, token: token, json: try Self.form(KYCTestSupport.baseline()))
            #expect(accepted.status == .created)
            #expect(try accepted.json()["status"] as? String == "PASS")

            let again = try await client.session(.post, token: token, json: try Self.form(KYCTestSupport.baseline()))
            #expect(again.status == .unprocessableContent)
            #expect(try again.error().code == "kyc_link_used")
            #expect(try await client.session(.get, token: token).status == .unprocessableContent)
            let current = try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").json()
            #expect(current["id"] as? String == (try accepted.json()["kyc_id"] as? String))
        }
    }

    @Test func test_link_expiresAfter24Hours() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, token, _) = try await Self.issueLink(client)
            gateway.clock.advance(by: ManagedKYCLinks.lifetimeSeconds - 1)
            #expect(try await client.session(.get, token: token).status == .ok)
            gateway.clock.advance(by: 1)
            let expired = try await client.session(.post, token: token, json: try Self.form(KYCTestSupport.baseline()))
            #expect(expired.status == .unprocessableContent)
            #expect(try expired.error().code == "kyc_link_expired")
        }
    }

    @Test func test_unknownOrMissingToken_isRefused() async throws {
        try await TestGateway().test { client in
            #expect(try await client.session(.get, token: "not-a-real-token").status == .notFound)
            let missing = try await client.call(.get, "/api/v2/kyc_session", key: .none)
            #expect(missing.status == .unauthorized)
            #expect(try missing.error().code == "kyc_link_token_required")
        }
    }

    @Test func test_usLinks_areRefused_withTheAPIAlternative() async throws {
        try await TestGateway().test { client in
            let entityID = try await client.createEntity()
            let refused = try await client.call(.post, "/api/v2/entities/\(entityID)/kyc/url", json: #"{"jurisdiction": "US"}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().code == "managed_kyc_unsupported_jurisdiction")
        }
    }

    @Test func test_hostedFormPage_isServed() async throws {
        try await TestGateway().test { client in
            let page = try await client.call(.get, "/kyc.html", key: .none)
            #expect(page.status == .ok)
            #expect(page.text.contains("kyc.js"))
        }
    }
}
