import Foundation

/// What `brokergate verify-store` finds in a store (a backup, a restored copy): its schema
/// is this build's, and every reconciliation identity that needs no broker holds on one
/// snapshot: the ledger balances per asset, no customer balance is negative, tokens
/// outstanding == shares in custody == tokens held, USD+ outstanding == reserve, custody
/// and broker cash agree with the fill records (`Reconciliation`, the same code the
/// running gateway checks itself with every minute). The broker comparisons are left out:
/// a copy cannot ask the broker what it held at the instant the copy was taken.
public enum StoreVerification {
    /// One line of the report: a check and whether it held, with what was found.
    public struct Line: Sendable, Equatable {
        public let check: String
        public let passed: Bool
        public let detail: String

        public init(check: String, passed: Bool, detail: String) {
            self.check = check
            self.passed = passed
            self.detail = detail
        }
    }

    public struct Report: Sendable, Equatable {
        /// The ledger sequence the snapshot includes; nil when the checks could not run.
        public let ledgerSequence: Int64?
        public let lines: [Line]

        public init(ledgerSequence: Int64?, lines: [Line]) {
            self.ledgerSequence = ledgerSequence
            self.lines = lines
        }

        public var isClean: Bool { lines.allSatisfy(\.passed) }
    }

    static let migrationsCheck = "migrations_current"

    /// Checks `store` (read only). Throws only when the store cannot be read at all.
    public static func run(_ store: any Store, checkedAt: Date, universe: StockUniverse = .standard) async throws -> Report {
        do {
            try await store.checkReady()
        } catch let error as DomainError {
            let detail = error.message + "; the other checks need this build's schema (restore the copy, start this build on it to migrate)"
            return Report(ledgerSequence: nil, lines: [Line(check: migrationsCheck, passed: false, detail: detail)])
        }
        let positions = try await store.read { tx in try await LedgerPositions.read(in: tx, universe: universe) }
        let result = Reconciliation.run(positions, broker: nil, checkedAt: checkedAt)
        let schema = Line(check: migrationsCheck, passed: true, detail: "the schema is at this build's version")
        return Report(ledgerSequence: positions.sequence, lines: [schema] + lines(result))
    }

    /// One line per check that ran: "holds" or each break's message.
    static func lines(_ result: ReconciliationResult) -> [Line] {
        Reconciliation.Check.allCases.filter { !$0.needsBroker }.map { check in
            let found = result.breaks.filter { $0.check == check.rawValue }
            guard found.isEmpty else {
                return Line(check: check.rawValue, passed: false, detail: found.map(\.message).joined(separator: "; "))
            }
            return Line(check: check.rawValue, passed: true, detail: "holds")
        }
    }
}
