import Foundation

/// The cash movements, each as the pair of ledger transfers that keeps USD+ backed 1:1 by
/// USDC in reserve (DESIGN.md rule 3). Every cash flow goes through here, in the same store
/// transaction as the business record it belongs to, so the books and the records can never
/// disagree.
///
/// | movement | USD+ leg | USDC leg |
/// |---|---|---|
/// | faucet, deposit (`mint`) | issuance → customer | on chain → reserve |
/// | withdrawal (`burnAndPayOut`) | customer hold → issuance | reserve → on chain |
/// | interest (`payInterest`) | interest expense → customer | on chain → reserve (the reserve's yield) |
/// | token transfer | customer → customer | — |
public struct CashLedger: Sendable {
    public let ledger: Ledger

    public init(clock: any BusinessClock, chain: ChainRecorder = .off) {
        ledger = Ledger(clock: clock, chain: chain)
    }

    static let issuance = LedgerAccountID.house(.usdPlusIssuance, .usdPlus)
    static let interestExpense = LedgerAccountID.house(.interestExpense, .usdPlus)
    static let reserve = LedgerAccountID.house(.usdcReserve, .usdc)
    static let onChain = LedgerAccountID.house(.usdcOnChain, .usdc)

    /// Issues `units` of USD+ to `account` against the same USDC received into the reserve.
    public func mint(
        _ units: Int64, to account: Account, reason: TransferReason, reference: (kind: String, id: String), in tx: any StoreTransaction
    )
        async throws
    {
        let customer = try await openCustomerAccount(account, asset: .usdPlus, in: tx)
        try await ledger.transfer(units, from: Self.onChain, to: Self.reserve, reason: reason, reference: reference, in: tx)
        try await ledger.transfer(units, from: Self.issuance, to: customer, reason: reason, reference: reference, in: tx)
    }

    /// Burns the USD+ a hold reserved and pays the same USDC out of the reserve.
    /// `shownOn` is the record whose `transaction_hash` shows the burn (the withdrawal).
    public func burnAndPayOut(
        _ units: Int64, hold: LedgerHoldID, reference: (kind: String, id: String), shownOn: (kind: String, id: String)? = nil,
        in tx: any StoreTransaction
    ) async throws {
        try await ledger.post(units, of: hold, to: Self.issuance, reason: .withdrawal, shownOn: shownOn, in: tx)
        try await ledger.transfer(units, from: Self.reserve, to: Self.onChain, reason: .withdrawal, reference: reference, in: tx)
    }

    /// Pays interest in USD+, funded by the reserve's yield arriving as USDC.
    public func payInterest(
        _ units: Int64, to account: Account, reference: (kind: String, id: String), in tx: any StoreTransaction
    ) async throws {
        let customer = try await openCustomerAccount(account, asset: .usdPlus, in: tx)
        try await ledger.transfer(units, from: Self.onChain, to: Self.reserve, reason: .interest, reference: reference, in: tx)
        try await ledger.transfer(units, from: Self.interestExpense, to: customer, reason: .interest, reference: reference, in: tx)
    }

    /// The customer ledger account of `account` in `asset`, its balance row created with the
    /// owning organization on first use: `Ledger` creates rows without one, and reserve
    /// reports and audits scope customer rows by organization.
    public func openCustomerAccount(_ account: Account, asset: LedgerAsset, in tx: any StoreTransaction) async throws -> LedgerAccountID {
        let id = LedgerAccountID.customer(account.id, asset)
        if try await tx.ledgerBalance(id) == nil {
            try await tx.saveLedgerBalance(LedgerBalance(id: id, organizationID: account.organizationID))
        }
        return id
    }
}

/// The reserve identity, computed from balance rows. It holds after every committed
/// transaction, and tests check it after every scenario:
///
/// 1. Double entry: USD+ balances sum to 0, and so do USDC balances.
/// 2. `issuedUnits = −(usd_plus_issuance + interest_expense)`: USD+ put into circulation
///    (minted plus interest) less USD+ burned.
/// 3. Backing: `reserveUnits` (the `usdc_reserve` balance) `== issuedUnits`.
/// 4. Custody of USD+: customer balances plus USD+ held by other house accounts (fees,
///    broker cash) `== issuedUnits`, which follows from 1 and 2. With no fees or trades,
///    the sum of customer USD+ equals the reserve.
public struct ReserveReport: Sendable, Equatable {
    public let customerUSDPlusUnits: Int64
    /// USD+ on house accounts other than issuance and interest expense (fees, broker cash).
    public let houseUSDPlusUnits: Int64
    public let issuedUnits: Int64
    public let reserveUnits: Int64
    public let usdPlusSumUnits: Int64
    public let usdcSumUnits: Int64

    /// True when every line of the identity holds.
    public var holds: Bool {
        usdPlusSumUnits == 0 && usdcSumUnits == 0 && reserveUnits == issuedUnits
            && customerUSDPlusUnits + houseUSDPlusUnits == issuedUnits
    }

    /// Walks the USD+ and USDC balance rows of `tx` in pages.
    public static func compute(in tx: any LedgerRepository) async throws -> ReserveReport {
        ReserveReport(usdPlus: try await AssetBalances.read(.usdPlus, in: tx), usdc: try await AssetBalances.read(.usdc, in: tx))
    }

    /// The identity's figures from the two assets' balances.
    public init(usdPlus: AssetBalances, usdc: AssetBalances) {
        let issuing = usdPlus.house(.usdPlusIssuance) + usdPlus.house(.interestExpense)
        customerUSDPlusUnits = usdPlus.customerUnits
        houseUSDPlusUnits = usdPlus.houseUnits - issuing
        issuedUnits = -issuing
        reserveUnits = usdc.house(.usdcReserve)
        usdPlusSumUnits = usdPlus.totalUnits
        usdcSumUnits = usdc.totalUnits
    }
}
