import Foundation

/// Customers (INDIVIDUAL entities) of the calling organization.
public struct EntityService: Sendable {
    public let clock: any BusinessClock

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    public func create(
        name: String, referenceID: String?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> CustomerEntity {
        let entity = CustomerEntity(
            id: .generate(), organizationID: principal.organizationID, name: try TextRules.name(name, field: "name"),
            referenceID: try referenceID.map { raw throws(DomainError) in try TextRules.identifier(raw, field: "reference_id") },
            createdAt: clock.now())
        try await tx.insertDocument(entity)
        return entity
    }

    public func list(
        referenceID: String?, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<CustomerEntity> {
        try await tx.page(CustomerEntity.self, query: DocumentQuery(owner: principal.organizationID, lookupKey: referenceID, page: page))
    }

    /// The caller's customer, or 404 — also for another organization's id, indistinguishably.
    public func get(_ id: EntityID, for principal: Principal, in tx: any StoreTransaction) async throws -> CustomerEntity {
        try await tx.owned(CustomerEntity.self, id: id.rawValue, by: principal, name: "entity")
    }

    public func updateReferenceID(
        _ id: EntityID, to referenceID: String?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> CustomerEntity {
        var entity = try await get(id, for: principal, in: tx)
        entity.referenceID = try referenceID.map { raw throws(DomainError) in try TextRules.identifier(raw, field: "reference_id") }
        try await tx.updateDocument(entity)
        return entity
    }
}

extension DocumentRepository {
    /// A document owned by the caller's organization, or `not_found`. A foreign id and a
    /// missing id get the same answer and the same work, so neither can be probed.
    public func owned<D: StoredDocument>(_ type: D.Type, id: String, by principal: Principal, name: String) async throws -> D {
        guard let document = try await document(type, id: id), document.ownerOrganizationID == principal.organizationID else {
            throw DomainError.notFound(name)
        }
        return document
    }

    /// One of the caller's accounts, or `not_found` (a foreign account reads as missing).
    public func account(_ id: AccountID, for principal: Principal) async throws -> Account {
        try await owned(Account.self, id: id.rawValue, by: principal, name: "account")
    }

    /// A document of one of the caller's accounts (`account` reads which), or `not_found`:
    /// another account's document gets the same answer as a missing one.
    public func owned<D: StoredDocument>(
        _ type: D.Type, id: String, in accountID: AccountID, account: (D) -> AccountID, by principal: Principal, name: String
    ) async throws -> D {
        let document = try await owned(type, id: id, by: principal, name: name)
        guard account(document) == accountID else { throw DomainError.notFound(name) }
        return document
    }

    /// A page of the documents of a kind filed under one of the caller's accounts (their
    /// parent), optionally with one lookup key; `not_found` when the account is not theirs.
    public func page<D: StoredDocument>(
        _ type: D.Type, ofAccount accountID: AccountID, lookupKey: String? = nil, page: PageRequest, for principal: Principal
    ) async throws -> Page<D> {
        let account = try await account(accountID, for: principal)
        return try await self.page(
            type, query: DocumentQuery(owner: principal.organizationID, parentID: account.id.rawValue, lookupKey: lookupKey, page: page))
    }
}
