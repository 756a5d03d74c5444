import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// Events about a document the transaction just wrote embed the bytes it wrote
/// (`DocumentRepository.writtenBody(of:)`, `EventCodec.encode(_:written:)`) instead of
/// encoding the document a second time. These pin that the bytes are the last write's, in
/// the encoder's spelling, and that the events read back exactly as the documents stored.
struct WrittenBodyContractTests {
    /// The encoder's JSON of the version written last; nil once the document was read since
    /// (its bytes are no longer kept), and never bytes only read or prefetched (PostgreSQL's
    /// JSONB spells those its own way). The memory store keeps none, which is allowed.
    @Test(arguments: StoreKind.allCases)
    func test_writtenBody_isTheLastWriteAsEncoded_neverBytesOnlyRead(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = OrganizationID.generate()
        let other = widget(owner, second: 2)
        try await store.transaction { tx in try await tx.insertDocument(other) }
        var first = widget(owner, second: 1)
        first.note = "first / \"quoted\" — é"
        var second = first
        second.note = "second"
        let key = DocumentKey(Widget.self, id: first.id)
        let seen = try await store.transaction { [first, second] tx in
            let beforeAnyWrite = tx.writtenBody(of: key)
            try await tx.insertDocument(first)
            let afterInsert = tx.writtenBody(of: key)
            try await tx.updateDocument(second)
            let afterUpdate = tx.writtenBody(of: key)
            _ = try await tx.document(Widget.self, id: first.id)
            let afterRead = tx.writtenBody(of: key)
            try await tx.prefetchDocuments([DocumentKey(Widget.self, id: other.id), DocumentKey(Widget.self, id: "w-missing")])
            let prefetched = tx.writtenBody(of: DocumentKey(Widget.self, id: other.id))
            return (beforeAnyWrite, afterInsert, afterUpdate, afterRead, prefetched)
        }
        #expect(seen.0 == nil)
        if kind == .memory {
            #expect(seen.1 == nil && seen.2 == nil)
        } else {
            #expect(seen.1 == (try StoredJSON.encode(first)))
            #expect(seen.2 == (try StoredJSON.encode(second)))
        }
        #expect(seen.3 == nil)
        #expect(seen.4 == nil)
    }

    /// A market buy that fills at once emits its three events, each carrying the order or
    /// fill as its transaction stored it; every payload is what encoding its subject writes.
    /// On the SQL stores the payloads embed the written bytes (debug builds, which run the
    /// suite, also compare each with a full encoding as it is made).
    @Test(arguments: StoreKind.allCases)
    func test_aMarketBuysEvents_carryTheOrderAndFillAsStored(kind: StoreKind) async throws {
        let fixture = TradingFixture(store: try await kind.make())
        let placed = try await fixture.filledMarketBuy(on: try await fixture.customer())
        let owner = fixture.principal.organizationID
        let (order, fills, stored) = try await fixture.store.transaction { tx in
            _ = try await tx.sequenceEvents(limit: 100)
            let order = try await tx.document(OrderRecord.self, id: placed.id.rawValue)
            let fills = try await tx.allDocuments(FulfillmentRecord.self, query: DocumentQuery(owner: owner, parentID: placed.id.rawValue))
            let types = [EventType.orderRequestAccepted, .fulfillmentCreated, .orderFilled].map(\.rawValue)
            return (order, fills, try await tx.events(owner: owner, after: 0, types: types, limit: 10))
        }
        let events = try stored.map(Event.init)
        #expect(events.map(\.type) == [.orderRequestAccepted, .fulfillmentCreated, .orderFilled])
        for (event, row) in zip(events, stored) {
            #expect(row.payload == (try StoredJSON.encode(event.subject)), "\(event.type) is not its subject's encoding")
        }
        guard events.count == 3, let order, fills.count == 1 else { Issue.record("expected a filled order with one fill"); return }
        guard case .orderRequest(let accepted) = events[0].subject, case .fulfillment(let fill) = events[1].subject,
            case .order(let filled) = events[2].subject
        else { Issue.record("unexpected subjects: \(events.map(\.subject))"); return }
        #expect(accepted.id == order.id && accepted.status == .pendingSubmit)
        #expect(fill.fulfillment == fills[0] && fill.chainID == "eip155:1")
        #expect(filled.order == order && filled.chainID == "eip155:1")
    }
}
