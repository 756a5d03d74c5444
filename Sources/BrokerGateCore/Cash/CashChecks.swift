import Foundation

/// The account rules cash movements share, each with the code a partner can branch on.
public enum CashChecks {
    /// The customer behind `account` must have passed KYC (`is_kyc_complete`): money leaves
    /// or moves between customers only once we know who they are.
    public static func requireKYCPassed(_ account: Account, role: Role, in tx: any StoreTransaction) async throws {
        let entity = try await tx.document(CustomerEntity.self, id: account.entityID.rawValue)
        guard let entity, entity.isKYCComplete else {
            throw DomainError(
                .ruleViolation, code: role.kycCode,
                message: "\(role.subject)'s customer (entity \(account.entityID)) has not passed KYC; "
                    + "submit KYC with POST /api/v2/entities/\(account.entityID)/kyc and wait for PASS")
        }
    }

    /// The account's wallet, or 422 `wallet_required` naming why one is needed.
    public static func requireWallet(_ account: Account, purpose: String, in tx: any StoreTransaction) async throws -> WalletRecord {
        guard let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue) else {
            throw DomainError(
                .ruleViolation, code: "wallet_required",
                message:
                    "the account has no wallet and \(purpose); link one with POST …/wallet/internal, …/wallet/external or …/wallet/managed")
        }
        return wallet
    }

    /// An active account, for movements that create new positions (the faucet, deposits).
    public static func requireActive(_ account: Account) throws(DomainError) {
        guard account.isActive else {
            throw DomainError(.ruleViolation, code: "account_inactive", message: "the account is deactivated; open a new account")
        }
    }

    /// A recipient named in a request body: an account of the caller's organization. A
    /// malformed, missing or foreign id all get the same 422, so no other organization's
    /// account can be probed through a body field.
    public static func recipient(
        _ text: String, field: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Account {
        let notFound = DomainError(
            .ruleViolation, code: "recipient_not_found",
            message:
                "\(field) names no account of your organization; use an account id returned by POST /api/v2/entities/{entity_id}/accounts")
        guard let id = AccountID(parsing: text), let account = try await tx.document(Account.self, id: id.rawValue),
            account.organizationID == principal.organizationID
        else { throw notFound }
        return account
    }

    /// Whose KYC a check is about, for the error code and message.
    public enum Role: Sendable {
        case account, recipient

        var kycCode: String { self == .account ? "kyc_not_passed" : "recipient_kyc_not_passed" }
        var subject: String { self == .account ? "the account" : "the recipient account" }
    }
}
