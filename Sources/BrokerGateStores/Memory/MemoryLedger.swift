import BrokerGateCore
import Foundation

/// The ledger's tables in memory: the same rows the SQL stores keep.
struct MemoryLedgerTables: Sendable {
    var balances: [LedgerAccountID: LedgerBalance] = [:]
    /// Append-only; a transfer's sequence is its index + 1.
    var journal: [LedgerTransfer] = []
    var holds: [LedgerHoldID: LedgerHold] = [:]
}

extension MemoryTransaction {
    func ledgerBalance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        read { $0.ledger.balances[id] }
    }

    func saveLedgerBalance(_ balance: LedgerBalance) async throws {
        write { $0.ledger.balances[balance.id] = balance }
    }

    func appendLedgerTransfer(_ transfer: LedgerTransfer) async throws {
        write { $0.ledger.journal.append(transfer) }
    }

    func ledgerTransfers(touching account: LedgerAccountID, afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, transfer: LedgerTransfer)] {
        read { tables in
            var found: [(sequence: Int64, transfer: LedgerTransfer)] = []
            for (index, transfer) in tables.ledger.journal.enumerated().dropFirst(Int(max(0, afterSequence)))
            where transfer.debit == account || transfer.credit == account {
                found.append((Int64(index + 1), transfer))
                if found.count == limit { break }
            }
            return found
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
            tables.ledger.balances.values.reduce(into: [:]) { sums, row in sums[row.id.asset, default: 0] += row.balanceUnits }
        }
    }

    func ledgerBalances(customer account: AccountID) async throws -> [LedgerBalance] {
        read { tables in tables.ledger.balances.values.filter { $0.id.owner == .customer(account) }.sorted { $0.id < $1.id } }
    }

    func ledgerBalances(asset: LedgerAsset, after account: LedgerAccountID?, limit: Int) async throws -> [LedgerBalance] {
        read { tables in
            let rows = tables.ledger.balances.values.filter { row in row.id.asset == asset && account.map { row.id > $0 } ?? true }
            return Array(rows.sorted { $0.id < $1.id }.prefix(limit))
        }
    }
}
