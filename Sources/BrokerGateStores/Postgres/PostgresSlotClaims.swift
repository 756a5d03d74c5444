import BrokerGateCore
import Logging
import PostgresNIO
import Synchronization

/// Which house slot (`HouseSlots`) each pooled connection owns.
///
/// A connection claims a slot with a session-level advisory lock the first time it runs a
/// transaction and keeps it until it closes (the server drops the lock with the session),
/// so across every replica sharing the database no two open connections own one slot, and
/// a connection runs one transaction at a time: no two running transactions ever write the
/// same house row, hence no lock waits and no serialization failures on it. A connection's
/// consecutive transactions do share its slot, but each starts after the last committed.
final class PostgresSlotClaims: Sendable {
    /// Advisory locks (int, int): this class id, the slot number as the second key. Apart
    /// from the migration lock, which uses the single-bigint key space.
    static let lockClassID: Int32 = 72_153_981
    /// Claims remembered at most; past it the map is rebuilt (connections come and go).
    static let remembered = 4 * HouseSlots.count

    private let owned = Mutex<[PostgresConnection.ID: Int]>([:])
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func slot(of connection: PostgresConnection) async throws -> Int {
        if let slot = owned.withLock({ $0[connection.id] }) { return slot }
        let slot = try await claim(on: connection)
        owned.withLock { owned in
            if owned.count >= Self.remembered { owned.removeAll() }
            owned[connection.id] = slot
        }
        return slot
    }

    /// The server tries the slot numbers from a random start and stops at the first lock
    /// it gets. A connection that was forgotten (the map was rebuilt) first lets go of
    /// what it held. With every slot taken (more connections than slots), a
    /// random slot is shared: still correct, concurrent writers of it just retry.
    private func claim(on connection: PostgresConnection) async throws -> Int {
        let start = Int.random(in: 0..<HouseSlots.count)
        let count = HouseSlots.count
        let db = PostgresExecutor(connection: connection, logger: logger)
        try await db.execute("SELECT 1 AS released FROM (SELECT pg_advisory_unlock_all()) AS u", [])
        let rows = try await db.query(
            """
            SELECT k AS slot FROM (SELECT (g + \(start)) % \(count) AS k FROM generate_series(0, \(count - 1)) AS g) AS s
            WHERE pg_try_advisory_lock(\(Self.lockClassID), k) LIMIT 1
            """, [])
        if let slot = try rows.first?.integer("slot") { return Int(slot) }
        logger.warning("no free house slot; sharing one", metadata: ["slots": "\(count)"])
        return start
    }
}
