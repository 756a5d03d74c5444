import Foundation

/// Tags for the ids of cash records.
public enum CashFundingTag {}
public enum WithdrawalRequestTag {}
public enum WithdrawalTag {}
public enum TokenTransferTag {}
public typealias CashFundingID = Identifier<CashFundingTag>
public typealias WithdrawalRequestID = Identifier<WithdrawalRequestTag>
public typealias WithdrawalID = Identifier<WithdrawalTag>
public typealias TokenTransferID = Identifier<TokenTransferTag>

/// Where new USD+ came from.
public enum FundingSource: String, Sendable, Codable {
    /// Sandbox test tokens (`POST …/faucet`).
    case faucet = "FAUCET"
    /// A simulated on-chain USDC deposit (`POST /api/v2/sandbox/accounts/{id}/deposits`).
    case deposit = "DEPOSIT"
}

/// USD+ minted against USDC received into the reserve. The ledger transfers carry this
/// record's id as their reference, so the money and its reason are found from each other.
public struct CashFunding: StoredDocument, Equatable {
    public static let kind = "cash_funding"

    public let id: CashFundingID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let source: FundingSource
    public let chainID: String
    public let amountUnits: Int64
    /// The New York date of the grant: what the faucet's daily quota counts.
    public let businessDate: CalendarDate
    public var transactionHash: String
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    /// Faucet grants are counted per account and day; deposits are not limited.
    public var lookupKey: String? { source == .faucet ? Self.faucetDayKey(accountID, businessDate) : nil }

    public static func faucetDayKey(_ account: AccountID, _ date: CalendarDate) -> String { "faucet/\(account.rawValue)/\(date)" }
}

/// Dinari's `WithdrawalRequest.status`.
public enum WithdrawalRequestStatus: String, Sendable, Codable {
    /// USD+ is held; the payout has not been made yet.
    case pending = "PENDING"
    /// The USD+ was burned and the USDC paid out; a `Withdrawal` records it.
    case submitted = "SUBMITTED"
    case error = "ERROR"
    /// The hold was released; nothing moved.
    case cancelled = "CANCELLED"
}

/// A request to burn USD+ and pay the same amount of USDC to a wallet.
public struct WithdrawalRequestRecord: StoredDocument, Equatable {
    public static let kind = "withdrawal_request"

    public let id: WithdrawalRequestID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    /// The account whose (non-managed) wallet receives the USDC; same entity as `accountID`.
    public let recipientAccountID: AccountID
    public let amountUnits: Int64
    public var status: WithdrawalRequestStatus
    /// The hold reserving `amountUnits` of the account's USD+ while pending.
    public let holdID: LedgerHoldID
    public let createdAt: Date
    public var updatedAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    public var statusKey: String? { status.rawValue }
}

/// Dinari's `BrokerageOrderStatus` values a withdrawal can take here.
public enum WithdrawalStatus: String, Sendable, Codable {
    /// Paid out: the simulated chain confirms at once.
    case filled = "FILLED"
    case error = "ERROR"
}

/// A USDC payout made for a withdrawal request.
public struct WithdrawalRecord: StoredDocument, Equatable {
    public static let kind = "withdrawal"

    public let id: WithdrawalID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let withdrawalRequestID: WithdrawalRequestID
    public let recipientAccountID: AccountID
    public let chainID: String
    /// The USDC contract on `chainID`.
    public let paymentTokenAddress: String
    public let amountUnits: Int64
    public let status: WithdrawalStatus
    public var transactionHash: String
    public let transactionAt: Date
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    /// Lets `GET …/withdrawals?withdrawal_request_id=` find a request's withdrawals.
    public var lookupKey: String? { withdrawalRequestID.rawValue }
}

/// USD+ requested for withdrawal by one account on one New York day, for the daily limit.
/// One small row read and written in the request's transaction, rather than a scan.
public struct WithdrawalDayTotal: StoredDocument, Equatable {
    public static let kind = "withdrawal_day_total"

    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let businessDate: CalendarDate
    public var requestedUnits: Int64
    public let createdAt: Date

    public var documentID: String { Self.id(accountID, businessDate) }
    public var ownerOrganizationID: OrganizationID { organizationID }

    public static func id(_ account: AccountID, _ date: CalendarDate) -> String { "\(account.rawValue)/\(date)" }
}

/// Dinari's `TokenTransfer.status`.
public enum TokenTransferStatus: String, Sendable, Codable {
    case pending = "PENDING"
    case inProgress = "IN_PROGRESS"
    case complete = "COMPLETE"
    case failed = "FAILED"
}

/// USD+ or stock tokens moved from one account to another of the same organization.
public struct TokenTransferRecord: StoredDocument, Equatable {
    public static let kind = "token_transfer"

    public let id: TokenTransferID
    public let organizationID: OrganizationID
    public let senderAccountID: AccountID
    public let recipientAccountID: AccountID
    public let asset: LedgerAsset
    public let chainID: String
    public let tokenAddress: String
    public let quantityUnits: Int64
    public let status: TokenTransferStatus
    public var transactionHash: String?
    public let createdAt: Date
    public let updatedAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    /// Listed under the sender, as Dinari's `GET …/token_transfers` lists an account's own transfers.
    public var parentID: String? { senderAccountID.rawValue }
    /// The recipient, so incoming transfers can be found too.
    public var lookupKey: String? { recipientAccountID.rawValue }
}
