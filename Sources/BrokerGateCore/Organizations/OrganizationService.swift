import Foundation

/// A newly issued API key: the only moment the secret exists outside the caller's hands.
public struct IssuedKey: Sendable, Equatable {
    public let id: APIKeyID
    public let secret: String
}

/// Creating organizations and keys, and the bootstrap of the first keys on start.
public struct OrganizationService: Sendable {
    public let clock: any BusinessClock

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// Creates a partner organization with its first API key (operator action).
    public func createPartner(named rawName: String, in tx: any StoreTransaction) async throws -> (Organization, IssuedKey) {
        let name = try Organization.validatedName(rawName)
        let organization = Organization(id: .generate(), name: name, role: .partner, createdAt: clock.now())
        try await tx.insertOrganization(organization)
        let issued = IssuedKey(id: .generate(), secret: APIKeyRecord.generateSecret())
        try await tx.insertAPIKey(
            .hashing(secret: issued.secret, id: issued.id, organizationID: organization.id, createdAt: clock.now()))
        return (organization, issued)
    }

    /// Makes sure an organization of `role` with key `keyID`/`secret` exists; idempotent
    /// across restarts. A key id already bound to a different secret or role is refused,
    /// so a typo in the environment cannot silently open a second door.
    public func ensureBootstrapKey(role: OrganizationRole, keyID: APIKeyID, secret: String, in tx: any StoreTransaction) async throws {
        guard secret.count >= APIKeyRecord.secretLengthMin, secret.utf8.count <= APIKeyRecord.secretLengthMax else {
            throw DomainError.invalidField(
                "\(role.rawValue.lowercased()) secret",
                "must be \(APIKeyRecord.secretLengthMin) to \(APIKeyRecord.secretLengthMax) characters")
        }
        if let existing = try await tx.apiKey(keyID) {
            let owner = try await tx.organization(existing.organizationID)
            guard existing.verifies(secret: secret), owner?.role == role else {
                throw DomainError(
                    .ruleViolation, code: "bootstrap_key_mismatch",
                    message:
                        "API key id \(keyID) already exists with another secret or role; choose another key id or restore the original secret"
                )
            }
            return
        }
        let organization = Organization(
            id: .generate(), name: role == .operator ? "BrokerGate operator" : "Bootstrap partner",
            role: role, createdAt: clock.now())
        try await tx.insertOrganization(organization)
        try await tx.insertAPIKey(.hashing(secret: secret, id: keyID, organizationID: organization.id, createdAt: clock.now()))
    }

    /// On first start without configured keys: generates a key for `role` unless an
    /// organization of that role already exists. Returns the key to print once, or nil.
    public func generateKeyIfNone(role: OrganizationRole, in tx: any StoreTransaction) async throws -> IssuedKey? {
        guard try await tx.organizations(role: role).isEmpty else { return nil }
        let issued = IssuedKey(id: .generate(), secret: APIKeyRecord.generateSecret())
        try await ensureBootstrapKey(role: role, keyID: issued.id, secret: issued.secret, in: tx)
        return issued
    }
}
