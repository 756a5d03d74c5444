import BrokerGateCore
import Foundation

/// The event outbox over SQL (`Migrations` version 8), the same statements on both engines.
extension SQLTransaction {
    func appendEvent(_ event: StoredEvent) async throws {
        try await db.write(
            BlindWrite(
                head: "INSERT INTO events (id, organization_id, type, created_at, payload, position)", row: "(?, ?, ?, ?, ?, NULL)",
                binds: [
                    .text(event.id), .text(event.organizationID.rawValue), .text(event.type), .date(event.createdAt),
                    .text(String(decoding: event.payload, as: UTF8.self)),
                ], key: event.id))
    }

    func sequenceEvents(limit: Int) async throws -> Int {
        // Sequencers on several replicas take turns (PostgreSQL's row queue; SQLite's single
        // writer already does); a pass that still overlaps another fails on the unique position
        // or the serializable check and is retried by the store, never numbering twice.
        let turn = db.turn(forRow: "events:sequencer")
        let waiting = try await all(
            "SELECT id FROM events WHERE position IS NULL\(turn.sql) ORDER BY written LIMIT ?", turn.binds + [.integer(Int64(limit))]
        ) { try $0.text("id") }
        guard !waiting.isEmpty else { return 0 }
        let last =
            try await db.query("SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE position IS NOT NULL", []).first?.integer("p")
            ?? 0
        // One statement per chunk, not one per event: the pass holds a write transaction (on
        // PostgreSQL one of the few admitted at once) for every round trip it makes.
        for start in stride(from: 0, to: waiting.count, by: Self.numberedPerStatementMax) {
            let ids = waiting[start..<min(start + Self.numberedPerStatementMax, waiting.count)]
            let numbers = ids.indices.map { SQLValue.integer(last + Int64($0) + 1) }
            let cases = Array(repeating: "WHEN ? THEN ?", count: ids.count).joined(separator: " ")
            try await db.execute(
                "UPDATE events SET position = CASE id \(cases) END WHERE id IN (\(Self.marks(ids.count)))",
                zip(ids, numbers).flatMap { [SQLValue.text($0), $1] } + ids.map(SQLValue.text))
        }
        return waiting.count
    }

    /// Events numbered by one `UPDATE`: 3 binds each, well under SQLite's 999-variable floor.
    static let numberedPerStatementMax = 100

    func hasUnsequencedEvents() async throws -> Bool {
        try await db.query("SELECT 1 AS one FROM events WHERE position IS NULL LIMIT 1", []).isEmpty == false
    }

    func events(owner: OrganizationID?, after position: Int64, types: [String]?, limit: Int) async throws -> [StoredEvent] {
        var sql = "SELECT \(Self.eventColumns) FROM events WHERE position IS NOT NULL AND position > ?"
        var binds: [SQLValue] = [.integer(position)]
        if let owner {
            sql += " AND organization_id = ?"
            binds.append(.text(owner.rawValue))
        }
        if let types {
            guard !types.isEmpty else { return [] }
            sql += " AND type IN (\(Self.marks(types.count)))"
            binds += types.map(SQLValue.text)
        }
        sql += " ORDER BY position LIMIT ?"
        binds.append(.integer(Int64(limit)))
        return try await all(sql, binds, Self.event)
    }

    func event(id: String) async throws -> StoredEvent? {
        try await one("SELECT \(Self.eventColumns) FROM events WHERE id = ?", [.text(id)], Self.event)
    }

    func latestEventPosition(owner: OrganizationID) async throws -> Int64 {
        try await db.query(
            "SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE organization_id = ? AND position IS NOT NULL", [.text(owner.rawValue)]
        ).first?.integer("p") ?? 0
    }

    func deleteEvents(createdBefore cutoff: Date, positionMax: Int64, limit: Int) async throws -> Int {
        // The newest numbered event stays: numbering continues after it (`sequenceEvents`).
        let newest =
            try await db.query("SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE position IS NOT NULL", []).first?.integer("p")
            ?? 0
        // The front of the feed through `events_position`, then the run of it old enough:
        // index ranges, however many events are kept behind them.
        let front = try await db.query(
            "SELECT position, created_at FROM events WHERE position IS NOT NULL AND position <= ? ORDER BY position LIMIT ?",
            [.integer(min(positionMax, newest - 1)), .integer(Int64(limit))])
        var through: Int64?
        for row in front {
            guard try row.date("created_at") < cutoff else { break }
            through = try row.integer("position")
        }
        guard let through else { return 0 }
        // Every numbered event up to `through` is in `front`: earlier ones were deleted by
        // earlier runs, and positions are never given out below the highest.
        return try await db.query(
            "DELETE FROM events WHERE position IS NOT NULL AND position <= ? RETURNING position", [.integer(through)]
        ).count
    }

    /// The columns `event(_:)` decodes, named rather than `*` (see `organizationColumns`).
    static let eventColumns = "id, organization_id, type, created_at, payload, position"

    static func event(_ row: SQLRow) throws -> StoredEvent {
        StoredEvent(
            id: try row.text("id"), organizationID: OrganizationID(trusted: try row.text("organization_id")), type: try row.text("type"),
            createdAt: try row.date("created_at"), payload: Array(try row.text("payload").utf8),
            position: try row.optionalInteger("position"))
    }
}
