import BrokerGateCore
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Webhook endpoints through the live server (deliveries themselves: conformance's
/// test_webhooks.py, with a real receiver): the secret shown once, sealed at rest, the
/// changes a partner can make, and what is refused.
struct WebhooksAPITests {
    static let path = "/api/v2/webhook_endpoints"
    static let receiver = #"{"url": "http://127.0.0.1:9/hooks", "event_types": ["order.filled", "kyc.passed"], "description": "desk"}"#

    @Test func test_create_showsTheSecretOnce_sealsItAtRest_andReplaysWithTheSameAnswer() async throws {
        let gateway = try await TestGateway(walletKey: SymmetricKey(size: .bits256))
        try await gateway.testWithoutServices { client in
            let created = try await client.call(.post, Self.path, json: Self.receiver, headers: ["Idempotency-Key": "hook-1"])
            #expect(created.status == .created, "\(created.text)")
            let body = try created.json()
            let secret = try #require(body["secret"] as? String)
            #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 24)
            #expect(body["event_types"] as? [String] == ["order.filled", "kyc.passed"] && body["enabled"] as? Bool == true)
            #expect(body["disabled_reason"] is NSNull && body["description"] as? String == "desk")
            let id = try #require(body["id"] as? String)

            let replayed = try await client.call(.post, Self.path, json: Self.receiver, headers: ["Idempotency-Key": "hook-1"])
            #expect(replayed.status == .created)
            #expect(try replayed.json()["secret"] as? String == secret)
            let read = try await client.call(.get, "\(Self.path)/\(id)").json()
            #expect(read["secret"] == nil && read["id"] as? String == id)
            #expect(try await client.call(.get, Self.path).json()["data"].map { ($0 as? [Any])?.count } == 1)

            let stored = try #require(
                try await gateway.environment.store.read { tx in try await tx.document(WebhookEndpoint.self, id: id) })
            let key = try #require(Data(base64Encoded: String(secret.dropFirst(6))))
            #expect(stored.secrets.count == 1 && stored.secrets[0].isSealed && stored.secrets[0].stored != Array(key))
        }
    }

    @Test func test_patchRotateDelete_changeWhatTheySay() async throws {
        let gateway = try await TestGateway()
        try await gateway.testWithoutServices { client in
            let id = try #require(try await client.call(.post, Self.path, json: Self.receiver).json()["id"] as? String)
            let patched = try await client.call(
                .patch, "\(Self.path)/\(id)", json: #"{"event_types": ["*"], "description": null, "enabled": false}"#)
            #expect(patched.status == .ok, "\(patched.text)")
            let changed = try patched.json()
            #expect(
                changed["event_types"] as? [String] == ["*"] && changed["description"] is NSNull && changed["enabled"] as? Bool == false)
            #expect(changed["url"] as? String == "http://127.0.0.1:9/hooks")

            let first = try #require(
                try await gateway.environment.store.read { tx in try await tx.document(WebhookEndpoint.self, id: id) })
            let rotated = try await client.call(.post, "\(Self.path)/\(id)/rotate_secret")
            #expect(rotated.status == .ok)
            #expect(try (rotated.json()["secret"] as? String)?.hasPrefix("whsec_") == true)
            let after = try #require(try await gateway.environment.store.read { tx in try await tx.document(WebhookEndpoint.self, id: id) })
            // The old secret signs alongside the new one for 24 h, then retires.
            #expect(after.secrets.count == 2 && after.secrets[1].stored == first.secrets[0].stored)
            let retires = try #require(after.secrets[1].retiresAt)
            #expect(abs(retires.timeIntervalSince(after.updatedAt) - 24 * 3600) < 1)
            #expect(after.signingSecrets(at: retires.addingTimeInterval(-1)).count == 2)
            #expect(after.signingSecrets(at: retires).count == 1)

            #expect(try await client.call(.delete, "\(Self.path)/\(id)").status == .ok)
            for (method, suffix) in [(HTTPRequest.Method.get, ""), (.patch, ""), (.delete, ""), (.get, "/deliveries")] {
                let gone = try await client.call(method, "\(Self.path)/\(id)\(suffix)", json: method == .patch ? "{}" : nil)
                #expect(gone.status == .notFound, "\(method) \(suffix)")
            }
            #expect(try await client.call(.get, Self.path).json()["data"].map { ($0 as? [Any])?.count } == 0)
        }
    }

    @Test func test_badInput_isA4xxNamingTheField_andNothingIsCreated() async throws {
        let gateway = try await TestGateway()
        try await gateway.testWithoutServices { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"event_types": ["*"]}"#, .badRequest, "url"),
                (#"{"url": "http://127.0.0.1:9/"}"#, .badRequest, "event_types"),
                (#"{"url": "http://127.0.0.1:9/", "event_types": ["order.filed"]}"#, .badRequest, "order.filed"),
                (#"{"url": "http://127.0.0.1:9/", "event_types": []}"#, .badRequest, "event_types"),
                (#"{"url": "http://10.0.0.1/", "event_types": ["*"]}"#, .unprocessableContent, "10.0.0.1"),
                (#"{"url": "https://169.254.169.254/", "event_types": ["*"]}"#, .unprocessableContent, "link-local"),
                (#"{"url": "gopher://127.0.0.1/", "event_types": ["*"]}"#, .unprocessableContent, "http"),
                (#"{"url": "http://127.0.0.1:9/", "event_types": ["*"], "enabled": "yes"}"#, .badRequest, "enabled"),
            ]
            for (json, status, mentions) in cases {
                let refused = try await client.call(.post, Self.path, json: json)
                #expect(refused.status == status, "\(json): \(refused.text)")
                #expect(try refused.error().message.contains(mentions), "\(json): \(refused.text)")
            }
            #expect(try await client.call(.get, Self.path).json()["data"].map { ($0 as? [Any])?.count } == 0)
            // An operator's endpoints receive the operator kinds, apart from any partner's.
            let operatorHook = try await client.call(.post, Self.path, key: .operator, json: Self.receiver)
            #expect(operatorHook.status == .created)
            #expect(try await client.call(.get, Self.path).json()["data"].map { ($0 as? [Any])?.count } == 0)
        }
    }

    @Test func test_sixteenEndpoints_isTheLimit() async throws {
        let gateway = try await TestGateway()
        try await gateway.testWithoutServices { client in
            for _ in 0..<WebhookEndpointService.endpointsMax {
                #expect(try await client.call(.post, Self.path, json: Self.receiver).status == .created)
            }
            let refused = try await client.call(.post, Self.path, json: Self.receiver)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().code == "webhook_endpoints_limit")
        }
    }
}
