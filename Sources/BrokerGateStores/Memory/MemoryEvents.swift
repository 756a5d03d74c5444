import BrokerGateCore
import Foundation

/// The event outbox in memory: rows waiting for a number, then the numbered feed in order.
struct MemoryEventTables: Sendable {
    var waiting: [StoredEvent] = []
    /// Numbered events still kept: positions `dropped + 1`, `dropped + 2`, ….
    var numbered: [StoredEvent] = []
    /// How many numbered events the retention purge has removed from the front.
    var dropped = 0
    /// id → position - 1 (index in `numbered` plus `dropped`), or -1 while waiting.
    var index: [String: Int] = [:]
}

extension MemoryTransaction {
    func appendEvent(_ event: StoredEvent) async throws {
        try write { tables in
            guard tables.events.index[event.id] == nil else { throw StoreError("duplicate event id \(event.id)") }
            tables.events.index[event.id] = -1
            tables.events.waiting.append(event)
        }
    }

    func sequenceEvents(limit: Int) async throws -> Int {
        try write { tables in
            // Waiting events are in the order they were written (transactions are serialized).
            let batch = tables.events.waiting.prefix(limit)
            var last = tables.events.numbered.last?.position ?? Int64(tables.events.dropped)
            for event in batch {
                last += 1
                tables.events.index[event.id] = Int(last) - 1
                tables.events.numbered.append(
                    StoredEvent(
                        id: event.id, organizationID: event.organizationID, type: event.type, createdAt: event.createdAt,
                        payload: event.payload, position: last))
            }
            let count = batch.count
            tables.events.waiting.removeFirst(count)
            return count
        }
    }

    func hasUnsequencedEvents() async throws -> Bool {
        read { !$0.events.waiting.isEmpty }
    }

    func events(owner: OrganizationID?, after position: Int64, types: [String]?, limit: Int) async throws -> [StoredEvent] {
        read { tables in
            // Positions are 1, 2, 3, …: the event after `position` sits at index
            // `position - dropped`.
            let feed = tables.events.numbered
            let start = Int(max(0, position - Int64(tables.events.dropped)))
            guard start < feed.count else { return [] }
            return Array(
                feed[start...].lazy.filter { event in
                    (owner.map { event.organizationID == $0 } ?? true) && (types.map { $0.contains(event.type) } ?? true)
                }.prefix(limit))
        }
    }

    func latestEventPosition(owner: OrganizationID) async throws -> Int64 {
        read { $0.events.numbered.last { $0.organizationID == owner }?.position ?? 0 }
    }

    func event(id: String) async throws -> StoredEvent? {
        read { tables in
            guard let at = tables.events.index[id] else { return nil }
            return at >= 0 ? tables.events.numbered[at - tables.events.dropped] : tables.events.waiting.first { $0.id == id }
        }
    }

    func deleteEvents(createdBefore cutoff: Date, positionMax: Int64, limit: Int) async throws -> Int {
        try write { tables in
            // The newest numbered event stays: numbering continues after it.
            let removable = tables.events.numbered.dropLast().prefix(limit).prefix { event in
                event.createdAt < cutoff && (event.position ?? .max) <= positionMax
            }
            for event in removable { tables.events.index[event.id] = nil }
            tables.events.numbered.removeFirst(removable.count)
            tables.events.dropped += removable.count
            return removable.count
        }
    }
}
