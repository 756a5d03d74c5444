import Foundation

/// API keys an organization manages itself (`/api/v2/api_keys`): it rotates its keys without
/// an operator. The secret is shown once, when the key is created; the store keeps only its
/// salted hash. A revoked key stops working on every replica within the key cache's lifetime
/// (`APIKeyCache`, 2 s).
public struct APIKeyService: Sendable {
    public let clock: any BusinessClock

    /// Active keys an organization may hold at once (each is a door to close when it leaks).
    public static let activeKeysMax = 20
    /// Keys listed, newest first, revoked ones included.
    public static let listedMax = 100
    public static let nameLengthMax = 100

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// A new key for the caller's organization; `readOnly` keys can never write.
    public func create(
        name rawName: String?, readOnly: Bool, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (
        APIKeyRecord, IssuedKey
    ) {
        let name = try rawName.map { try TextRules.name($0, field: "name", lengthMax: Self.nameLengthMax) }
        let active = try await tx.apiKeys(organization: principal.organizationID, limit: Self.listedMax).filter(\.isActive)
        guard active.count < Self.activeKeysMax else {
            throw DomainError(
                .ruleViolation, code: "api_key_limit",
                message: "the organization has \(active.count) active keys, the most allowed; revoke one first")
        }
        let issued = IssuedKey(id: .generate(), secret: APIKeyRecord.generateSecret())
        var key = APIKeyRecord.hashing(
            secret: issued.secret, id: issued.id, organizationID: principal.organizationID, createdAt: clock.now())
        key.name = name
        key.isReadOnly = readOnly
        try await tx.insertAPIKey(key)
        return (key, issued)
    }

    /// The caller's organization's keys, newest first (no secrets: they are not stored).
    public func list(for principal: Principal, in tx: any StoreTransaction) async throws -> [APIKeyRecord] {
        try await tx.apiKeys(organization: principal.organizationID, limit: Self.listedMax)
    }

    /// Revokes one of the caller's organization's keys (another organization's is a 404).
    /// At least one active key with write access must remain, or the organization could no
    /// longer manage its keys; revoking a revoked key changes nothing.
    public func revoke(_ id: APIKeyID, for principal: Principal, in tx: any StoreTransaction) async throws -> APIKeyRecord {
        guard var key = try await tx.apiKey(id), key.organizationID == principal.organizationID else {
            throw DomainError.notFound("API key")
        }
        guard key.isActive else { return key }
        let writers = try await tx.apiKeys(organization: principal.organizationID, limit: Self.listedMax)
            .filter { $0.isActive && !$0.isReadOnly && $0.id != id }
        guard !writers.isEmpty else {
            throw DomainError(
                .ruleViolation, code: "last_active_key",
                message: "this is the organization's last active key that can write; create another (POST /api/v2/api_keys) first")
        }
        let now = clock.now()
        try await tx.revokeAPIKey(id, at: now)
        key.revokedAt = now
        return key
    }
}
