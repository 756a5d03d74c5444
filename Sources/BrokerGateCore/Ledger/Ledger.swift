import Foundation

/// The double-entry ledger's rules (DESIGN.md rule 2), over any `LedgerRepository`:
/// every change is a transfer of one asset between two accounts; customer balances never
/// go below zero nor below what holds reserve; holds are two-phase. Invariants are
/// asserted before each write and re-checked on the rows after it.
public struct Ledger: Sendable {
    public let clock: any BusinessClock
    /// Mirrors moves of on-chain assets into the chain outbox (`.off`: the ledger-only chain).
    public let chain: ChainRecorder

    public init(clock: any BusinessClock, chain: ChainRecorder = .off) {
        self.clock = clock
        self.chain = chain
    }

    /// Moves `amountUnits` from `debit` to `credit`. A customer debit must be covered by the
    /// available (unheld) balance; house accounts may go negative (issuance is a liability),
    /// so their side is a blind increment of one slot (`HouseSlots`): no read, no lock, and
    /// concurrent orders crediting the same house account never wait for each other.
    @discardableResult
    public func transfer(
        _ amountUnits: Int64, from debit: LedgerAccountID, to credit: LedgerAccountID, reason: TransferReason,
        reference: (kind: String, id: String), holdID: LedgerHoldID? = nil, shownOn record: (kind: String, id: String)? = nil,
        in tx: any LedgerRepository
    ) async throws -> LedgerTransfer {
        try Self.requireValid(amountUnits, debit: debit, credit: credit)
        // Both sides are plain locals, not a collection: this is the ledger's hottest call,
        // and a dictionary or array per transfer (allocation, hashing) cost more than the
        // bookkeeping itself.
        let (debitRow, creditRow) = try await customerRows(debit, credit, in: tx)
        if var from = debitRow {
            if holdID == nil, from.availableUnits < amountUnits {
                throw Self.insufficientFunds(debit.asset, available: from.availableUnits, needed: amountUnits)
            }
            from.balanceUnits = try Self.checked(from.balanceUnits, minus: amountUnits)
            try await tx.saveLedgerBalance(from)
        } else {
            try await tx.addToHouseBalance(debit, deltaUnits: -amountUnits, slot: tx.houseSlot)
        }
        if var to = creditRow {
            to.balanceUnits = try Self.checked(to.balanceUnits, plus: amountUnits)
            try await tx.saveLedgerBalance(to)
        } else {
            try await tx.addToHouseBalance(credit, deltaUnits: amountUnits, slot: tx.houseSlot)
        }
        let transfer = LedgerTransfer(
            id: .generate(), asset: debit.asset, debit: debit, credit: credit, amountUnits: amountUnits, reason: reason,
            referenceKind: reference.kind, referenceID: reference.id, holdID: holdID, createdAt: clock.now())
        try await tx.appendLedgerTransfer(transfer)
        try await Self.assertCustomerRowSound(debit, in: tx)
        try await Self.assertCustomerRowSound(credit, in: tx)
        if chain.isOn { try await chain.record(transfer, shownOn: record, in: tx) }
        return transfer
    }

    /// The customer rows of a transfer's two sides (nil for a house side), read (and on
    /// PostgreSQL locked) in one global order, so two transfers between the same customers
    /// in opposite directions can never deadlock.
    private func customerRows(
        _ debit: LedgerAccountID, _ credit: LedgerAccountID, in tx: any LedgerRepository
    ) async throws -> (debit: LedgerBalance?, credit: LedgerBalance?) {
        let debitFirst = debit < credit
        let first = debitFirst ? debit : credit
        let second = debitFirst ? credit : debit
        let firstRow: LedgerBalance? = if first.isCustomer { try await balance(first, in: tx) } else { nil }
        let secondRow: LedgerBalance? = if second.isCustomer { try await balance(second, in: tx) } else { nil }
        return debitFirst ? (firstRow, secondRow) : (secondRow, firstRow)
    }

    /// Reserves `amountUnits` of a customer balance for a pending operation.
    public func hold(
        _ amountUnits: Int64, on account: LedgerAccountID, reference: (kind: String, id: String), in tx: any LedgerRepository
    ) async throws -> LedgerHold {
        precondition(account.isCustomer, "holds reserve customer balances only")
        guard amountUnits > 0 else { throw Self.nonPositive }
        var row = try await balance(account, in: tx)
        guard row.availableUnits >= amountUnits else {
            throw Self.insufficientFunds(account.asset, available: row.availableUnits, needed: amountUnits)
        }
        row.heldUnits += amountUnits
        let now = clock.now()
        let hold = LedgerHold(
            id: .generate(), account: account, amountUnits: amountUnits, postedUnits: 0, status: .pending,
            referenceKind: reference.kind, referenceID: reference.id, createdAt: now, updatedAt: now)
        try await tx.saveLedgerBalance(row)
        try await tx.insertLedgerHold(hold)
        try await Self.assertCustomerRowSound(account, in: tx)
        return hold
    }

    /// Posts part (or all) of a pending hold as a transfer to `credit`. The hold stays
    /// pending until fully posted or voided.
    @discardableResult
    public func post(
        _ amountUnits: Int64, of holdID: LedgerHoldID, to credit: LedgerAccountID, reason: TransferReason,
        shownOn record: (kind: String, id: String)? = nil, in tx: any LedgerRepository
    ) async throws -> LedgerTransfer {
        guard var hold = try await tx.ledgerHold(holdID), hold.status == .pending else {
            throw DomainError(.ruleViolation, code: "hold_not_pending", message: "the hold was already posted or voided")
        }
        guard amountUnits > 0, amountUnits <= hold.remainingUnits else {
            throw DomainError(
                .ruleViolation, code: "hold_exceeded", message: "cannot post more than the hold's remaining \(hold.remainingUnits) units")
        }
        var row = try await balance(hold.account, in: tx)
        row.heldUnits -= amountUnits
        try await tx.saveLedgerBalance(row)
        let transfer = try await self.transfer(
            amountUnits, from: hold.account, to: credit, reason: reason, reference: (hold.referenceKind, hold.referenceID), holdID: hold.id,
            shownOn: record, in: tx)
        hold.postedUnits += amountUnits
        if hold.postedUnits == hold.amountUnits { hold.status = .posted }
        hold.updatedAt = clock.now()
        try await tx.updateLedgerHold(hold)
        if hold.status == .posted { try await chain.holdEnded(hold, in: tx) }
        return transfer
    }

    /// Reads what posting `holdID`, a hold on one of `account`'s `assets`, and moving its other
    /// assets will read, before they do: the hold, then the account's rows of `assets`
    /// (`prefetchLedgerHold(_:andBalances:)`), in the order every writer of them locks them
    /// (the hold, then the account's turn). A hint: the moves that follow find them in the
    /// transaction.
    public func prefetch(
        hold holdID: LedgerHoldID, andBalancesOf account: AccountID, _ assets: [LedgerAsset], in tx: any LedgerRepository
    ) async throws {
        try await tx.prefetchLedgerHold(holdID, andBalances: assets.map { .customer(account, $0) })
    }

    /// Releases what is left of a pending hold. Voiding a finished hold changes nothing.
    public func void(_ holdID: LedgerHoldID, in tx: any LedgerRepository) async throws {
        guard var hold = try await tx.ledgerHold(holdID), hold.status == .pending else { return }
        var row = try await balance(hold.account, in: tx)
        row.heldUnits -= hold.remainingUnits
        hold.status = hold.postedUnits > 0 ? .posted : .voided
        hold.updatedAt = clock.now()
        try await tx.saveLedgerBalance(row)
        try await tx.updateLedgerHold(hold)
        try await Self.assertCustomerRowSound(hold.account, in: tx)
        try await chain.holdEnded(hold, in: tx)
    }

    /// The balance row, or an empty one (accounts come into being on first use).
    public func balance(
        _ id: LedgerAccountID, organizationID: OrganizationID? = nil, in tx: any LedgerRepository
    ) async throws -> LedgerBalance {
        try await tx.ledgerBalance(id) ?? LedgerBalance(id: id, organizationID: organizationID)
    }

    // MARK: Invariants

    static func requireValid(_ amountUnits: Int64, debit: LedgerAccountID, credit: LedgerAccountID) throws(DomainError) {
        guard amountUnits > 0 else { throw nonPositive }
        precondition(debit.asset == credit.asset, "a transfer moves one asset: \(debit) → \(credit)")
        precondition(debit != credit, "a transfer needs two different accounts: \(debit)")
    }

    /// Re-reads a customer row after a write: balance ≥ 0 and 0 ≤ held ≤ balance. House
    /// rows may go negative (issuance is a liability), so a house id checks nothing.
    static func assertCustomerRowSound(_ id: LedgerAccountID, in tx: any LedgerRepository) async throws {
        guard id.isCustomer, let row = try await tx.ledgerBalance(id) else { return }
        guard row.balanceUnits >= 0, row.heldUnits >= 0, row.heldUnits <= row.balanceUnits else {
            throw DomainError(.internal, code: "ledger_invariant", message: "ledger invariant broken on \(id); the change was rolled back")
        }
    }

    static func checked(_ value: Int64, plus amount: Int64) throws(DomainError) -> Int64 {
        let (sum, overflow) = value.addingReportingOverflow(amount)
        guard !overflow else { throw DomainError(.ruleViolation, code: "amount_overflow", message: "the balance would overflow") }
        return sum
    }

    static func checked(_ value: Int64, minus amount: Int64) throws(DomainError) -> Int64 {
        let (difference, overflow) = value.subtractingReportingOverflow(amount)
        guard !overflow else { throw DomainError(.ruleViolation, code: "amount_overflow", message: "the balance would overflow") }
        return difference
    }

    static let nonPositive = DomainError(.ruleViolation, code: "amount_not_positive", message: "the amount must be greater than 0")

    static func insufficientFunds(_ asset: LedgerAsset, available: Int64, needed: Int64) -> DomainError {
        let have = Amount(units: Int128(available), scale: LedgerAsset.scale).trimmedDescription
        let want = Amount(units: Int128(needed), scale: LedgerAsset.scale).trimmedDescription
        return DomainError(
            .ruleViolation, code: "insufficient_funds",
            message: "available \(asset) balance is \(have), this needs \(want); fund the account or lower the amount")
    }
}
