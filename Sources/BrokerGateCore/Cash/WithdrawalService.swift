import Foundation

/// Withdrawals: burn USD+, pay the same USDC to a wallet of the customer.
///
/// A request goes PENDING (the USD+ is held) → SUBMITTED (the hold is posted to issuance,
/// USDC leaves the reserve, a `Withdrawal` records the payout) or CANCELLED (the hold is
/// voided). The chain is simulated, so `request` runs both steps in the caller's one
/// transaction; `open`, `settle` and `cancel` are the steps a real chain adapter would
/// separate with an outbox.
public struct WithdrawalService: Sendable {
    public let clock: any BusinessClock
    let ledger: Ledger
    let cash: CashLedger

    /// USD+ one account may request per New York day: 1,000,000 (a limit on everything).
    public static let dailyLimitUnits: Int64 = 1_000_000 * CashAmount.unitsPerWhole

    public init(clock: any BusinessClock, chain: ChainRecorder = .off) {
        self.clock = clock
        ledger = Ledger(clock: clock, chain: chain)
        cash = CashLedger(clock: clock, chain: chain)
    }

    /// Opens and settles a request (`POST …/withdrawal_requests`).
    public func request(
        _ accountID: AccountID, units: Int64, recipient: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WithdrawalRequestRecord {
        try await settle(try await open(accountID, units: units, recipient: recipient, for: principal, in: tx).id, in: tx).request
    }

    /// Checks and holds. The order is the rule: the account's KYC, the recipient (same
    /// organization, same entity, a wallet the customer controls), the daily limit, then
    /// the balance (422 `insufficient_funds` from the hold).
    public func open(
        _ accountID: AccountID, units: Int64, recipient recipientText: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WithdrawalRequestRecord {
        let account = try await tx.account(accountID, for: principal)
        try await CashChecks.requireKYCPassed(account, role: .account, in: tx)
        let recipient = try await payoutRecipient(recipientText, of: account, for: principal, in: tx)
        let now = clock.now()
        try await countAgainstDailyLimit(units, account: account, now: now, in: tx)
        let id = WithdrawalRequestID.generate()
        let source = try await cash.openCustomerAccount(account, asset: .usdPlus, in: tx)
        let hold = try await cash.ledger.hold(units, on: source, reference: (WithdrawalRequestRecord.kind, id.rawValue), in: tx)
        let record = WithdrawalRequestRecord(
            id: id, accountID: account.id, organizationID: account.organizationID, recipientAccountID: recipient.id, amountUnits: units,
            status: .pending, holdID: hold.id, createdAt: now, updatedAt: now)
        try await tx.insertDocument(record)
        try await tx.emit(.withdrawalRequested, .withdrawalRequest(record), at: now)
        return record
    }

    /// Burns the held USD+, pays USDC out of the reserve to the recipient's wallet, and
    /// records the `Withdrawal` (FILLED: the simulated chain confirms at once).
    public func settle(
        _ requestID: WithdrawalRequestID, in tx: any StoreTransaction
    ) async throws -> (request: WithdrawalRequestRecord, withdrawal: WithdrawalRecord) {
        var request = try await pending(requestID, in: tx)
        let wallet = try await tx.document(WalletRecord.self, id: request.recipientAccountID.rawValue)
        let chain = PaymentTokens.reportingChain(of: wallet)
        let id = WithdrawalID.generate()
        let now = clock.now()
        try await cash.burnAndPayOut(
            request.amountUnits, hold: request.holdID, reference: (WithdrawalRequestRecord.kind, request.id.rawValue),
            shownOn: (WithdrawalRecord.kind, id.rawValue), in: tx)
        let withdrawal = WithdrawalRecord(
            id: id, accountID: request.accountID, organizationID: request.organizationID, withdrawalRequestID: request.id,
            recipientAccountID: request.recipientAccountID, chainID: chain,
            paymentTokenAddress: PaymentTokens.address(of: PaymentTokens.usdcSymbol, chain: chain), amountUnits: request.amountUnits,
            status: .filled, transactionHash: CashAmount.transactionHash(kind: WithdrawalRecord.kind, id: id.rawValue), transactionAt: now,
            createdAt: now)
        try await tx.insertDocument(withdrawal)
        try await tx.emit(.withdrawalCompleted, .withdrawal(withdrawal), at: now)
        request.status = .submitted
        request.updatedAt = now
        try await tx.updateDocument(request)
        return (request, withdrawal)
    }

    /// Releases a pending request's hold; nothing was burned or paid.
    public func cancel(_ requestID: WithdrawalRequestID, in tx: any StoreTransaction) async throws -> WithdrawalRequestRecord {
        var request = try await pending(requestID, in: tx)
        try await ledger.void(request.holdID, in: tx)
        request.status = .cancelled
        request.updatedAt = clock.now()
        try await tx.updateDocument(request)
        return request
    }

    /// The request as stored now, if still pending: each step runs once, whatever copy of
    /// the request a caller (or a retried worker) holds.
    private func pending(_ id: WithdrawalRequestID, in tx: any StoreTransaction) async throws -> WithdrawalRequestRecord {
        guard let request = try await tx.document(WithdrawalRequestRecord.self, id: id.rawValue) else {
            throw DomainError.notFound("withdrawal request")
        }
        guard request.status == .pending else {
            throw DomainError(
                .ruleViolation, code: "withdrawal_request_not_pending",
                message: "withdrawal request \(id) is \(request.status.rawValue); only a PENDING request is paid out or cancelled")
        }
        return request
    }

    public func requests(
        _ accountID: AccountID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<WithdrawalRequestRecord> {
        try await tx.page(WithdrawalRequestRecord.self, ofAccount: accountID, page: page, for: principal)
    }

    /// One request of the account; 404 for another account's or organization's alike.
    public func request(
        _ id: WithdrawalRequestID, of accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WithdrawalRequestRecord {
        try await tx.owned(
            WithdrawalRequestRecord.self, id: id.rawValue, in: accountID, account: \.accountID, by: principal, name: "withdrawal request")
    }

    /// The account's withdrawals, optionally those of one request.
    public func withdrawals(
        _ accountID: AccountID, requestID: WithdrawalRequestID?, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<WithdrawalRecord> {
        try await tx.page(WithdrawalRecord.self, ofAccount: accountID, lookupKey: requestID?.rawValue, page: page, for: principal)
    }

    public func withdrawal(
        _ id: WithdrawalID, of accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WithdrawalRecord {
        try await tx.owned(WithdrawalRecord.self, id: id.rawValue, in: accountID, account: \.accountID, by: principal, name: "withdrawal")
    }

    /// Dinari's rule: the USDC goes to an account of the same customer whose wallet the
    /// customer controls (not managed by the gateway). The account itself qualifies.
    private func payoutRecipient(
        _ text: String, of account: Account, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Account {
        let recipient = try await CashChecks.recipient(text, field: "recipient_account_id", for: principal, in: tx)
        guard recipient.entityID == account.entityID else {
            throw DomainError(
                .ruleViolation, code: "recipient_not_same_entity",
                message: "recipient_account_id must be an account of the same customer (entity \(account.entityID))")
        }
        let wallet = try await CashChecks.requireWallet(
            recipient, purpose: "withdrawals are paid to the recipient account's wallet", in: tx)
        guard wallet.custody != .managed else {
            throw DomainError(
                .ruleViolation, code: "recipient_wallet_managed",
                message: "recipient_account_id must have a wallet the customer controls (internal or external), not a managed one")
        }
        return recipient
    }

    /// Adds `units` to the account's total for today, or 422 `withdrawal_limit_exceeded`.
    private func countAgainstDailyLimit(_ units: Int64, account: Account, now: Date, in tx: any StoreTransaction) async throws {
        let today = NewYorkDay.date(of: now)
        let existing = try await tx.document(WithdrawalDayTotal.self, id: WithdrawalDayTotal.id(account.id, today))
        var total =
            existing
            ?? WithdrawalDayTotal(
                accountID: account.id, organizationID: account.organizationID, businessDate: today, requestedUnits: 0, createdAt: now)
        guard units <= Self.dailyLimitUnits - total.requestedUnits else {
            let left = CashAmount.amount(Self.dailyLimitUnits - total.requestedUnits).trimmedDescription
            throw DomainError(
                .ruleViolation, code: "withdrawal_limit_exceeded",
                message:
                    "an account may withdraw at most \(CashAmount.amount(Self.dailyLimitUnits).trimmedDescription) USD+ per New York day; "
                    + "\(left) is left today")
        }
        total.requestedUnits += units
        if existing == nil { try await tx.insertDocument(total) } else { try await tx.updateDocument(total) }
    }
}
