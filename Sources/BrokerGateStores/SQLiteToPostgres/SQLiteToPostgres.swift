import BrokerGateCore
import Foundation
import Logging

/// `brokergate migrate-store`: moves a stopped SQLite store into an empty PostgreSQL
/// database, so the gateway can run as several replicas (README, "Moving from SQLite to
/// PostgreSQL").
///
/// The source is held under SQLite's exclusive lock for the whole copy (`SQLiteSource`), so
/// a running gateway is detected and none can start meanwhile. The target's every write (its
/// schema, every row, its sequences) is one PostgreSQL transaction that commits only after
/// the copy was checked: row counts per table equal, and `StoreVerification` (the
/// reconciliation the gateway runs every minute) giving the same lines and ledger sequence
/// on both sides, all holding. Any refusal or failure rolls it back: the target is left as
/// it was found.
public enum SQLiteToPostgres {
    /// Rows per INSERT statement: bounded memory, few round trips.
    public static let batchRowsDefault = 1_000

    /// One table's rows on each side.
    public struct TableCount: Sendable, Equatable {
        public let table: String
        public let sourceRows: Int64
        public let targetRows: Int64
    }

    /// What was copied and what the checks found on each side.
    public struct Report: Sendable {
        public let tables: [TableCount]
        public let source: StoreVerification.Report
        public let target: StoreVerification.Report

        /// Every count equal, the same check lines and ledger sequence, and all of them holding.
        public var matches: Bool {
            tables.allSatisfy { $0.sourceRows == $0.targetRows } && source.lines == target.lines
                && source.ledgerSequence == target.ledgerSequence && target.isClean
        }
    }

    /// The copy was made but did not check out; it was rolled back (the target is as found).
    public struct Mismatch: Error, CustomStringConvertible {
        public let report: Report
        public var description: String { "the copy does not match its source; it was rolled back and the target left as found" }
    }

    /// Copies `sqlitePath` into `postgresURL`. Throws `StoreToolError` for a refusal (source
    /// in use, at another schema version or not verifying clean; target not empty), and
    /// `Mismatch` when the copy's checks fail; in both cases nothing was written.
    public static func copy(
        from sqlitePath: String, to postgresURL: String, batchRows: Int = batchRowsDefault, checkedAt: Date = Date(),
        logger: Logger = Logger(label: "brokergate.migrate-store")
    ) async throws -> Report {
        guard batchRows > 0 else { throw StoreToolError("batchRows must be positive, got \(batchRows)") }
        let source = try SQLiteSource(path: sqlitePath)
        return try await source.whileLocked { sourceDB in
            let sourceReport = try await checkedSource(sourceDB, path: sqlitePath, checkedAt: checkedAt)
            let target = try await PostgresStore(url: postgresURL, poolSize: 1, logger: logger, migrating: false)
            do {
                let report = try await copy(sourceDB, into: target, sourceReport: sourceReport, batchRows: batchRows, checkedAt: checkedAt)
                try? await target.close()
                return report
            } catch {
                try? await target.close()
                throw error
            }
        }
    }

    /// The target's side, in one transaction: refuse unless empty, migrate, copy every table
    /// and advance its sequences, count and verify; commit only when it all matches.
    private static func copy(
        _ sourceDB: any SQLExecutor, into target: PostgresStore, sourceReport: StoreVerification.Report, batchRows: Int,
        checkedAt: Date
    ) async throws -> Report {
        try await target.inOneTransaction { targetDB in
            try await PostgresTarget.requireEmpty(targetDB)
            try await MigrationRunner(dialect: .postgres, logger: target.logger).apply { body in try await body(targetDB) }
            let copier = TableCopier(source: sourceDB, target: targetDB, batchRows: batchRows)
            var counts: [TableCount] = []
            for table in CopiedTables.names {
                try await copier.copy(table)
                try await PostgresTarget.advanceSequences(of: table, source: sourceDB, target: targetDB)
                counts.append(
                    TableCount(
                        table: table, sourceRows: try await CopiedTables.count(table, in: sourceDB),
                        targetRows: try await CopiedTables.count(table, in: targetDB)))
            }
            let targetReport = try await StoreVerification.run(SnapshotStore(targetDB, engine: "PostgreSQL"), checkedAt: checkedAt)
            let report = Report(tables: counts, source: sourceReport, target: targetReport)
            guard report.matches else { throw Mismatch(report: report) }
            return report
        }
    }

    /// The source must be at this build's schema, hold exactly the tables this build copies,
    /// and verify clean: a copy of broken books would only move the problem.
    private static func checkedSource(_ db: any SQLExecutor, path: String, checkedAt: Date) async throws -> StoreVerification.Report {
        let version = try await db.query(Migrations.versionQuery, []).first?.optionalInteger("v")
        guard version == Int64(Migrations.latestVersion) else {
            throw StoreToolError(
                "sqlite:\(path) is at schema version \(version ?? 0), this build's is \(Migrations.latestVersion): start this "
                    + "build's gateway on it once (it migrates on start), stop it, then run migrate-store")
        }
        try CopiedTables.requireExactly(try await CopiedTables.sqliteTables(in: db), in: "sqlite:\(path)")
        let report = try await StoreVerification.run(SnapshotStore(db, engine: "SQLite"), checkedAt: checkedAt)
        guard report.isClean else {
            let failed = report.lines.filter { !$0.passed }.map { "\($0.check): \($0.detail)" }
            throw StoreToolError(
                "sqlite:\(path) does not verify clean (\(failed.joined(separator: "; "))): see brokergate verify-store; nothing was copied")
        }
        return report
    }
}

extension PostgresStore {
    /// Runs `body` as one READ COMMITTED transaction on one connection, holding the
    /// migrations' advisory lock to commit, so a gateway starting on the target meanwhile
    /// waits for the copy instead of migrating or bootstrapping beside it. The copy, its
    /// migrations and its verification read and write whole tables: scans are allowed.
    func inOneTransaction<T: Sendable>(_ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        try await withLeasedConnection { connection in
            let db = PostgresExecutor(connection: connection, logger: logger)
            return try await db.inTransaction(isolation: "READ COMMITTED") {
                try await db.execute("SELECT pg_advisory_xact_lock(\(Self.migrationLockID))", [])
                return try await db.readingWholeTables { try await body(db) }
            }
        }
    }
}
