import BrokerGateCore
import BrokerGateStores
import BrokerGateTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrokerGateAPI

/// The foundation's HTTP contract, driven through the real server.
struct FoundationAPITests {
    @Test func test_health_answersWithoutKeys() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/health", key: .none)
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
        }
    }

    @Test func test_ready_reportsTheStore() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/ready", key: .none)
            #expect(response.status == .ok)
            #expect(try response.json()["store"] as? String == "memory")
        }
    }

    @Test func test_requestWithoutKeys_is401JSONWithRequestID() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/entities/me", key: .none)
            #expect(response.status == .unauthorized)
            #expect(try response.error().code == "unauthenticated")
        }
    }

    @Test func test_wrongSecret_andUnknownKey_lookTheSame() async throws {
        try await TestGateway().test { client in
            let wrongSecret = try await client.call(
                .get, "/api/v2/entities/me", key: .custom(id: TestGateway.partnerKey.id, secret: "not-the-secret-000"))
            let unknownKey = try await client.call(.get, "/api/v2/entities/me", key: .custom(id: "nobody", secret: "not-the-secret-000"))
            #expect(wrongSecret.status == .unauthorized)
            #expect(unknownKey.status == .unauthorized)
            #expect(try wrongSecret.error().message == unknownKey.error().message)
        }
    }

    @Test func test_entitiesMe_returnsTheOrganizationAsAnEntity() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/entities/me")
            #expect(response.status == .ok)
            let entity = try response.json()
            #expect(entity["entity_type"] as? String == "ORGANIZATION")
            #expect(entity["is_kyc_complete"] as? Bool == true)
            #expect(EntityID(parsing: entity["id"] as? String ?? "") != nil)
        }
    }

    @Test func test_clientRequestID_isEchoed() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/health", key: .none, headers: ["X-Request-Id": "trace-abc-123"])
            #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "trace-abc-123")
        }
    }

    /// Generated ids are random version-4 UUIDs in lowercase, as `UUID().uuidString` gave
    /// before the hand-written formatter.
    @Test func test_generatedRequestIDs_areLowercaseVersion4UUIDs_andDistinct() {
        let ids = (0..<1_000).map { _ in RequestMiddleware.newRequestID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let uuid = UUID(uuidString: id)
            #expect(uuid?.uuidString.lowercased() == id, "\(id)")
            let bytes = Array(id.utf8)
            #expect(bytes[14] == UInt8(ascii: "4") && "89ab".utf8.contains(bytes[19]), "\(id)")
        }
    }

    @Test func test_unknownRoute_is404JSON() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/does-not-exist")
            #expect(response.status == .notFound)
            #expect(try response.error().code == "route_not_found")
        }
    }

    @Test func test_wrongMethod_is405WithAllow() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.delete, "/api/v2/entities/me")
            #expect(response.status == .methodNotAllowed)
            // /entities/me also matches /entities/{entity_id}, which allows PATCH.
            #expect(response.headers[.allow] == "GET, PATCH")
            #expect(try response.error().code == "method_not_allowed")
        }
    }

    @Test func test_malformedJSON_is400() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "#)
            #expect(response.status == .badRequest)
            #expect(try response.error().code == "invalid_json")
        }
    }

    @Test func test_missingField_is400NamingIt() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"nom": "x"}"#)
            #expect(response.status == .badRequest)
            #expect(try response.error().message.contains("name"))
        }
    }

    @Test func test_wrongContentType_is415() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(
                .post, "/api/v2/operator/organizations", key: .operator, headers: ["Content-Type": "text/plain"])
            #expect(response.status == .unsupportedMediaType)
            #expect(try response.error().code == "unsupported_media_type")
        }
    }

    @Test func test_bodyOver1MiB_is413() async throws {
        try await TestGateway().test { client in
            let big = #"{"name": ""# + String(repeating: "a", count: (1 << 20) + 10) + #""}"#
            let response = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: big)
            #expect(response.status == .contentTooLarge)
            #expect(try response.error().code == "payload_too_large")
        }
    }

    @Test func test_partnerKey_onOperatorRoute_is403() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.post, "/api/v2/operator/organizations", key: .partner, json: #"{"name": "x"}"#)
            #expect(response.status == .forbidden)
            #expect(try response.error().code == "operator_key_required")
        }
    }

    @Test func test_rateLimit_is429WithRetryAfter() async throws {
        // Time held still: no refill between requests however slow the machine is.
        let frozen = ContinuousClock.now
        try await TestGateway(rateLimit: .init(requestsPerSecond: 1, burst: 2, now: { frozen })).test { client in
            var statuses: [Int] = []
            var last: TestResponse?
            for _ in 0..<4 {
                let response = try await client.call(.get, "/api/v2/entities/me")
                statuses.append(Int(response.status.code))
                last = response
            }
            #expect(statuses.prefix(2) == [200, 200])
            #expect(statuses.last == 429)
            let limited = try #require(last)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try limited.error().code == "rate_limited")
        }
    }

    @Test func test_metrics_countRequestsByRouteAndStatus() async throws {
        try await TestGateway().test { client in
            try await client.call(.get, "/api/v2/entities/me", key: .none)
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            #expect(metrics.contains("# TYPE http_requests_total counter"))
            #expect(metrics.contains(#"route="/api/v2/entities/me""#))
            #expect(metrics.contains(#"status="401""#))
            #expect(metrics.contains("http_request_duration_seconds_bucket"))
            // The store's own counts; statements are round trips to a server, none on the memory store.
            for name in ["brokergate_store_write_transactions", "brokergate_store_commits", "brokergate_store_read_transactions"] {
                #expect(metrics.contains("# TYPE \(name) gauge"), "\(name) missing")
            }
            #expect(metrics.contains("brokergate_store_statements 0"))
            #expect(!metrics.contains("brokergate_store_wal_checkpoints"), "the memory store has no WAL")
        }
    }

    /// The SQLite store's checkpoints, by who ran them: the writer running them would mean the
    /// checkpoint thread falls behind.
    @Test func test_metrics_countTheSQLiteWALsCheckpoints_byWhoRanThem() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("metrics.sqlite").path
        let store = try await SQLiteStore(path: path, checkpointPages: 8, writerCheckpointPages: 1_000_000)
        try await TestGateway(store: store).test { client in
            // A few writes of a few pages each pass 8 pages more than once.
            for index in 0..<20 {
                try await client.call(.post, "/api/v2/entities", key: .partner, json: #"{"name": "Metrics \#(index)"}"#)
            }
            var background = 0
            for _ in 0..<200 {
                background = store.walCheckpoints.background
                if background > 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(background > 0)
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            let reported = metrics.split(separator: "\n").first { $0.hasPrefix(#"brokergate_store_wal_checkpoints{by="background"}"#) }
            // Gauges are written as decimals ("19.0").
            #expect(reported.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= Double(background) } == true, "\(metrics)")
            #expect(metrics.contains(#"brokergate_store_wal_checkpoints{by="writer"} 0.0"#))
        }
    }

    @Test func test_sandboxClock_movesBusinessTime_operatorOnly() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let denied = try await client.call(.put, "/api/v2/sandbox/clock", key: .partner, json: #"{"now": "2026-11-27T17:59:00Z"}"#)
            #expect(denied.status == .forbidden)
            let moved = try await client.call(.put, "/api/v2/sandbox/clock", key: .operator, json: #"{"now": "2026-11-27T17:59:00Z"}"#)
            #expect(moved.status == .ok)
            let read = try await client.call(.get, "/api/v2/sandbox/clock", key: .operator)
            #expect(try read.json()["now"] as? String == "2026-11-27T17:59:00Z")
            let outOfRange = try await client.call(.put, "/api/v2/sandbox/clock", key: .operator, json: #"{"now": "1999-01-01T00:00:00Z"}"#)
            #expect(outOfRange.status == .badRequest)
        }
    }

    @Test func test_sandboxRoutes_doNotExistOutsideSandbox() async throws {
        try await TestGateway(sandbox: false).test { client in
            let response = try await client.call(.get, "/api/v2/sandbox/clock", key: .operator)
            #expect(response.status == .notFound)
        }
    }
}

/// A body streamed without Content-Length must hit the same 413 as a declared one.
struct StreamedBodyLimitTests {
    @Test func test_streamedBodyOver1MiB_withoutContentLength_is413() async throws {
        try await TestGateway().test { client in
            var headers = Key.operator.headers
            headers[.contentType] = "application/json"
            headers[.transferEncoding] = "chunked"
            let big = #"{"name": ""# + String(repeating: "a", count: (1 << 20) + 10) + #""}"#
            let response = try await client.execute(
                uri: "/api/v2/operator/organizations", method: .post, headers: headers, body: ByteBuffer(string: big))
            #expect(response.status == .contentTooLarge)
        }
    }
}
