import BrokerGateCore
import Foundation

/// A SQLite store file opened only to read it (`brokergate verify-store`): one read-only
/// connection, no migrations, no writer. Writes throw; `checkReady` says whether the schema
/// is this build's, without changing it.
public final class SQLiteReadOnlyStore: Store {
    private let database: SQLiteDatabase
    public let counters = StoreCounters()
    public let path: String

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreToolError("no SQLite store at \(path)") }
        self.path = path
        database = SQLiteDatabase(connection: try SQLiteConnection(path: path, readOnly: true))
    }

    public var displayName: String { "sqlite:\(path) (read-only)" }

    public func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        throw StoreToolError("\(path) is open read-only")
    }

    /// One snapshot: BEGIN … COMMIT on the only connection.
    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        counters.countRead()
        try database.run("BEGIN")
        do {
            let result = try await body(SQLTransaction(database))
            try database.run("COMMIT")
            return result
        } catch {
            try? database.run("ROLLBACK")
            throw error
        }
    }

    public func checkReady() async throws {
        try Migrations.requireCurrent(try database.query(Migrations.versionQuery).first?.optionalInteger("v"), engine: "SQLite")
    }

    /// What SQLite's full `integrity_check` finds wrong with the file's pages and indexes.
    public func integrityProblems() throws -> [String] {
        try database.withConnection { try SQLiteIntegrity.problems($0, quick: false) }
    }

    public func close() async throws {}

    /// SQLite's own page check, then the business invariants (`StoreVerification`); pages
    /// SQLite cannot read make the report's one failed line.
    public func verify(checkedAt: Date) async throws -> StoreVerification.Report {
        let pages: StoreVerification.Line
        do {
            let problems = try integrityProblems()
            pages = StoreVerification.Line(
                check: "sqlite_integrity", passed: problems.isEmpty,
                detail: problems.isEmpty ? "integrity_check ok" : problems.prefix(5).joined(separator: "; "))
        } catch {
            pages = StoreVerification.Line(check: "sqlite_integrity", passed: false, detail: "\(error)")
        }
        guard pages.passed else { return StoreVerification.Report(ledgerSequence: nil, lines: [pages]) }
        let checked = try await StoreVerification.run(self, checkedAt: checkedAt)
        return StoreVerification.Report(ledgerSequence: checked.ledgerSequence, lines: [pages] + checked.lines)
    }
}
