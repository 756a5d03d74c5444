import ArgumentParser
import BrokerGateCore
import BrokerGateStores
import Foundation
import Logging

/// `brokergate migrate-store --from sqlite:PATH --to postgres://…`: moves a stopped SQLite
/// store into an empty PostgreSQL database (README, "Moving from SQLite to PostgreSQL").
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a stopped SQLite store into an empty PostgreSQL database, checked on both sides.",
        discussion: """
            Stop the gateway first (the store is refused while any process has it open) and \
            take a backup. The copy is one PostgreSQL transaction: the schema, every row, the \
            sequences advanced past the copied ones, then row counts per table and the \
            ledger's invariants compared on both sides; it commits only when they match. \
            A target with any row, or a schema of another version, is refused. Exit 0 when \
            copied, 1 when the copy did not match (rolled back; the report says where), 2 \
            when refused (nothing written).
            """)

    @Option(help: "The SQLite store to copy: sqlite:PATH. The gateway must be stopped.")
    var from: String

    @Option(help: "The PostgreSQL database to fill: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE; it must be empty.")
    var to: String

    @Option(help: "Rows per INSERT statement (1...10000).")
    var batchRows: Int = SQLiteToPostgres.batchRowsDefault

    func run() async throws {
        let (path, url) = try endpoints()
        let target = StoreSpec.postgres(url: url).description
        // The report is the tool's output; the store's info lines ("schema ready") would only repeat it.
        var logger = Logger(label: "brokergate.migrate-store")
        logger.logLevel = .warning
        let report: SQLiteToPostgres.Report
        do {
            report = try await SQLiteToPostgres.copy(from: path, to: url, batchRows: batchRows, logger: logger)
        } catch let error as StoreToolError {
            throw ConfigurationError(message: "migrate-store: \(error.message)")
        } catch let mismatch as SQLiteToPostgres.Mismatch {
            print("migrate-store sqlite:\(path) → \(target): FAILED, \(mismatch)")
            Self.printReport(mismatch.report)
            throw ExitCode(1)
        }
        print("migrate-store sqlite:\(path) → \(target): OK, ledger sequence \(report.target.ledgerSequence.map(String.init) ?? "?")")
        Self.printReport(report)
        print("start the gateways with --store \(target) (the same keys and BROKERGATE_WALLET_KEY); keep the SQLite file as a backup")
    }

    /// `--from` must name a SQLite store and `--to` a PostgreSQL one.
    private func endpoints() throws -> (path: String, url: String) {
        guard (1...10_000).contains(batchRows) else {
            throw ConfigurationError(message: "--batch-rows must be in 1...10000, got \(batchRows)")
        }
        guard case .sqlite(let path) = try StoreSpec.fromCommandLine(from, environment: [:]) else {
            throw ConfigurationError(message: "--from: expected sqlite:PATH, the store to copy")
        }
        guard case .postgres(let url) = try StoreSpec.fromCommandLine(to, environment: [:]) else {
            throw ConfigurationError(message: "--to: expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE, an empty database")
        }
        return (path, url)
    }

    /// One line per table (rows on each side), then one per check (both sides agree on it).
    private static func printReport(_ report: SQLiteToPostgres.Report) {
        print("  \("table".padding(20))\("sqlite".leftPadding(12))\("postgres".leftPadding(12))")
        for count in report.tables {
            let mark = count.sourceRows == count.targetRows ? "" : "  MISMATCH"
            print(
                "  \(count.table.padding(20))\(String(count.sourceRows).leftPadding(12))\(String(count.targetRows).leftPadding(12))\(mark)")
        }
        for (source, target) in zip(report.source.lines, report.target.lines) {
            let agreed = source == target && target.passed
            print("  \(agreed ? "ok  " : "FAIL") \(target.check): sqlite \(source.detail); postgres \(target.detail)")
        }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    fileprivate func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
