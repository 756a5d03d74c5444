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

    init(_ base: PostgresExecutor) {
        self.base = base
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let first = hasSent.withLock { hasSent in
            defer { hasSent = true }
            return !hasSent
        }
        guard first else { throw Refusal.needsSnapshot }
        return try await base.query(sql, binds)
    }

    func query(_ sql: String, _ binds: [SQLValue], seeing scope: HeldWriteScope) async throws -> [SQLRow] {
        try await query(sql, binds)
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws { throw Refusal.needsSnapshot }

    func changedRowCount(_ sql: String, returning: String, _ binds: [SQLValue], seeing scope: HeldWriteScope?) async throws -> Int {
        throw Refusal.needsSnapshot
    }

    func write(_ write: BlindWrite) async throws { throw Refusal.needsSnapshot }

    func readingWholeTables<T: Sendable>(_ read: () async throws -> T) async throws -> T { throw Refusal.needsSnapshot }

    var holdsBlindWrites: Bool { false }
    var statementIsRoundTrip: Bool { true }
    var jsonPlaceholder: String { base.jsonPlaceholder }
}
