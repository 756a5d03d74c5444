import BrokerGateCore
import BrokerGateTesting
import CSQLite
import Foundation
import Testing

@testable import BrokerGateStores

/// `brokergate backup` and `verify-store` on SQLite: a copy of an open store verifies clean
/// and holds its rows; the target is never overwritten; a copy changed by hand fails
/// verification naming the invariant it breaks.
struct SQLiteBackupTests {
    /// A store with two funded customers, backed up while still open; returns the copy's path
    /// and the customers' accounts.
    static func backedUpStore() async throws -> (copy: String, accounts: [AccountID]) {
        let folder = TemporaryFolder.make()
        let store = try await SQLiteStore(path: folder.appendingPathComponent("live.sqlite").path)
        let fixture = TradingFixture(store: store)
        let accounts = [try await fixture.customer(dollars: 100), try await fixture.customer(dollars: 250)]
        // The fixture mints USD+ without its USDC: put the reserve behind it, as a deposit does.
        _ = try await store.transaction { tx in
            try await Ledger(clock: fixture.clock).transfer(
                350_000_000, from: .house(.usdcOnChain, .usdc), to: .house(.usdcReserve, .usdc), reason: .deposit,
                reference: ("test", "reserve"), in: tx)
        }
        let copy = folder.appendingPathComponent("backup.sqlite").path
        _ = try SQLiteBackup.copy(from: store.path, to: copy)
        return (copy, accounts)
    }

    @Test func test_backupOfAnOpenStore_verifiesClean_andHoldsItsRows() async throws {
        let (copy, accounts) = try await Self.backedUpStore()
        let store = try SQLiteReadOnlyStore(path: copy)
        let report = try await store.verify(checkedAt: Date())
        #expect(report.isClean, "\(report.lines.filter { !$0.passed })")
        #expect(report.lines.map(\.check).contains("no_negative_balance"))
        let balance = try await store.read { tx in try await tx.ledgerBalance(.customer(accounts[1], .usdPlus)) }
        #expect(balance?.balanceUnits == 250_000_000)
        await #expect(throws: StoreToolError.self) { try await store.transaction { _ in } }
    }

    @Test func test_backup_refusesAnExistingTarget_andLeavesItAlone() async throws {
        let (copy, _) = try await Self.backedUpStore()
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let source = URL(fileURLWithPath: copy).deletingLastPathComponent().appendingPathComponent("live.sqlite").path
        #expect(throws: StoreToolError.self) { _ = try SQLiteBackup.copy(from: source, to: copy) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path)
        #expect(!leftovers.contains { $0.contains(".partial-") }, "no half-written copy is left behind")
    }

    /// Hand edits, with SQLite's CHECK constraints off as a careless restore or a corrupt
    /// tool might leave them, each with the invariant it must trip.
    static let tampers: [(sql: [String], check: String)] = [
        (["UPDATE ledger_balances SET balance_units = balance_units + 1 WHERE account = ?"], "ledger_balanced"),
        (
            [
                "UPDATE ledger_balances SET balance_units = -1 WHERE account = ?",
                "UPDATE ledger_balances SET balance_units = balance_units + 100000001 WHERE account = ?2",
            ], "no_negative_balance"
        ),
        (
            ["DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations) AND ? IS NOT NULL"],
            "migrations_current"
        ),
    ]

    @Test(arguments: 0..<tampers.count)
    func test_tamperedCopy_failsVerification_namingTheInvariant(tamper index: Int) async throws {
        let (copy, accounts) = try await Self.backedUpStore()
        let tamper = Self.tampers[index]
        do {
            let connection = try SQLiteConnection(
                path: copy, flags: SQLITE_OPEN_READWRITE, pragmas: ["PRAGMA ignore_check_constraints = ON"])
            let first = LedgerAccountID.customer(accounts[0], .usdPlus).rawValue,
                second = LedgerAccountID.customer(accounts[1], .usdPlus).rawValue
            for (offset, statement) in tamper.sql.enumerated() {
                _ = try connection.query(statement, offset == 0 ? [SQLValue.text(first)] : [SQLValue.text(first), .text(second)])
            }
        }
        let report = try await SQLiteReadOnlyStore(path: copy).verify(checkedAt: Date())
        #expect(!report.isClean)
        #expect(report.lines.filter { !$0.passed }.map(\.check).contains(tamper.check), "\(report.lines)")
    }
}
