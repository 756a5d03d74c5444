import BrokerGateCore
import Synchronization

/// A connection that sends one statement and no more, outside any transaction
/// (`PostgresStore.readInOneStatement`): a single statement sees one snapshot of what has
/// committed, as a REPEATABLE READ transaction around it would, without the BEGIN and COMMIT
/// round trips. A second statement, or a write of any kind, is refused with `needsSnapshot`
/// before anything is sent, and the caller runs the body again in a snapshot transaction.
final class OneStatement: SQLExecutor {
    enum Refusal: Error {
        case needsSnapshot
    }

    private let base: PostgresExecutor
    private let hasSent = Mutex(false)
    private let didRefuse = Mutex(false)

    /// Whether it refused a statement: the body may have caught the refusal (`try?`) and
    /// returned something without what it asked for, so its answer must not be used.
    var refusedAny: Bool { didRefuse.withLock { $0 } }

    init(_ base: PostgresExecutor) {
        self.base = base
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let first = hasSent.withLock { hasSent in
            defer { hasSent = true }
            return !hasSent
        }
        guard first else { throw refusal() }
        return try await base.query(sql, binds)
    }

    func query(_ sql: String, _ binds: [SQLValue], seeing scope: HeldWriteScope) async throws -> [SQLRow] {
        try await query(sql, binds)
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws { throw refusal() }

    func changedRowCount(_ sql: String, returning: String, _ binds: [SQLValue], seeing scope: HeldWriteScope?) async throws -> Int {
        throw refusal()
    }

    func write(_ write: BlindWrite) async throws { throw refusal() }

    func readingWholeTables<T: Sendable>(_ read: () async throws -> T) async throws -> T { throw refusal() }

    private func refusal() -> Refusal {
        didRefuse.withLock { $0 = true }
        return .needsSnapshot
    }

    var holdsBlindWrites: Bool { false }
    var statementIsRoundTrip: Bool { true }
    var jsonPlaceholder: String { base.jsonPlaceholder }
}
