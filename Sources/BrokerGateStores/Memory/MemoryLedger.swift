import BrokerGateCore
import Foundation

/// The ledger's tables in memory: the same rows the SQL stores keep.
struct MemoryLedgerTables: Sendable {
    /// Customer balance rows (slot 0 in the SQL stores).
    var balances: [LedgerAccountID: LedgerBalance] = [:]
    /// House accounts: balance units per slot (`HouseSlots`), summed on read.
    var house: [LedgerAccountID: [Int: Int64]] = [:]
    /// Append-only; a transfer's sequence is its index + 1.
    var journal = MemoryJournal()
    var holds: [LedgerHoldID: LedgerHold] = [:]

    func houseBalance(_ id: LedgerAccountID) -> LedgerBalance? {
        house[id].map { slots in LedgerBalance(id: id, balanceUnits: slots.values.reduce(0, +), organizationID: nil) }
    }
}

extension MemoryTransaction {
    func ledgerBalance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        read { id.isCustomer ? $0.ledger.balances[id] : $0.ledger.houseBalance(id) }
    }

    func saveLedgerBalance(_ balance: LedgerBalance) async throws {
        guard balance.id.isCustomer else { throw StoreError("house balance \(balance.id) is changed by slot increments only") }
        try write { $0.ledger.balances[balance.id] = balance.stored(over: $0.ledger.balances[balance.id]) }
    }

    func addToHouseBalance(_ id: LedgerAccountID, deltaUnits: Int64, slot: Int) async throws {
        precondition(!id.isCustomer, "customer balances are read and checked, never blindly incremented: \(id)")
        precondition(HouseSlots.isValid(slot), "house slot \(slot) out of range")
        try write { tables in
            let (sum, overflow) = tables.ledger.house[id, default: [:]][slot, default: 0].addingReportingOverflow(deltaUnits)
            guard !overflow else { throw DomainError(.ruleViolation, code: "amount_overflow", message: "the balance would overflow") }
            tables.ledger.house[id, default: [:]][slot] = sum
        }
    }

    /// One writer at a time: any slot will do; 0, as the SQL single-writer store.
    var houseSlot: Int { 0 }

    func appendLedgerTransfer(_ transfer: LedgerTransfer) async throws {
        try write { $0.ledger.journal.append(transfer) }
    }

    func ledgerTransfers(
        touching account: LedgerAccountID, afterSequence: Int64, limit: Int
    ) async throws -> [(sequence: Int64, transfer: LedgerTransfer)] {
        read { tables in
            tables.ledger.journal.withEntries { entries in
                var found: [(sequence: Int64, transfer: LedgerTransfer)] = []
                for (index, transfer) in entries.enumerated().dropFirst(Int(max(0, afterSequence)))
                where transfer.debit == account || transfer.credit == account {
                    found.append((Int64(index + 1), transfer))
                    if found.count == limit { break }
                }
                return found
            }
        }
    }

    func ledgerSequence() async throws -> Int64 {
        read { Int64($0.ledger.journal.count) }
    }

    func insertLedgerHold(_ hold: LedgerHold) async throws {
        try write { tables in
            guard tables.ledger.holds[hold.id] == nil else { throw StoreError("duplicate hold \(hold.id)") }
            tables.ledger.holds[hold.id] = hold
        }
    }

    func updateLedgerHold(_ hold: LedgerHold) async throws {
        try write { tables in
            guard tables.ledger.holds[hold.id] != nil else { throw StoreError("update of missing hold \(hold.id)") }
            tables.ledger.holds[hold.id] = hold
        }
    }

    func ledgerHold(_ id: LedgerHoldID) async throws -> LedgerHold? {
        read { $0.ledger.holds[id] }
    }

    func ledgerSums() async throws -> [LedgerAsset: Int64] {
        read { tables in
            var sums = tables.ledger.balances.values.reduce(into: [LedgerAsset: Int64]()) { sums, row in
                sums[row.id.asset, default: 0] += row.balanceUnits
            }
            for (id, slots) in tables.ledger.house { sums[id.asset, default: 0] += slots.values.reduce(0, +) }
            return sums
        }
    }

    func ledgerBalances(customer account: AccountID) async throws -> [LedgerBalance] {
        read { tables in tables.ledger.balances.values.filter { $0.id.owner == .customer(account) }.sorted { $0.id < $1.id } }
    }

    func ledgerBalances(asset: LedgerAsset, after account: LedgerAccountID?, limit: Int) async throws -> [LedgerBalance] {
        read { tables in
            let isPast = { (id: LedgerAccountID) in id.asset == asset && account.map { id > $0 } ?? true }
            let customers = tables.ledger.balances.values.filter { isPast($0.id) }
            let house = tables.ledger.house.keys.filter(isPast).compactMap { tables.ledger.houseBalance($0) }
            return Array((customers + house).sorted { $0.id < $1.id }.prefix(limit))
        }
    }
}
