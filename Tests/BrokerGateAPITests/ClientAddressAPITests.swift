import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Through the live server (peer 127.0.0.1): forwarding headers name the client only when
/// the peer is a trusted proxy; that address is what the failed-authentication throttle and
/// the audit trail see.
struct ClientAddressAPITests {
    static func gateway(trusting proxies: String) async throws -> TestGateway {
        let frozen = ContinuousClock.now
        return try await TestGateway(
            rateLimit: .init(requestsPerSecond: 1_000, burst: 1_000, authFailuresMax: 3, authFailureWindowSeconds: 600, now: { frozen }),
            trustedProxies: try TrustedProxies(parsing: proxies))
    }

    /// Three failed authentications, each under another key id (so only the address throttle
    /// can trip) and each forwarded for `client`.
    static func failThrice(_ client: some TestClientProtocol, forwardedFor: (Int) -> String) async throws {
        for attempt in 0..<3 {
            let wrong = Key.custom(id: "guess-\(attempt)", secret: "guess-guess-guess-0")
            let refused = try await client.call(
                .post, "/api/v2/entities", key: wrong, json: "{}", headers: ["X-Forwarded-For": forwardedFor(attempt)])
            #expect(refused.status == .unauthorized)
        }
    }

    /// The addresses of the audit trail, read from the store: the peer may be locked out.
    static func auditedAddresses(_ gateway: TestGateway) async throws -> [String] {
        try await gateway.environment.store.read { tx in
            try await tx.page(AuditRecord.self, query: DocumentQuery(owner: nil, page: .init(limit: 100))).items.map(\.remoteAddress)
        }
    }

    @Test func test_forgedXForwardedFor_fromUntrustedPeer_changesNothing() async throws {
        let gateway = try await Self.gateway(trusting: "10.0.0.0/8")
        try await gateway.test { client in
            try await Self.failThrice(client) { "203.0.113.\($0)" }
            let fresh = try await client.call(.get, "/api/v2/entities/me", headers: ["X-Forwarded-For": "198.51.100.1"])
            #expect(fresh.status == .tooManyRequests, "a new forged address must not escape the peer's throttle")
            #expect(try await Self.auditedAddresses(gateway) == ["127.0.0.1", "127.0.0.1", "127.0.0.1"])
        }
    }

    @Test func test_xForwardedFor_fromTrustedPeer_namesTheClient() async throws {
        try await Self.gateway(trusting: "127.0.0.0/8, ::1").test { client in
            try await Self.failThrice(client) { _ in "6.6.6.6, 203.0.113.7" }
            let locked = try await client.call(.get, "/api/v2/entities/me", headers: ["X-Forwarded-For": "203.0.113.7"])
            #expect(locked.status == .tooManyRequests, "the client behind the proxy is throttled")
            let other = try await client.call(.get, "/api/v2/entities/me", headers: ["X-Forwarded-For": "198.51.100.1"])
            #expect(other.status == .ok, "another client behind the same proxy is not")
            let viaForwarded = try await client.call(
                .post, "/api/v2/entities", json: #"{"name": "Forwarded Client"}"#,
                headers: ["Forwarded": #"for="[2001:db8::5]:4711";proto=https"#])
            #expect(viaForwarded.status == .created)
            let records = try await AuditLogAPITests.records(client)
            #expect(
                records.map { $0["remote_address"] as? String } == ["203.0.113.7", "203.0.113.7", "203.0.113.7", "2001:db8::5"])
        }
    }
}
