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

    /// Keys replay for 24 hours (the default retention), then are new again even before the
    /// scheduler's purge has removed their records: another body is then no 422 either.
    @Test func test_keyReplaysBeforeExpiry_andIsNewAfterIt() async throws {
        let gateway = try await TestGateway()
        let replayed = HTTPField.Name("Idempotent-Replayed")!
        try await gateway.test { client in
            func post(_ name: String) async throws -> TestResponse {
                try await client.call(.post, "/api/v2/entities", json: #"{"name": "\#(name)"}"#, headers: ["Idempotency-Key": "k-expiry"])
            }
            let first = try await post("Early Bird")
            #expect(first.status == .created)
            gateway.clock.advance(by: 24 * 3600 - 1)
            let retry = try await post("Early Bird")
            #expect(retry.headers[replayed] == "true")
            #expect(retry.text == first.text)
            #expect(try await post("Other Body").status == .unprocessableContent)
            gateway.clock.advance(by: 1)
            let fresh = try await post("Other Body")
            #expect(fresh.status == .created)
            #expect(fresh.headers[replayed] == nil)
            #expect(try fresh.json()["id"] as? String != first.json()["id"] as? String)
            let again = try await post("Other Body")
            #expect(again.headers[replayed] == "true", "the new outcome now replays under the key")
            #expect(again.text == fresh.text)
        }
    }

    @Test func test_retentionService_purgesOnlyExpiredKeys() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            for index in 0..<3 {
                try await client.call(
                    .post, "/api/v2/entities", json: #"{"name": "Purge \#(index)"}"#, headers: ["Idempotency-Key": "p-\(index)"])
            }
        }
        let environment = gateway.environment
        let service = RetentionService(
            store: environment.store, sweeper: RetentionSweeper(policy: environment.retention), clock: gateway.clock,
            role: environment.schedulerRole, logger: environment.logger)
        #expect(await service.runDue(now: gateway.clock.now().addingTimeInterval(3600)).total == 0, "nothing expired yet")
        let summary = await service.runDue(now: gateway.clock.now().addingTimeInterval(24 * 3600 + 1))
        #expect(summary.removed[.idempotencyRecords] == 3)
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
