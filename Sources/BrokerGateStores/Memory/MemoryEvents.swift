import BrokerGateCore
import Foundation

/// The event outbox in memory: rows waiting for a number, then the numbered feed in order.
struct MemoryEventTables: Sendable {
    var waiting: [StoredEvent] = []
    var numbered: [StoredEvent] = []
    /// id → index in `numbered`, or -1 while waiting.
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
            var last = tables.events.numbered.last?.position ?? 0
            for event in batch {
                last += 1
                tables.events.index[event.id] = tables.events.numbered.count
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
            // Positions are 1, 2, 3, …: the event after `position` sits at index `position`.
            let feed = tables.events.numbered
            guard position < feed.count else { return [] }
            return Array(
                feed[Int(max(0, position))...].lazy.filter { event in
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
            return at >= 0 ? tables.events.numbered[at] : tables.events.waiting.first { $0.id == id }
        }
    }
}
