import Foundation

/// New USD+ (the sandbox faucet and simulated on-chain USDC deposits) and the cash view.
/// Both fundings mint USD+ 1:1 against USDC received into the reserve (`CashLedger.mint`).
public struct FundingService: Sendable {
    public let clock: any BusinessClock
    let cash: CashLedger

    /// USD+ per faucet call: 1,000, as Dinari's faucet mints.
    public static let faucetUnits: Int64 = 1_000 * CashAmount.unitsPerWhole
    /// Faucet calls per account per New York day: test money, but not unlimited.
    public static let faucetGrantsPerDayMax = 5

    public init(clock: any BusinessClock, chain: ChainRecorder = .off) {
        self.clock = clock
        cash = CashLedger(clock: clock, chain: chain)
    }

    /// Mints `faucetUnits` to the account's wallet (`POST …/faucet`, sandbox only). Needs an
    /// active account with a wallet; `chain_id` defaults to the wallet's chain. At most
    /// `faucetGrantsPerDayMax` per account per New York day, else 422 `faucet_limit_reached`
    /// (a quota, not a request rate: a retry before the reset cannot succeed, so not 429).
    public func faucet(
        _ accountID: AccountID, chainID: String?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> CashFunding {
        let account = try await tx.account(accountID, for: principal)
        try CashChecks.requireActive(account)
        let wallet = try await CashChecks.requireWallet(account, purpose: "the faucet mints to the account's wallet", in: tx)
        let chain =
            try chainID.map { text throws(DomainError) in try PaymentTokens.validatedChain(text) }
            ?? PaymentTokens.reportingChain(of: wallet)
        let today = NewYorkDay.date(of: clock.now())
        let query = DocumentQuery(owner: principal.organizationID, lookupKey: CashFunding.faucetDayKey(account.id, today))
        guard try await tx.countDocuments(CashFunding.self, query: query) < Self.faucetGrantsPerDayMax else {
            let reset = NewYorkDay.end(of: today).formatted(.iso8601)
            throw DomainError(
                .ruleViolation, code: "faucet_limit_reached",
                message: "the faucet gives an account at most \(Self.faucetGrantsPerDayMax) grants per New York day; it resets at \(reset)")
        }
        return try await fund(account, source: .faucet, units: Self.faucetUnits, chainID: chain, in: tx)
    }

    /// Simulates USDC arriving on chain at the account's wallet and mints the same USD+
    /// (`POST /api/v2/sandbox/accounts/{id}/deposits`). No KYC check: nobody can refuse an
    /// on-chain transfer; KYC gates money leaving or moving instead.
    public func deposit(
        _ accountID: AccountID, units: Int64, chainID: String?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> CashFunding {
        let account = try await tx.account(accountID, for: principal)
        try CashChecks.requireActive(account)
        let wallet = try await CashChecks.requireWallet(account, purpose: "deposits arrive at the account's wallet", in: tx)
        let chain =
            try chainID.map { text throws(DomainError) in try PaymentTokens.validatedChain(text) }
            ?? PaymentTokens.reportingChain(of: wallet)
        return try await fund(account, source: .deposit, units: units, chainID: chain, in: tx)
    }

    /// The account's USD+ as Dinari's cash view reports it: one line on the reporting chain.
    public func cash(_ accountID: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> CashBalance {
        let account = try await tx.account(accountID, for: principal)
        let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue)
        let row = try await tx.ledgerBalance(.customer(account.id, .usdPlus))
        let chain = PaymentTokens.reportingChain(of: wallet)
        return CashBalance(
            symbol: PaymentTokens.usdPlusSymbol, chainID: chain,
            tokenAddress: PaymentTokens.address(of: PaymentTokens.usdPlusSymbol, chain: chain),
            balanceUnits: row?.balanceUnits ?? 0, heldUnits: row?.heldUnits ?? 0)
    }

    private func fund(
        _ account: Account, source: FundingSource, units: Int64, chainID: String, in tx: any StoreTransaction
    ) async throws -> CashFunding {
        let id = CashFundingID.generate()
        let now = clock.now()
        let record = CashFunding(
            id: id, accountID: account.id, organizationID: account.organizationID, source: source, chainID: chainID, amountUnits: units,
            businessDate: NewYorkDay.date(of: now), transactionHash: CashAmount.transactionHash(kind: CashFunding.kind, id: id.rawValue),
            createdAt: now)
        try await tx.insertDocument(record)
        let reason: TransferReason = source == .faucet ? .faucet : .deposit
        try await cash.mint(units, to: account, reason: reason, reference: (CashFunding.kind, id.rawValue), in: tx)
        return record
    }
}

/// One payment token balance of an account.
public struct CashBalance: Sendable, Equatable {
    public let symbol: String
    public let chainID: String
    public let tokenAddress: String
    /// Everything the account holds, including what pending holds reserve.
    public let balanceUnits: Int64
    /// Reserved by pending holds (e.g. withdrawal requests not yet paid out).
    public let heldUnits: Int64
}
