import BrokerGateCrypto
import Foundation

/// How a wallet came to be linked to an account.
public enum WalletCustody: String, Sendable, Codable {
    /// A partner-managed address, linked by the partner (`wallet/internal`).
    case partner = "PARTNER"
    /// The customer's own wallet, proven by an EIP-191 signature (`wallet/external`).
    case external = "EXTERNAL"
    /// Generated and custodied by BrokerGate (`wallet/managed`).
    case managed = "MANAGED"
}

/// The one wallet of an account, where its tokens are minted.
public struct WalletRecord: StoredDocument, Equatable {
    public static let kind = "wallet"

    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let address: EthereumAddress
    /// CAIP-2 chain id, one of `WalletChains.allowed`.
    public let chainID: String
    public let custody: WalletCustody
    public let isShared: Bool
    public let isAMLFlagged: Bool
    /// Managed wallets only: the private key sealed with AES-GCM under the configured
    /// wallet key. Never returned by any route.
    public let sealedPrivateKey: [UInt8]?
    public let createdAt: Date

    public var documentID: String { accountID.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var lookupKey: String? { address.checksummed.lowercased() }

    /// The wallet without its sealed key, for copies that leave the wallet's own row (events).
    var withoutKey: WalletRecord {
        WalletRecord(
            accountID: accountID, organizationID: organizationID, address: address, chainID: chainID, custody: custody,
            isShared: isShared, isAMLFlagged: isAMLFlagged, sealedPrivateKey: nil, createdAt: createdAt)
    }
}

/// A single-use challenge for connecting an external wallet.
public struct WalletNonce: StoredDocument, Equatable {
    public static let kind = "wallet_nonce"

    public let nonce: String
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let address: EthereumAddress
    public let chainID: String
    public let message: String
    public let expiresAt: Date
    public var usedAt: Date?
    public let createdAt: Date

    public var documentID: String { nonce }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
}

/// The chains a wallet may be linked on: Dinari's `WalletChainID` list (CAIP-2).
public enum WalletChains {
    public static let allowed: Set<String> = [
        "eip155:0", "eip155:1", "eip155:42161", "eip155:8453", "eip155:81457", "eip155:98866", "eip155:999", "eip155:43114",
        "eip155:11155111", "eip155:421614", "eip155:84532", "eip155:168587773", "eip155:98867", "eip155:998", "eip155:43113",
        "eip155:202110", "eip155:179205", "eip155:179202", "eip155:98865", "eip155:7887",
    ]

    public static func validated(_ chainID: String) throws(DomainError) -> String {
        guard allowed.contains(chainID) else {
            throw DomainError(
                .ruleViolation, code: "unsupported_chain",
                message: "chain_id must be one of \(allowed.sorted().joined(separator: ", ")) (CAIP-2); got \(chainID.prefix(40))")
        }
        return chainID
    }
}

extension [DocumentKey] {
    /// An account's document and its wallet's, filed under the account's id: what acting on
    /// an account's holdings reads by id first, for one prefetch (`prefetchDocuments`).
    static func accountAndWallet(_ id: AccountID) -> [DocumentKey] {
        [DocumentKey(Account.self, id: id.rawValue), DocumentKey(WalletRecord.self, id: id.rawValue)]
    }
}

extension [ParentKey] {
    /// The entity an account belongs to (`Account.parentID`), whose KYC trading checks.
    static func accountEntity(_ id: AccountID) -> [ParentKey] {
        [ParentKey(CustomerEntity.self, of: DocumentKey(Account.self, id: id.rawValue))]
    }
}
