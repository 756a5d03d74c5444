import Foundation

/// Ledger persistence: balance rows, the append-only transfer journal and holds. Lives in
/// the same transaction as the business object that moves money (DESIGN.md rule 5).
///
/// Its calls, like every nonisolated async function of ours, run on their caller's executor
/// (`NonisolatedNonsendingByDefault`, Package.swift) instead of hopping to the generic
/// executor and back on each call, which cost 10 % of a memory-store transfer.
public protocol LedgerRepository: Sendable {
    /// A customer's balance row, read for update: on PostgreSQL the row is locked until
    /// commit, so concurrent withdrawals from one account serialize. For a house account,
    /// the sum of its slots (`HouseSlots`), locking nothing; nil when it has none.
    func ledgerBalance(_ id: LedgerAccountID) async throws -> LedgerBalance?
    /// Inserts or replaces a customer's balance row. House balances change only through
    /// `addToHouseBalance`; a house id here is refused.
    func saveLedgerBalance(_ balance: LedgerBalance) async throws
    /// Adds `deltaUnits` (either sign) to slot `slot` of house account `id` without reading
    /// the account, creating the slot row on first use.
    func addToHouseBalance(_ id: LedgerAccountID, deltaUnits: Int64, slot: Int) async throws
    /// The house slot this transaction writes: one no other transaction running at the same
    /// time writes (see `HouseSlots`).
    var houseSlot: Int { get }
    /// Appends a transfer; the journal's order is its sequence.
    func appendLedgerTransfer(_ transfer: LedgerTransfer) async throws
    /// Transfers touching `account`, newest last, at most `limit`, after `afterSequence`.
    func ledgerTransfers(
        touching account: LedgerAccountID, afterSequence: Int64, limit: Int
    ) async throws -> [(sequence: Int64, transfer: LedgerTransfer)]
    /// The journal's last sequence number (0 when empty): what a reserves report is computed at.
    func ledgerSequence() async throws -> Int64
    func insertLedgerHold(_ hold: LedgerHold) async throws
    func updateLedgerHold(_ hold: LedgerHold) async throws
    func ledgerHold(_ id: LedgerHoldID) async throws -> LedgerHold?
    /// Sum of balances (every slot) per asset; zero for every asset when the books balance.
    func ledgerSums() async throws -> [LedgerAsset: Int64]
    /// Every balance row of one customer account, all assets, in one read that locks
    /// nothing: for portfolios and history views, which only report.
    func ledgerBalances(customer account: AccountID) async throws -> [LedgerBalance]
    /// One page of `asset`'s balances in account order, one per account (a house account's
    /// slots summed): at most `limit` rows strictly after `account` (from the first when
    /// nil). Jobs that visit every holder walk these pages (`LedgerBalancePages`) so memory
    /// stays bounded however many customers there are.
    func ledgerBalances(asset: LedgerAsset, after account: LedgerAccountID?, limit: Int) async throws -> [LedgerBalance]
    /// Reads, for update, the balance rows `ids` of one customer account together, ahead of
    /// the `ledgerBalance` calls of this transaction that want them, which then cost nothing
    /// more: on PostgreSQL one statement (a round trip) for all. A hint with no answer of
    /// its own; a store with nothing to gain does nothing.
    func prefetchLedgerBalances(_ ids: [LedgerAccountID]) async throws
    /// Reads the hold `id` for update, then the balance rows `ids` of one customer account as
    /// `prefetchLedgerBalances` does, ahead of the posting that wants them, locking in that
    /// order: on PostgreSQL in one statement (a round trip) where it was two. A hint as well.
    func prefetchLedgerHold(_ id: LedgerHoldID, andBalances ids: [LedgerAccountID]) async throws
}

extension LedgerRepository {
    public func prefetchLedgerBalances(_ ids: [LedgerAccountID]) async throws {}

    public func prefetchLedgerHold(_ id: LedgerHoldID, andBalances ids: [LedgerAccountID]) async throws {
        _ = try await ledgerHold(id)
        try await prefetchLedgerBalances(ids)
    }
}
