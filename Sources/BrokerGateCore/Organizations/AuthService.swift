import Foundation

/// Who is calling: the organization behind a verified API key.
public struct Principal: Sendable, Equatable {
    public let organization: Organization
    public let keyID: APIKeyID
    /// The key reads only (`APIKeyRecord.isReadOnly`): write routes refuse it.
    public let isReadOnly: Bool

    public init(organization: Organization, keyID: APIKeyID, isReadOnly: Bool = false) {
        self.organization = organization
        self.keyID = keyID
        self.isReadOnly = isReadOnly
    }

    public var organizationID: OrganizationID { organization.id }
    public var isOperator: Bool { organization.role == .operator }

    /// Guards every write route: a read-only key is refused before the handler runs.
    public func requireWriter() throws(DomainError) {
        guard !isReadOnly else {
            throw DomainError(
                .forbidden, code: "read_only_key",
                message: "this API key is read-only; writes need a key created without read_only (POST /api/v2/api_keys)")
        }
    }

    /// Guards an operator route.
    public func requireOperator() throws(DomainError) {
        guard isOperator else { throw .operatorOnly }
    }
}

/// Verifies API keys (DESIGN.md rule 6).
public struct AuthService: Sendable {
    public let store: any Store
    /// Keys and their organizations as recently read, so a request does not cost a store
    /// read; the secret is still verified on every request.
    let cache: APIKeyCache

    public init(store: any Store, cache: APIKeyCache = APIKeyCache()) {
        self.store = store
        self.cache = cache
    }

    /// Returns the caller for a key id and secret, or throws `unauthenticated`. The same
    /// error and (near) the same work answer an unknown key id and a wrong secret, so a
    /// caller cannot tell which key ids exist.
    public func authenticate(keyID rawKeyID: String?, secret: String?) async throws -> Principal {
        guard let rawKeyID, let secret, let keyID = APIKeyID(parsing: rawKeyID),
            secret.utf8.count <= APIKeyRecord.secretLengthMax
        else { throw DomainError.unauthenticated }
        let found = try await cache.entry(keyID) {
            try await store.read { tx -> (APIKeyRecord, Organization?)? in
                guard let key = try await tx.apiKey(keyID) else { return nil }
                return (key, try await tx.organization(key.organizationID))
            }
        }
        guard let (key, organization) = found else {
            _ = Self.decoyKey.verifies(secret: secret)
            throw DomainError.unauthenticated
        }
        guard key.verifies(secret: secret), let organization else {
            throw DomainError.unauthenticated
        }
        return Principal(organization: organization, keyID: key.id, isReadOnly: key.isReadOnly)
    }

    /// Verified against when the key id is unknown, to spend the same hashing work.
    private static let decoyKey = APIKeyRecord.hashing(
        secret: APIKeyRecord.generateSecret(), id: APIKeyID.generate(),
        organizationID: .generate(), createdAt: Date(timeIntervalSince1970: 0))
}
