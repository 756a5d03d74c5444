import BrokerGateCore
import BrokerGateStores
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// DESIGN.md rule 4, through the real server.
struct IdempotencyAPITests {
    @Test func test_sameKeySameBody_replaysTheFirstResponse_andChangesNothingMore() async throws {
        let store = MemoryStore()
        try await TestGateway(store: store).test { client in
            let body = #"{"name": "Replay Co"}"#
            let first = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: body, headers: ["Idempotency-Key": "k-1"])
            let second = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: body, headers: ["Idempotency-Key": "k-1"])
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(first.text == second.text)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        }
        let partners = try await store.transaction { tx in try await tx.organizations(role: .partner) }
        #expect(partners.filter { $0.name == "Replay Co" }.count == 1)
    }

    @Test func test_sameKeyOtherBody_is422() async throws {
        try await TestGateway().test { client in
            try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "A"}"#, headers: ["Idempotency-Key": "k-2"])
            let conflict = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "B"}"#, headers: ["Idempotency-Key": "k-2"])
            #expect(conflict.status == .unprocessableContent)
            #expect(try conflict.error().code == "idempotency_key_reused")
        }
    }

    @Test func test_withoutKey_eachPostCreatesAnother() async throws {
        try await TestGateway().test { client in
            let first = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "A"}"#)
            let second = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "A"}"#)
            #expect(try first.json()["api_key"] as? [String: String] != second.json()["api_key"] as? [String: String])
        }
    }

    @Test func test_invalidKey_is400() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "A"}"#, headers: ["Idempotency-Key": "has space"])
            #expect(response.status == .badRequest)
            #expect(try response.error().code == "invalid_idempotency_key")
        }
    }

    @Test func test_createdPartnerKey_works_andSeesItsOwnOrganization() async throws {
        try await TestGateway().test { client in
            let created = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Fresh Partner"}"#)
            let key = try #require(try created.json()["api_key"] as? [String: String])
            let me = try await client.call(.get, "/api/v2/entities/me", key: .custom(id: key["id"]!, secret: key["secret"]!))
            #expect(me.status == .ok)
            #expect(try me.json()["name"] as? String == "Fresh Partner")
        }
    }
}
