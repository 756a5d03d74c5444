import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// The one contract every store implementation must pass (memory, SQLite; PostgreSQL
/// joins when it exists). Each test runs against every kind.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    /// PostgreSQL joins when a server is given (`scripts/with-postgres.sh` sets it; CI does).
    static var allCases: [StoreKind] {
        ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"] == nil ? [.memory, .sqlite] : [.memory, .sqlite, .postgres]
    }

    var testDescription: String { rawValue }

    func make() async throws -> any Store {
        switch self {
        case .memory: MemoryStore()
        case .sqlite: try await SQLiteStore(path: TemporaryFolder.make().appendingPathComponent("contract.sqlite").path)
        // A small pool: the suite runs many stores at once against one server.
        case .postgres: try await PostgresStore(url: try await PostgresTestDatabase.create(), poolSize: 4)
        }
    }
}

/// Whole-millisecond instants: every store must round-trip them exactly.
let contractInstant = Date(timeIntervalSince1970: 1_795_000_000.123)

func makeOrganization(_ role: OrganizationRole = .partner, name: String = "Acme") -> Organization {
    Organization(id: .generate(), name: name, role: role, createdAt: contractInstant)
}

struct StoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func test_organization_roundTripsEveryField(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization(.operator, name: "Ops — Zürich")
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        let read = try await store.transaction { tx in try await tx.organization(organization.id) }
        #expect(read == organization)
        let operators = try await store.transaction { tx in try await tx.organizations(role: .operator) }
        #expect(operators == [organization])
        let partners = try await store.transaction { tx in try await tx.organizations(role: .partner) }
        #expect(partners.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func test_apiKey_roundTripsAndVerifiesOnlyItsSecret(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        let key = APIKeyRecord.hashing(
            secret: "s3cret-s3cret-s3cret", id: .generate(), organizationID: organization.id, createdAt: contractInstant)
        try await store.transaction { tx in
            try await tx.insertOrganization(organization)
            try await tx.insertAPIKey(key)
        }
        let read = try #require(try await store.transaction { tx in try await tx.apiKey(key.id) })
        #expect(read == key)
        #expect(read.verifies(secret: "s3cret-s3cret-s3cret"))
        #expect(!read.verifies(secret: "s3cret-s3cret-s3creT"))
        #expect(try await store.transaction { tx in try await tx.apiKey(APIKeyID.generate()) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_apiKeys_listNewestFirst_perOrganization_andRevokeKeepsTheFirstInstant(kind: StoreKind) async throws {
        let store = try await kind.make()
        let mine = makeOrganization(), other = makeOrganization()
        var keys: [APIKeyRecord] = []
        for index in 0..<3 {
            var key = APIKeyRecord.hashing(
                secret: "s3cret-s3cret-s3cret", id: .generate(), organizationID: mine.id,
                createdAt: contractInstant.addingTimeInterval(TimeInterval(index)))
            key.name = "key \(index)"
            key.isReadOnly = index == 1
            keys.append(key)
        }
        let foreign = APIKeyRecord.hashing(
            secret: "s3cret-s3cret-s3cret", id: .generate(), organizationID: other.id, createdAt: contractInstant)
        try await store.transaction { [keys] tx in
            try await tx.insertOrganization(mine)
            try await tx.insertOrganization(other)
            for key in keys + [foreign] { try await tx.insertAPIKey(key) }
        }
        let listed = try await store.transaction { tx in try await tx.apiKeys(organization: mine.id, limit: 2) }
        #expect(listed == [keys[2], keys[1]], "newest first, bounded, names and scopes kept")
        let revokedAt = contractInstant.addingTimeInterval(60)
        try await store.transaction { [keys] tx in
            try await tx.revokeAPIKey(keys[0].id, at: revokedAt)
            try await tx.revokeAPIKey(keys[0].id, at: revokedAt.addingTimeInterval(60))
        }
        let firstID = keys[0].id
        let revoked = try #require(try await store.transaction { tx in try await tx.apiKey(firstID) })
        #expect(revoked.revokedAt == revokedAt && !revoked.verifies(secret: "s3cret-s3cret-s3cret"))
        let others = try await store.transaction { tx in try await tx.apiKeys(organization: other.id, limit: 10) }
        #expect(others == [foreign])
    }

    @Test(arguments: StoreKind.allCases)
    func test_transaction_thatThrows_leavesNothingBehind(kind: StoreKind) async throws {
        struct Boom: Error {}
        let store = try await kind.make()
        let organization = makeOrganization()
        await #expect(throws: Boom.self) {
            try await store.transaction { tx in
                try await tx.insertOrganization(organization)
                throw Boom()
            }
        }
        #expect(try await store.transaction { tx in try await tx.organization(organization.id) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_duplicateIDs_areRefused(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        try await store.transaction { tx in try await tx.insertOrganization(organization) }
        await #expect(throws: (any Error).self) {
            try await store.transaction { tx in try await tx.insertOrganization(organization) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func test_idempotencyRecord_isScopedToOrganization_andSweptByAge(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = makeOrganization(), second = makeOrganization()
        let record = IdempotencyRecord(
            organizationID: first.id, keyHashHex: "key-1", requestHashHex: "abc", status: 201, sealedBody: Array(#"{"a":1}"#.utf8),
            createdAt: contractInstant)
        try await store.transaction { tx in
            try await tx.insertOrganization(first)
            try await tx.insertOrganization(second)
            try await tx.insertIdempotencyRecord(record)
        }
        #expect(
            try await store.transaction { tx in try await tx.idempotencyRecord(organizationID: first.id, keyHashHex: "key-1") } == record)
        #expect(try await store.transaction { tx in try await tx.idempotencyRecord(organizationID: second.id, keyHashHex: "key-1") } == nil)
        let keptCount = try await store.transaction { tx in
            try await tx.deleteIdempotencyRecords(createdBefore: contractInstant, limit: 10)
        }
        #expect(keptCount == 0)
        let removed = try await store.transaction { tx in
            try await tx.deleteIdempotencyRecords(createdBefore: contractInstant.addingTimeInterval(1), limit: 10)
        }
        #expect(removed == 1)
        #expect(try await store.transaction { tx in try await tx.idempotencyRecord(organizationID: first.id, keyHashHex: "key-1") } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_concurrentTransactions_areSerialized(kind: StoreKind) async throws {
        // 32 writers each read the operator count and insert one more: serialized
        // transactions must end with exactly 32 rows and each writer seeing a distinct count.
        let store = try await kind.make()
        let seen = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<32 {
                group.addTask {
                    try await store.transaction { tx in
                        let before = try await tx.organizations(role: .operator).count
                        try await tx.insertOrganization(makeOrganization(.operator, name: "op \(index)"))
                        return before
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(Set(seen) == Set(0..<32))
        #expect(try await store.transaction { tx in try await tx.organizations(role: .operator).count } == 32)
    }

    @Test(arguments: StoreKind.allCases)
    func test_readiness_passesOnAFreshStore(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.checkReady()
        try await store.close()
    }
}

struct SQLiteDurabilityTests {
    @Test func test_reopeningTheFile_keepsCommittedRows_andAppliesNoMigrationTwice() async throws {
        let path = TemporaryFolder.make().appendingPathComponent("reopen.sqlite").path
        let organization = makeOrganization()
        do {
            let store = try await SQLiteStore(path: path)
            try await store.transaction { tx in try await tx.insertOrganization(organization) }
        }
        let reopened = try await SQLiteStore(path: path)
        try await reopened.checkReady()
        #expect(try await reopened.transaction { tx in try await tx.organization(organization.id) } == organization)
    }

    @Test func test_unwritablePath_failsWithAClearMessage() async throws {
        await #expect(throws: StoreError.self) {
            _ = try await SQLiteStore(path: "/proc/brokergate-cannot-write/x.sqlite")
        }
    }
}
