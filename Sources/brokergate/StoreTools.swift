import ArgumentParser
import BrokerGateCore
import BrokerGateStores
import Foundation

/// `brokergate backup --store sqlite:PATH --to FILE`: a consistent copy of a SQLite store,
/// safe to take while the gateway runs (README, "Backups and restore").
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite store, consistently, while the gateway runs (never overwrites FILE).",
        discussion: """
            The copy is one committed state of the store (SQLite's VACUUM INTO, a read \
            transaction: the gateway keeps writing), checked and flushed to disk before it \
            takes the name FILE. Check it with `brokergate verify-store FILE`. PostgreSQL: \
            use pg_dump (README, "Backups and restore").
            """)

    @Option(help: "The store to copy: sqlite:PATH (env BROKERGATE_STORE). Default sqlite:./data/brokergate.sqlite.")
    var store: String?

    @Option(help: "The backup file to create; it must not exist.")
    var to: String

    func run() async throws {
        let spec = try StoreSpec.fromCommandLine(store, environment: ProcessInfo.processInfo.environment)
        guard case .sqlite(let path) = spec else {
            throw ConfigurationError(
                message: "--store: backup copies SQLite stores; back up \(spec) with pg_dump -Fc (README, \"Backups and restore\")")
        }
        let copy: SQLiteBackup.Copy
        do {
            copy = try SQLiteBackup.copy(from: path, to: to)
        } catch let error as StoreToolError {
            throw ConfigurationError(message: "--to: \(error.message)")
        }
        print("backup of sqlite:\(path) written to \(copy.path) (\(copy.bytes) bytes); check it with: brokergate verify-store \(copy.path)")
    }
}

/// `brokergate verify-store FILE`: opens a SQLite store copy read-only and checks every
/// invariant (`StoreVerification`); exit 0 when all hold, 1 with the report when one fails.
struct VerifyStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-store",
        abstract: "Check a SQLite store file (e.g. a backup) read-only: schema, ledger, balances, backing.",
        discussion: """
            Checks SQLite's integrity_check, that the schema is this build's, and on one \
            snapshot: every asset's ledger sums to zero, no customer balance is negative, \
            tokens outstanding equal shares in custody and tokens held, USD+ equals its \
            reserve, custody and broker cash agree with the fill records. Exit 0 when all \
            hold, 1 when any fails (the report says which), 2 when FILE cannot be opened.
            """)

    @Argument(help: "The SQLite store file to check.")
    var file: String

    func run() async throws {
        let store: SQLiteReadOnlyStore
        do {
            store = try SQLiteReadOnlyStore(path: file)
        } catch {
            throw ConfigurationError(message: "verify-store: cannot open \(file): \(error)")
        }
        let report = try await store.verify(checkedAt: Date())
        let failed = report.lines.filter { !$0.passed }.count
        let sequence = report.ledgerSequence.map { ", ledger sequence \($0)" } ?? ""
        print("verify-store \(file): \(failed == 0 ? "OK" : "FAILED (\(failed) of \(report.lines.count) checks)")\(sequence)")
        for line in report.lines { print("  \(line.passed ? "ok  " : "FAIL") \(line.check): \(line.detail)") }
        if failed > 0 { throw ExitCode(1) }
    }
}

extension StoreSpec {
    /// `--store`, else `BROKERGATE_STORE`, else the default; a bad value is a configuration error.
    static func fromCommandLine(_ flag: String?, environment env: [String: String]) throws -> StoreSpec {
        do {
            return try (flag ?? env["BROKERGATE_STORE"]).map { try StoreSpec(parsing: $0) } ?? .defaultValue
        } catch let error as DomainError {
            throw ConfigurationError(message: error.message)
        }
    }
}
