import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

@testable import BrokerGateAPI
@testable import BrokerGateStores

/// A store outage is not a bug: the database's and the driver's unavailability answers 503
/// `store_unavailable` with Retry-After (SDKs retry it), counted in `/metrics`; a failure
/// that means our code is wrong (a broken constraint) stays 500 `internal_error`.
struct StoreFailureAPITests {
    static let unavailable: [any Error & Sendable] = [
        StoreError("the batch could not commit"),
        PostgresStoreError(code: "connectionClosed"),
        PostgresStoreError(code: "server", sqlState: "57P01", message: "terminating connection due to administrator command"),
        PostgresStoreError(code: "server", sqlState: "40001", message: "could not serialize access"),
        PostgresStoreError(code: "server", sqlState: "53300", message: "too many connections"),
        SQLiteError(code: 5, message: "database is locked"),
        SQLiteError(code: 13, message: "database or disk is full"),
    ]

    @Test(arguments: 0..<unavailable.count)
    func test_storeUnavailability_answers503_withRetryAfter_andIsCounted(index: Int) async throws {
        let store = FailingStore()
        let gateway = try await TestGateway(store: store, apiKeyCacheTimeToLive: .seconds(600))
        try await gateway.testWithoutServices { client in
            // The key is cached, so the request reaches its handler's store call.
            #expect(try await client.call(.get, "/api/v2/entities/me").status == .ok)
            store.failure.withLock { $0 = Self.unavailable[index] }
            let failed = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Outage Test"}"#)
            #expect(failed.status == .serviceUnavailable, "\(failed.text)")
            #expect(try failed.error().code == "store_unavailable")
            #expect(failed.headers[.retryAfter] == "1")
            store.failure.withLock { $0 = nil }
            // Recovery needs no restart; the counter says how many 503s the store caused.
            #expect(try await client.call(.post, "/api/v2/entities/", json: #"{"name": "After Outage"}"#).status == .created)
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            #expect(metrics.contains("brokergate_store_unavailable_total 1"), "\(metrics.prefix(400))")
        }
    }

    @Test func test_aBrokenConstraint_staysA500_becauseItIsABug() async throws {
        let store = FailingStore()
        let gateway = try await TestGateway(store: store, apiKeyCacheTimeToLive: .seconds(600))
        try await gateway.testWithoutServices { client in
            #expect(try await client.call(.get, "/api/v2/entities/me").status == .ok)
            store.failure.withLock { $0 = PostgresStoreError(code: "server", sqlState: "23505", message: "duplicate key value") }
            let failed = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Bug Test"}"#)
            #expect(failed.status == .internalServerError)
            #expect(try failed.error().code == "internal_error")
            store.failure.withLock { $0 = SQLiteError(code: 19, message: "UNIQUE constraint failed") }
            #expect(try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Bug Test"}"#).status == .internalServerError)
        }
    }
}
