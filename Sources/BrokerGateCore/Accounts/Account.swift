import Foundation

/// Tag for account ids.
public enum AccountTag {}
public typealias AccountID = Identifier<AccountTag>

/// A customer's account: where cash and stock tokens are held and orders are placed.
/// Deactivation stops new orders; balances stay withdrawable.
public struct Account: StoredDocument, Equatable {
    public static let kind = "account"

    public let id: AccountID
    public let entityID: EntityID
    public let organizationID: OrganizationID
    public let jurisdiction: KYCJurisdiction
    public var isActive: Bool
    /// The simulated broker's sub-account, assigned on creation.
    public let brokerageAccountID: String
    public let createdAt: Date
    public var deactivatedAt: Date?

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { entityID.rawValue }
}

/// Accounts of the caller's customers.
public struct AccountService: Sendable {
    public let clock: any BusinessClock

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// Opens an account for a customer. Allowed before KYC completes (trading checks KYC);
    /// each jurisdiction's account is separate, as Dinari's are.
    public func create(
        entityID: EntityID, jurisdiction: KYCJurisdiction, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Account {
        let entity = try await EntityService(clock: clock).get(entityID, for: principal, in: tx)
        let id = AccountID.generate()
        let account = Account(
            id: id, entityID: entity.id, organizationID: principal.organizationID, jurisdiction: jurisdiction, isActive: true,
            brokerageAccountID: "SIM-\(id.rawValue.prefix(8).uppercased())", createdAt: clock.now(), deactivatedAt: nil)
        try await tx.insertDocument(account)
        try await tx.emit(.accountCreated, .account(account), at: account.createdAt)
        return account
    }

    public func list(
        entityID: EntityID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<Account> {
        _ = try await EntityService(clock: clock).get(entityID, for: principal, in: tx)
        return try await tx.page(
            Account.self, query: DocumentQuery(owner: principal.organizationID, parentID: entityID.rawValue, page: page))
    }

    /// The caller's account, or 404 for a missing or foreign id alike.
    public func get(_ id: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> Account {
        try await tx.account(id, for: principal)
    }

    /// Stops new orders on the account. Idempotent: deactivating twice keeps the first time.
    public func deactivate(_ id: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> Account {
        var account = try await get(id, for: principal, in: tx)
        guard account.isActive else { return account }
        account.isActive = false
        let now = clock.now()
        account.deactivatedAt = now
        try await tx.updateDocument(account)
        try await tx.emit(.accountDeactivated, .account(account), at: now)
        return account
    }
}
