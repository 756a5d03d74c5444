import BrokerGateCore
import Foundation

extension MemoryTransaction {
    func insertOrganization(_ organization: Organization) async throws {
        try write { tables in
            guard tables.organizations[organization.id] == nil else {
                throw StoreError("duplicate organization id \(organization.id)")
            }
            tables.organizations[organization.id] = organization
        }
    }

    func organization(_ id: OrganizationID) async throws -> Organization? {
        read { $0.organizations[id] }
    }

    func organizations(role: OrganizationRole) async throws -> [Organization] {
        read { tables in
            tables.organizations.values.filter { $0.role == role }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    func insertAPIKey(_ key: APIKeyRecord) async throws {
        try write { tables in
            guard tables.apiKeys[key.id] == nil else { throw StoreError("duplicate API key id \(key.id)") }
            tables.apiKeys[key.id] = key
        }
    }

    func apiKey(_ id: APIKeyID) async throws -> APIKeyRecord? {
        read { $0.apiKeys[id] }
    }

    func apiKeys(organization: OrganizationID, limit: Int) async throws -> [APIKeyRecord] {
        read { tables in
            Array(
                tables.apiKeys.values.filter { $0.organizationID == organization }
                    .sorted { ($0.createdAt, $0.id.rawValue) > ($1.createdAt, $1.id.rawValue) }.prefix(limit))
        }
    }

    func revokeAPIKey(_ id: APIKeyID, at instant: Date) async throws {
        try write { tables in
            if tables.apiKeys[id]?.revokedAt == nil { tables.apiKeys[id]?.revokedAt = instant }
        }
    }

    func idempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws -> IdempotencyRecord? {
        read { $0.idempotency[.init(organizationID: organizationID, keyHashHex: keyHashHex)] }
    }

    func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws {
        try write { tables in
            let key = MemoryTables.IdempotencyKey(organizationID: record.organizationID, keyHashHex: record.keyHashHex)
            guard tables.idempotency[key] == nil else { throw StoreError("duplicate idempotency key") }
            tables.idempotency[key] = record
        }
    }

    func deleteIdempotencyRecords(createdBefore cutoff: Date, limit: Int) async throws -> Int {
        try write { tables in
            let batch = tables.idempotency.filter { $0.value.createdAt < cutoff }.sorted { $0.value.createdAt < $1.value.createdAt }
                .prefix(limit)
            for (key, _) in batch { tables.idempotency[key] = nil }
            return batch.count
        }
    }

    func deleteIdempotencyRecord(organizationID: OrganizationID, keyHashHex: String) async throws {
        try write { tables in tables.idempotency[.init(organizationID: organizationID, keyHashHex: keyHashHex)] = nil }
    }
}
