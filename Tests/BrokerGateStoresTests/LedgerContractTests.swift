import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// The ledger's rules, against every store: double entry, no negative customer balance,
/// two-phase holds, and serialization under concurrency.
struct LedgerContractTests {
    let clock = FixedClock(contractInstant)
    var ledger: Ledger { Ledger(clock: clock) }
    let reference = (kind: "test", id: "t-1")

    static func customer(_ account: AccountID = .generate()) -> LedgerAccountID { .customer(account, .usdPlus) }
    static let issuance = LedgerAccountID.house(.usdPlusIssuance, .usdPlus)

    func fund(_ account: LedgerAccountID, _ units: Int64, _ store: any Store) async throws {
        let ledger = ledger, reference = reference
        _ = try await store.transaction { tx in
            try await ledger.transfer(units, from: Self.issuance, to: account, reason: .faucet, reference: reference, in: tx)
        }
    }

    func balance(_ id: LedgerAccountID, _ store: any Store) async throws -> LedgerBalance? {
        try await store.transaction { tx in try await tx.ledgerBalance(id) }
    }

    @Test(arguments: StoreKind.allCases)
    func test_transfer_movesOneAsset_andEveryAssetSumsToZero(kind: StoreKind) async throws {
        let store = try await kind.make()
        let alice = Self.customer(), bob = Self.customer()
        try await fund(alice, 100_000_000, store)
        let ledger = ledger, reference = reference
        _ = try await store.transaction { tx in
            try await ledger.transfer(30_000_000, from: alice, to: bob, reason: .tokenTransfer, reference: reference, in: tx)
        }
        #expect(try await balance(alice, store)?.balanceUnits == 70_000_000)
        #expect(try await balance(bob, store)?.balanceUnits == 30_000_000)
        #expect(try await balance(Self.issuance, store)?.balanceUnits == -100_000_000)
        let sums = try await store.transaction { tx in try await tx.ledgerSums() }
        #expect(sums == [.usdPlus: 0])
        let history = try await store.transaction { tx in try await tx.ledgerTransfers(touching: alice, afterSequence: 0, limit: 10) }
        #expect(history.map(\.transfer.amountUnits) == [100_000_000, 30_000_000])
        #expect(history.map(\.sequence) == [1, 2])
        #expect(try await store.transaction { tx in try await tx.ledgerSequence() } == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func test_balancesOfOneCustomer_coverEveryAsset_andNoOtherAccount(kind: StoreKind) async throws {
        let store = try await kind.make()
        let mine = AccountID.generate(), theirs = AccountID.generate()
        try await fund(.customer(mine, .usdPlus), 3_000_000, store)
        try await fund(.customer(theirs, .usdPlus), 1_000_000, store)
        let ledger = ledger, reference = reference
        _ = try await store.transaction { tx in
            try await ledger.transfer(
                7, from: .house(.tokenIssuance, .stock("AAPL")), to: .customer(mine, .stock("AAPL")), reason: .tokenMint,
                reference: reference, in: tx)
        }
        let rows = try await store.transaction { tx in try await tx.ledgerBalances(customer: mine) }
        #expect(rows.map(\.id) == [.customer(mine, .stock("AAPL")), .customer(mine, .usdPlus)].sorted())
        #expect(rows.map(\.balanceUnits).sorted() == [7, 3_000_000])
        // The portfolio's one query: the same rows, and the documents asked for, found or not.
        let stored = widget(.generate(), second: 1)
        try await store.transaction { tx in try await tx.insertDocument(stored) }
        let keys = [DocumentKey(Widget.self, id: stored.id), DocumentKey(Widget.self, id: "w-absent")]
        for read in [true, false] {
            let sentBefore = store.counters.statements
            let together = try await store.run(read: read) { tx in
                let balances = try await tx.prefetchDocuments(keys, andBalancesOf: mine)
                return (balances, try await tx.document(Widget.self, id: stored.id), try await tx.document(Widget.self, id: "w-absent"))
            }
            #expect(together.0 == rows)
            #expect(together.1 == stored && together.2 == nil)
            if kind == .postgres {  // the one store whose statements are counted: round trips
                #expect(store.counters.statements - sentBefore == 3, "BEGIN, the one query, COMMIT")
            }
        }
        let nobody = try await store.read { tx in try await tx.prefetchDocuments(keys, andBalancesOf: .generate()) }
        #expect(nobody.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func test_overdraft_isRefusedWithInsufficientFunds_andChangesNothing(kind: StoreKind) async throws {
        let store = try await kind.make()
        let alice = Self.customer(), bob = Self.customer()
        try await fund(alice, 5_000_000, store)
        let ledger = ledger, reference = reference
        do {
            _ = try await store.transaction { tx in
                try await ledger.transfer(5_000_001, from: alice, to: bob, reason: .tokenTransfer, reference: reference, in: tx)
            }
            Issue.record("an overdraft was accepted")
        } catch let error as DomainError {
            #expect(error.code == "insufficient_funds")
            #expect(error.message.contains("balance is 5, this needs 5.000001"))
        }
        #expect(try await balance(alice, store)?.balanceUnits == 5_000_000)
        #expect(try await balance(bob, store) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func test_transfersOfARolledBackTransaction_leaveNothing_andLaterTransfersJournalNormally(kind: StoreKind) async throws {
        struct Boom: Error {}
        let store = try await kind.make()
        let alice = Self.customer(), bob = Self.customer()
        try await fund(alice, 10_000_000, store)
        let ledger = ledger, reference = reference
        await #expect(throws: Boom.self) {
            try await store.transaction { tx in
                try await ledger.transfer(1_000_000, from: alice, to: bob, reason: .tokenTransfer, reference: reference, in: tx)
                try await ledger.transfer(2_000_000, from: alice, to: bob, reason: .tokenTransfer, reference: reference, in: tx)
                throw Boom()
            }
        }
        #expect(try await store.read { tx in try await tx.ledgerSequence() } == 1)
        #expect(try await balance(bob, store) == nil)
        _ = try await store.transaction { tx in
            try await ledger.transfer(3_000_000, from: alice, to: bob, reason: .tokenTransfer, reference: reference, in: tx)
        }
        let history = try await store.read { tx in try await tx.ledgerTransfers(touching: alice, afterSequence: 0, limit: 10) }
        #expect(history.map(\.transfer.amountUnits) == [10_000_000, 3_000_000])
        #expect(try await balance(alice, store)?.balanceUnits == 7_000_000)
        #expect(try await balance(bob, store)?.balanceUnits == 3_000_000)
    }

    @Test(arguments: StoreKind.allCases)
    func test_holds_reserveThenPostInPartsThenVoidTheRest(kind: StoreKind) async throws {
        let store = try await kind.make()
        let alice = Self.customer()
        let broker = LedgerAccountID.house(.brokerCash, .usdPlus)
        try await fund(alice, 10_000_000, store)
        let ledger = ledger, reference = reference
        let hold = try await store.transaction { tx in try await ledger.hold(6_000_000, on: alice, reference: reference, in: tx) }
        #expect(try await balance(alice, store)?.availableUnits == 4_000_000)
        // Spending more than is available while the hold stands is refused.
        await #expect(throws: DomainError.self) {
            try await store.transaction { tx in
                try await ledger.transfer(4_000_001, from: alice, to: broker, reason: .orderPayment, reference: reference, in: tx)
            }
        }
        try await store.transaction { tx in
            try await ledger.post(2_500_000, of: hold.id, to: broker, reason: .orderPayment, in: tx)
            try await ledger.post(1_000_000, of: hold.id, to: broker, reason: .orderPayment, in: tx)
        }
        await #expect(throws: DomainError.self) {
            try await store.transaction { tx in try await ledger.post(2_500_001, of: hold.id, to: broker, reason: .orderPayment, in: tx) }
        }
        try await store.transaction { tx in try await ledger.void(hold.id, in: tx) }
        let row = try #require(try await balance(alice, store))
        #expect(row.balanceUnits == 6_500_000)
        #expect(row.heldUnits == 0)
        let stored = try await store.transaction { tx in try await tx.ledgerHold(hold.id) }
        #expect(stored?.status == .posted)
        #expect(stored?.postedUnits == 3_500_000)
        #expect(try await store.transaction { tx in try await tx.ledgerSums() } == [.usdPlus: 0])
    }

    @Test(arguments: StoreKind.allCases)
    func test_64ConcurrentWithdrawals_neverOverdraw(kind: StoreKind) async throws {
        // 64 clients each try to move 1.5 USD+ out of a 40 USD+ balance: exactly 26 can.
        let store = try await kind.make()
        let alice = Self.customer()
        let payout = LedgerAccountID.house(.usdPlusIssuance, .usdPlus)
        try await fund(alice, 40_000_000, store)
        let ledger = ledger, reference = reference
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    do {
                        _ = try await store.transaction { tx in
                            try await ledger.transfer(1_500_000, from: alice, to: payout, reason: .withdrawal, reference: reference, in: tx)
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 26)
        #expect(try await balance(alice, store)?.balanceUnits == 1_000_000)
        #expect(try await store.transaction { tx in try await tx.ledgerSums() } == [.usdPlus: 0])
    }

    @Test(arguments: StoreKind.allCases)
    func test_randomOperations_keepEveryInvariant(kind: StoreKind) async throws {
        // A seeded random mix of faucet, transfer, hold, post and void across 6 accounts.
        let store = try await kind.make()
        let accounts = (0..<6).map { _ in Self.customer() }
        let ledger = ledger, reference = reference
        var random = SeededRandom(seed: 42)
        var holds: [LedgerHoldID] = []
        for _ in 0..<400 {
            let a = accounts[Int(random.next() % 6)], b = accounts[Int(random.next() % 6)]
            let units = Int64(random.next() % 5_000_000) + 1
            let operation = random.next() % 5
            let heldID = holds.isEmpty ? nil : holds[Int(random.next() % UInt64(holds.count))]
            do {
                let newHold: LedgerHoldID? = try await store.transaction { tx in
                    switch operation {
                    case 0: try await ledger.transfer(units, from: Self.issuance, to: a, reason: .faucet, reference: reference, in: tx)
                    case 1 where a != b:
                        try await ledger.transfer(units, from: a, to: b, reason: .tokenTransfer, reference: reference, in: tx)
                    case 2: return try await ledger.hold(units, on: a, reference: reference, in: tx).id
                    case 3: if let heldID { try await ledger.post(units, of: heldID, to: Self.issuance, reason: .withdrawal, in: tx) }
                    default: if let heldID { try await ledger.void(heldID, in: tx) }
                    }
                    return nil
                }
                if let newHold { holds.append(newHold) }
            } catch let error as DomainError where error.kind == .ruleViolation {
                continue  // refused operations change nothing; the invariants below prove it
            }
        }
        let rows = try await store.transaction { tx in try await tx.allLedgerBalances(.usdPlus) }
        for row in rows where row.id.isCustomer {
            #expect(row.balanceUnits >= 0 && row.heldUnits >= 0 && row.heldUnits <= row.balanceUnits)
        }
        #expect(rows.map(\.balanceUnits).reduce(0, +) == 0)
        #expect(try await store.transaction { tx in try await tx.ledgerSums() } == [.usdPlus: 0])
    }
}

extension LedgerContractTests {
    @Test(arguments: StoreKind.allCases)
    func test_balancePages_walkEveryRowOfOneAsset_once_inAccountOrder(kind: StoreKind) async throws {
        let store = try await kind.make()
        let customers = (0..<7).map { _ in AccountID.generate() }
        for (index, account) in customers.enumerated() { try await fund(.customer(account, .usdPlus), Int64(index + 1), store) }
        let ledger = ledger, reference = reference
        _ = try await store.transaction { tx in
            try await ledger.transfer(
                5, from: .house(.tokenIssuance, .stock("AAPL")), to: .customer(customers[0], .stock("AAPL")), reason: .tokenMint,
                reference: reference, in: tx)
        }
        let expected = (customers.map { LedgerAccountID.customer($0, .usdPlus) } + [Self.issuance]).sorted()
        for pageSize in [1, 3, 8, 100] {
            let pages = try await store.transaction { tx in
                var seen: [[LedgerBalance]] = []
                try await LedgerBalancePages.forEach(.usdPlus, in: tx, pageSize: pageSize) { seen.append($0) }
                return seen
            }
            let walked = pages.flatMap { $0 }
            #expect(Set(walked.map(\.id)) == Set(expected), "every USD+ row, no other asset (page size \(pageSize))")
            #expect(walked.count == expected.count, "each row once (page size \(pageSize))")
            #expect(pages.dropLast().allSatisfy { $0.count == pageSize } && (pages.last?.count ?? 0) <= pageSize)
            #expect(walked.map(\.balanceUnits).reduce(0, +) == 0)
        }
        // A page starts strictly after the key it is given, and past the last row is empty.
        let first = try await store.transaction { tx in try await tx.ledgerBalances(asset: .usdPlus, after: nil, limit: 2) }
        let second = try await store.transaction { tx in try await tx.ledgerBalances(asset: .usdPlus, after: first.last?.id, limit: 2) }
        #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)) && second.count == 2)
        let last = try #require(try await store.transaction { tx in try await tx.allLedgerBalances(.usdPlus) }.last)
        #expect(try await store.transaction { tx in try await tx.ledgerBalances(asset: .usdPlus, after: last.id, limit: 5) }.isEmpty)
        let totals = try await store.transaction { tx in try await AssetBalances.read(.usdPlus, in: tx) }
        #expect(totals.customerUnits == 28 && totals.customerRowCount == 7 && totals.house(.usdPlusIssuance) == -28)
    }
}

extension LedgerRepository {
    /// Every balance row of `asset`, walked in small pages so the walk itself is exercised.
    func allLedgerBalances(_ asset: LedgerAsset) async throws -> [LedgerBalance] {
        var rows: [LedgerBalance] = []
        try await LedgerBalancePages.forEach(asset, in: self, pageSize: 3) { rows += $0 }
        return rows
    }
}

extension Store {
    /// `read` or `transaction`: for contract cases that must hold in both.
    fileprivate func run<T: Sendable>(read: Bool, _ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        read ? try await self.read(body) : try await transaction(body)
    }
}
