import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// `/api/v2/api_keys`: a partner rotates its own keys. The secret is shown once; read-only
/// keys read and never write; a revoked key is refused once the key cache lets it go; the
/// last key that can write cannot be revoked; another organization's key is not found.
struct APIKeysAPITests {
    @Test func test_aPartnerRotatesItsKeys_readOnlyKeysNeverWrite_andTheLastWriterStays() async throws {
        let gateway = try await TestGateway(apiKeyCacheTimeToLive: .zero)
        try await gateway.test { client in
            let created = try await client.call(.post, "/api/v2/api_keys", json: #"{"name": "ci"}"#)
            #expect(created.status == .created, "\(created.text)")
            let second = try created.json()
            let secondID = try #require(second["id"] as? String)
            let secondKey = Key.custom(id: secondID, secret: try #require(second["secret"] as? String))
            #expect(second["name"] as? String == "ci" && second["read_only"] as? Bool == false && second["status"] as? String == "ACTIVE")

            // The new key works; the listing shows both keys and no secret.
            #expect(try await client.call(.get, "/api/v2/entities/me", key: secondKey).status == .ok)
            let listed = try await client.call(.get, "/api/v2/api_keys", key: secondKey)
            let rows = try #require(try listed.json()["data"] as? [[String: Any]])
            #expect(rows.count == 2 && rows.allSatisfy { $0["secret"] == nil || $0["secret"] is NSNull })
            #expect(!listed.text.contains(try #require(second["secret"] as? String)))

            // The first key is revoked with the second: it is refused from then on.
            let revoked = try await client.call(.post, "/api/v2/api_keys/\(TestGateway.partnerKey.id)/revoke", key: secondKey)
            let revokedStatus = try revoked.json()["status"] as? String
            #expect(revoked.status == .ok && revokedStatus == "REVOKED", "\(revoked.text)")
            #expect(try await client.call(.get, "/api/v2/entities/me").status == .unauthorized)

            // A read-only key reads, and every write is 403 read_only_key, changing nothing.
            let readOnly = try await client.call(.post, "/api/v2/api_keys", key: secondKey, json: #"{"read_only": true}"#).json()
            let readerKey = Key.custom(id: try #require(readOnly["id"] as? String), secret: try #require(readOnly["secret"] as? String))
            #expect(try await client.call(.get, "/api/v2/entities", key: readerKey).status == .ok)
            let write = try await client.call(.post, "/api/v2/entities", key: readerKey, json: #"{"name": "Never"}"#)
            let writeCode = (try write.json()["error"] as? [String: Any])?["code"] as? String
            #expect(write.status == .forbidden && writeCode == "read_only_key", "\(write.text)")
            let entities = try await client.call(.get, "/api/v2/entities", key: secondKey).json()
            #expect((entities["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.call(.post, "/api/v2/api_keys", key: readerKey, json: "{}").status == .forbidden)

            // The read-only key does not count as a writer: the second key is the last one.
            let last = try await client.call(.post, "/api/v2/api_keys/\(secondID)/revoke", key: secondKey)
            let lastCode = (try last.json()["error"] as? [String: Any])?["code"] as? String
            #expect(last.status == .unprocessableContent && lastCode == "last_active_key", "\(last.text)")

            // Another organization's key: 404, as an unknown one.
            let other = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Other"}"#)
            let otherKey = try #require(try other.json()["api_key"] as? [String: Any])
            let foreign = try await client.call(.post, "/api/v2/api_keys/\(try #require(otherKey["id"] as? String))/revoke", key: secondKey)
            #expect(foreign.status == .notFound)
            let badName = try await client.call(.post, "/api/v2/api_keys", key: secondKey, json: #"{"name": "\u202Eevil"}"#)
            #expect(badName.status == .badRequest)
        }
    }
}
