import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// The audit trail: every state-changing request that matched a route is recorded after its
/// status is known, successes and failures alike, without bodies or secrets; operators read
/// it page by page, by organization or object.
struct AuditLogAPITests {
    static let path = "/api/v2/operator/audit_log"

    static func records(_ client: some TestClientProtocol, query: String = "") async throws -> [[String: Any]] {
        let page = try await client.call(.get, "\(path)?limit=100\(query)", key: .operator)
        #expect(page.status == .ok, "\(page.text)")
        return try #require(try page.json()["data"] as? [[String: Any]])
    }

    @Test func test_writes_andTheirFailures_areRecorded_readsAreNot_andNoSecretIsStored() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let organizationID = try #require(try await client.call(.get, "/api/v2/entities/me").json()["id"] as? String)
            let created = try await client.call(
                .post, "/api/v2/entities", json: #"{"name": "Anna Müller"}"#,
                headers: ["Idempotency-Key": "audit-key-123", "X-Request-Id": "audit-req-1"])
            let entityID = try #require(try created.json()["id"] as? String)
            _ = try await client.call(.get, "/api/v2/entities/\(entityID)")
            let patched = try await client.call(.patch, "/api/v2/entities/\(entityID)", json: #"{"reference_id": "r-1"}"#)
            #expect(patched.status == .ok)
            let refused = try await client.call(.post, "/api/v2/entities", json: #"{"name": "\u202Eevil"}"#)
            #expect(refused.status == .badRequest)
            let missing = UUID().uuidString.lowercased()
            _ = try await client.call(.post, "/api/v2/accounts/\(missing)/deactivate")
            let guessed = try await client.call(
                .post, "/api/v2/entities", key: .custom(id: "partner-test", secret: "guess-guess-guess-1"), json: "{}")
            #expect(guessed.status == .unauthorized)
            let organization = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Audit Org"}"#)
            let newSecret = try #require(try organization.json()["api_key"] as? [String: Any])["secret"] as? String

            let records = try await Self.records(client)
            let summary = records.map { "\($0["method"]!) \($0["route"]!) \($0["status"]!)" }
            #expect(
                summary == [
                    "POST /api/v2/entities 201", "PATCH /api/v2/entities/{entity_id} 200", "POST /api/v2/entities 400",
                    "POST /api/v2/accounts/{account_id}/deactivate 404", "POST /api/v2/entities 401",
                    "POST /api/v2/operator/organizations 201",
                ])
            #expect(records[0]["organization_id"] as? String == organizationID)
            #expect(records[0]["api_key_id"] as? String == TestGateway.partnerKey.id)
            #expect(records[0]["object_id"] as? String == entityID)
            #expect(records[0]["request_id"] as? String == "audit-req-1")
            #expect(records[0]["error_code"] == nil)
            #expect(records[1]["object_id"] as? String == entityID)
            #expect(records[2]["error_code"] as? String == "invalid_field")
            #expect(records[3]["object_id"] as? String == missing)
            #expect(records[4]["organization_id"] as? String == AuditRecord.anonymousOrganizationID.rawValue)
            #expect(records[4]["api_key_id"] as? String == "partner-test")
            #expect(records[4]["error_code"] as? String == "unauthenticated")
            let text = try await client.call(.get, "\(Self.path)?limit=100", key: .operator).text
            for secret in [TestGateway.partnerKey.secret, "guess-guess-guess-1", "audit-key-123", "Anna Müller", try #require(newSecret)] {
                #expect(!text.contains(secret), "the audit log holds a secret or a body value")
            }
        }
    }

    @Test func test_auditLog_isOperatorOnly_filtersByOrganizationAndObject_andPages() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let organizationID = try #require(try await client.call(.get, "/api/v2/entities/me").json()["id"] as? String)
            let entityID = try await client.createEntity()
            for index in 0..<3 {
                _ = try await client.call(.patch, "/api/v2/entities/\(entityID)", json: #"{"reference_id": "r-\#(index)"}"#)
            }
            _ = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Other"}"#)

            #expect(try await client.call(.get, Self.path).status == .forbidden)
            #expect(try await client.call(.get, Self.path, key: .none).status == .unauthorized)
            #expect(try await Self.records(client, query: "&organization_id=\(organizationID)").count == 4)
            #expect(try await Self.records(client, query: "&object_id=\(entityID)").count == 4)
            #expect(try await client.call(.get, "\(Self.path)?organization_id=nope", key: .operator).status == .badRequest)

            let first = try await client.call(.get, "\(Self.path)?limit=2", key: .operator).json()
            #expect((first["data"] as? [Any])?.count == 2)
            let next = try #require((first["pagination_metadata"] as? [String: Any])?["next"] as? String)
            let second = try await client.call(.get, "\(Self.path)?limit=2&next=\(next)", key: .operator).json()
            #expect((second["data"] as? [Any])?.count == 2)
            let newest = try await client.call(.get, "\(Self.path)?limit=1&order=desc", key: .operator).json()
            #expect(((newest["data"] as? [[String: Any]])?.first?["route"] as? String) == "/api/v2/operator/organizations")
        }
    }

    /// Rate-limited requests changed nothing and are not written: a flood cannot turn into
    /// audit writes.
    @Test func test_rateLimitedWrites_areNotRecorded() async throws {
        let frozen = ContinuousClock.now
        let gateway = try await TestGateway(rateLimit: .init(requestsPerSecond: 1, burst: 2, authFailuresMax: 10_000, now: { frozen }))
        try await gateway.test { client in
            let statuses = try await (0..<4).asyncMap { _ in
                try await client.call(.post, "/api/v2/entities", json: #"{"name": "Anna"}"#).status.code
            }
            #expect(statuses == [201, 201, 429, 429])
            #expect(try await Self.records(client).map { $0["status"] as? Int } == [201, 201])
        }
    }

    /// The business change committed before the audit write: the client still gets its 201
    /// (a 500 would invite a duplicate retry), and the failure is counted for alerting.
    @Test func test_auditWriteFailure_keepsTheSuccess_andIsCounted() async throws {
        let gateway = try await TestGateway(auditStore: FailingStore(failing: StoreError("audit store unavailable (test)")))
        try await gateway.test { client in
            let created = try await client.call(.post, "/api/v2/entities", json: #"{"name": "Anna Müller"}"#)
            #expect(created.status == .created)
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            #expect(metrics.contains("audit_log_write_failures_total 1"), "\(metrics.prefix(2000))")
        }
    }
}

extension Range where Bound == Int {
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await transform(value)) }
        return results
    }
}

/// The failed-authentication throttle's rules, on its own clock.
struct AuthFailureThrottleTests {
    final class ManualClock: @unchecked Sendable {
        // Set only by the test's one task between calls.
        var now = ContinuousClock.now
    }

    static func throttle(_ clock: ManualClock, failures: Int = 3, window: Int = 60) -> AuthFailureThrottle {
        AuthFailureThrottle(
            RateLimitConfiguration(
                requestsPerSecond: 1, burst: 1, authFailuresMax: failures, authFailureWindowSeconds: window, now: { clock.now }))
    }

    @Test func test_afterNFailures_theAddressIsThrottled_untilATokenRefills() throws {
        let clock = ManualClock()
        let throttle = Self.throttle(clock)
        for _ in 0..<3 {
            try throttle.check(address: "198.51.100.7", keyID: nil)
            throttle.recordFailure(address: "198.51.100.7", keyID: nil)
        }
        #expect(throws: DomainError.self) { try throttle.check(address: "198.51.100.7", keyID: nil) }
        try throttle.check(address: "198.51.100.8", keyID: nil)
        clock.now += .seconds(20)
        try throttle.check(address: "198.51.100.7", keyID: nil)
    }

    @Test func test_aGuessedKeyID_isThrottledEverywhere_butNotForAnAddressThatKnowsItsSecret() throws {
        let clock = ManualClock()
        let throttle = Self.throttle(clock)
        throttle.recordSuccess(address: "203.0.113.1", keyID: "partner-key")
        for index in 0..<3 { throttle.recordFailure(address: "198.51.100.\(index)", keyID: "partner-key") }
        do {
            try throttle.check(address: "192.0.2.9", keyID: "partner-key")
            Issue.record("a fresh address guessing a throttled key id was let through")
        } catch {
            #expect(error.code == "too_many_failed_authentications")
            #expect((error.retryAfterSeconds ?? 0) >= 1)
        }
        try throttle.check(address: "203.0.113.1", keyID: "partner-key")
        try throttle.check(address: "192.0.2.9", keyID: "other-key")
    }
}

/// Through the live server: after N failed authentications from an address, every request
/// from it gets 429 with Retry-After before any secret is checked, the right one included.
struct FailedAuthLockAPITests {
    @Test func test_afterNFailedAuthentications_theAddressGets429_evenWithTheRightKey() async throws {
        let frozen = ContinuousClock.now
        let gateway = try await TestGateway(
            rateLimit: .init(requestsPerSecond: 1_000, burst: 1_000, authFailuresMax: 3, authFailureWindowSeconds: 600, now: { frozen }))
        try await gateway.test { client in
            let wrong = Key.custom(id: TestGateway.partnerKey.id, secret: "guess-guess-guess-0")
            for _ in 0..<3 { #expect(try await client.call(.get, "/api/v2/entities/me", key: wrong).status == .unauthorized) }
            let locked = try await client.call(.get, "/api/v2/entities/me", key: .partner)
            #expect(locked.status == .tooManyRequests)
            #expect(try locked.error().code == "too_many_failed_authentications")
            #expect(Int(locked.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await client.call(.get, "/health", key: .none).status == .ok)
        }
    }
}
