import Foundation
import Testing

@testable import BrokerGateCore

struct IdempotencyTests {
    let organization = EntityID.generate()

    @Test func test_sameKeySameRequest_isAReplay() throws {
        let request = IdempotencyRequest(organizationID: organization, key: "k", requestHashHex: "h1")
        let record = IdempotencyRecord(
            organizationID: organization, keyHashHex: request.keyHashHex, requestHashHex: "h1", status: 201,
            sealedBody: try request.seal(Array("body".utf8)), createdAt: Date(timeIntervalSince1970: 0))
        #expect(try IdempotencyPolicy.decide(existing: record, requestHashHex: "h1") == record)
        #expect(try IdempotencyPolicy.decide(existing: nil, requestHashHex: "h1") == nil)
    }

    @Test func test_sameKeyOtherRequest_isRefusedAsARuleViolation() throws {
        let record = IdempotencyRecord(
            organizationID: organization, keyHashHex: "x", requestHashHex: "h1", status: 201, sealedBody: [], createdAt: Date())
        #expect(throws: DomainError.self) { try IdempotencyPolicy.decide(existing: record, requestHashHex: "h2") }
        do {
            _ = try IdempotencyPolicy.decide(existing: record, requestHashHex: "h2")
        } catch {
            #expect(error.kind == .ruleViolation)
            #expect(error.code == "idempotency_key_reused")
        }
    }

    @Test func test_recordedBody_isSealed_andOpensOnlyWithTheSameKey() throws {
        let body = Array(#"{"api_key":{"secret":"top-secret-value"}}"#.utf8)
        let request = IdempotencyRequest(organizationID: organization, key: "key-1", requestHashHex: "h")
        let sealed = try request.seal(body)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("top-secret-value"))
        #expect(try request.open(sealed) == body)
        let otherKey = IdempotencyRequest(organizationID: organization, key: "key-2", requestHashHex: "h")
        #expect(throws: (any Error).self) { try otherKey.open(sealed) }
        let otherOrganization = IdempotencyRequest(organizationID: .generate(), key: "key-1", requestHashHex: "h")
        #expect(otherOrganization.keyHashHex != request.keyHashHex)
        #expect(throws: (any Error).self) { try otherOrganization.open(sealed) }
    }

    @Test func test_keyFormat_isBounded() throws {
        #expect(throws: DomainError.self) { try IdempotencyPolicy.validatedKey("") }
        #expect(throws: DomainError.self) { try IdempotencyPolicy.validatedKey("has space") }
        #expect(throws: DomainError.self) { try IdempotencyPolicy.validatedKey(String(repeating: "a", count: 256)) }
        #expect(try IdempotencyPolicy.validatedKey("2f1c9a7e-5d7b-4c1e-9d2a-0c1b2a3d4e5f") == "2f1c9a7e-5d7b-4c1e-9d2a-0c1b2a3d4e5f")
    }

    @Test func test_requestHash_dependsOnMethodPathAndBody() {
        let base = IdempotencyPolicy.requestHash(method: "POST", path: "/a", body: Array("{}".utf8))
        #expect(base == IdempotencyPolicy.requestHash(method: "POST", path: "/a", body: Array("{}".utf8)))
        #expect(base != IdempotencyPolicy.requestHash(method: "POST", path: "/b", body: Array("{}".utf8)))
        #expect(base != IdempotencyPolicy.requestHash(method: "PUT", path: "/a", body: Array("{}".utf8)))
        #expect(base != IdempotencyPolicy.requestHash(method: "POST", path: "/a", body: Array("{ }".utf8)))
    }
}
