import Foundation

/// Moving USD+ or stock tokens from one account to another (`POST …/token_transfers`).
///
/// The transfer-agent model: tokens move only between known customers. Sender and
/// recipient must both have passed KYC, the recipient must be active, and both accounts
/// belong to the caller's organization: a partner moves tokens among its own customers, and
/// an account of another organization is refused exactly like one that does not exist.
public struct TokenTransferService: Sendable {
    public let clock: any BusinessClock
    let cash: CashLedger
    public let tokens: TokenDirectory

    public init(clock: any BusinessClock, tokens: TokenDirectory = .standard, chain: ChainRecorder = .off) {
        self.clock = clock
        cash = CashLedger(clock: clock, chain: chain)
        self.tokens = tokens
    }

    /// The token and quantity of a request, checked before the store is touched: a known
    /// token, transferable, and a quantity within the token's decimals and the bounds.
    public func parse(tokenAddress: String, quantity: Amount) throws(DomainError) -> (token: TransferableToken, units: Int64) {
        let token = try tokens.resolve(tokenAddress)
        try TransferRestrictions.requireTransferable(token.asset)
        return (token, try CashAmount.units(quantity, field: "quantity", decimalsMax: token.decimalsMax))
    }

    /// Moves `units` of `token` from the account to the recipient in one ledger transfer.
    public func transfer(
        _ accountID: AccountID, token: TransferableToken, units: Int64, recipient recipientText: String, for principal: Principal,
        in tx: any StoreTransaction
    ) async throws -> TokenTransferRecord {
        let sender = try await tx.account(accountID, for: principal)
        try await CashChecks.requireKYCPassed(sender, role: .account, in: tx)
        let recipient = try await CashChecks.recipient(recipientText, field: "recipient_account_id", for: principal, in: tx)
        guard recipient.id != sender.id else {
            throw DomainError(.ruleViolation, code: "same_account", message: "recipient_account_id must be another account than the sender")
        }
        guard recipient.isActive else {
            throw DomainError(
                .ruleViolation, code: "recipient_inactive", message: "the recipient account is deactivated and cannot receive tokens")
        }
        try await CashChecks.requireKYCPassed(recipient, role: .recipient, in: tx)
        let id = TokenTransferID.generate()
        let credit = try await cash.openCustomerAccount(recipient, asset: token.asset, in: tx)
        try await cash.ledger.transfer(
            units, from: .customer(sender.id, token.asset), to: credit, reason: .tokenTransfer,
            reference: (TokenTransferRecord.kind, id.rawValue),
            in: tx)
        let now = clock.now()
        let record = TokenTransferRecord(
            id: id, organizationID: sender.organizationID, senderAccountID: sender.id, recipientAccountID: recipient.id, asset: token.asset,
            chainID: token.chainID, tokenAddress: token.address, quantityUnits: units, status: .complete,
            transactionHash: CashAmount.transactionHash(kind: TokenTransferRecord.kind, id: id.rawValue), createdAt: now, updatedAt: now)
        try await tx.insertDocument(record)
        try await tx.emit(.tokenTransferCompleted, .tokenTransfer(record), at: now)
        return record
    }

    /// Transfers the account sent.
    public func list(
        _ accountID: AccountID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<TokenTransferRecord> {
        try await tx.page(TokenTransferRecord.self, ofAccount: accountID, page: page, for: principal)
    }

    /// One transfer the account sent; 404 for any other.
    public func get(
        _ id: TokenTransferID, of accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> TokenTransferRecord {
        try await tx.owned(
            TokenTransferRecord.self, id: id.rawValue, in: accountID, account: \.senderAccountID, by: principal, name: "token transfer")
    }
}
