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

    private struct Sent {
        var statement = false
        var refusal = false
    }

    private let base: PostgresExecutor
    private let sent = Mutex(Sent())

    /// Whether it refused a statement: the body may have caught the refusal (`try?`) and
    /// returned something without what it asked for, so its answer must not be used.
    var refusedAny: Bool { sent.withLock { $0.refusal } }

    init(_ base: PostgresExecutor) {
        self.base = base
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let first = sent.withLock { sent in
            defer { sent.statement = true }
            if sent.statement { sent.refusal = true }
            return !sent.statement
        }
        guard first else { throw Refusal.needsSnapshot }
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
        sent.withLock { $0.refusal = true }
        return .needsSnapshot
    }

    var holdsBlindWrites: Bool { false }
    var statementIsRoundTrip: Bool { true }
    var jsonPlaceholder: String { base.jsonPlaceholder }
}
