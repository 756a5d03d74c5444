import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Entities: create, list with cursors, get, patch, and isolation between organizations.
struct EntitiesAPITests {
    /// Creates a second partner through the operator API and returns its key.
    static func secondPartner(_ client: some TestClientProtocol) async throws -> Key {
        let created = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Partner B"}"#)
        let key = try #require(try created.json()["api_key"] as? [String: String])
        return .custom(id: key["id"]!, secret: key["secret"]!)
    }

    @Test func test_createGetAndPatch_anIndividual() async throws {
        try await TestGateway().test { client in
            let created = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Ada Lovelace", "reference_id": "cust-1"}"#)
            #expect(created.status == .created)
            let entity = try created.json()
            #expect(entity["entity_type"] as? String == "INDIVIDUAL")
            #expect(entity["is_kyc_complete"] as? Bool == false)
            let id = try #require(entity["id"] as? String)
            let fetched = try await client.call(.get, "/api/v2/entities/\(id)")
            #expect(try fetched.json()["reference_id"] as? String == "cust-1")
            let patched = try await client.call(.patch, "/api/v2/entities/\(id)", json: #"{"reference_id": "cust-2"}"#)
            #expect(patched.status == .ok)
            #expect(try patched.json()["reference_id"] as? String == "cust-2")
        }
    }

    @Test func test_list_pagesWithCursors_andFiltersByReferenceID() async throws {
        try await TestGateway().test { client in
            for index in 0..<5 {
                try await client.call(
                    .post, "/api/v2/entities/", json: #"{"name": "Customer \#(index)", "reference_id": "r\#(index % 2)"}"#)
            }
            let first = try await client.call(.get, "/api/v2/entities/?limit=2")
            let firstPage = try first.json()
            #expect((firstPage["data"] as? [Any])?.count == 2)
            let metadata = try #require(firstPage["pagination_metadata"] as? [String: Any])
            let next = try #require(metadata["next"] as? String)
            let second = try await client.call(.get, "/api/v2/entities/?limit=2&next=\(next)")
            #expect((try second.json()["data"] as? [Any])?.count == 2)
            let filtered = try await client.call(.get, "/api/v2/entities/?reference_id=r0")
            #expect((try filtered.json()["data"] as? [Any])?.count == 3)
            let badLimit = try await client.call(.get, "/api/v2/entities/?limit=0")
            #expect(badLimit.status == .badRequest)
            let badCursor = try await client.call(.get, "/api/v2/entities/?next=%%%")
            #expect(badCursor.status == .badRequest)
        }
    }

    @Test func test_anotherOrganizationsEntity_is404_sameAsMissing() async throws {
        try await TestGateway().test { client in
            let created = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Private Person"}"#)
            let id = try #require(try created.json()["id"] as? String)
            let other = try await Self.secondPartner(client)
            let foreign = try await client.call(.get, "/api/v2/entities/\(id)", key: other)
            let missing = try await client.call(.get, "/api/v2/entities/\(UUID().uuidString.lowercased())", key: other)
            #expect(foreign.status == .notFound)
            #expect(try foreign.error().message == missing.error().message)
            let patch = try await client.call(.patch, "/api/v2/entities/\(id)", key: other, json: #"{"reference_id": "stolen"}"#)
            #expect(patch.status == .notFound)
            let listed = try await client.call(.get, "/api/v2/entities/", key: other)
            #expect((try listed.json()["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func test_invalidNames_areRejected_andNothingIsStored() async throws {
        try await TestGateway().test { client in
            for body in [#"{"name": ""}"#, #"{"name": "evil\u202egnp"}"#, #"{"name": 5}"#, #"{"reference_id": "x"}"#] {
                let response = try await client.call(.post, "/api/v2/entities/", json: body)
                #expect(response.status == .badRequest, "\(body)")
            }
            let listed = try await client.call(.get, "/api/v2/entities/")
            #expect((try listed.json()["data"] as? [Any])?.isEmpty == true)
        }
    }
}
