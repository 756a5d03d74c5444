import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// `EventCodec.encode(_:written:)` puts a document's stored JSON into its event instead of
/// encoding the document again; the result must be byte for byte what encoding the whole
/// subject writes, for every case that carries a document.
struct EventCodecTests {
    let fixture = TradingFixture()

    /// A filled market buy's order and fill, and the account it was placed on.
    func documents() async throws -> (Account, OrderRecord, FulfillmentRecord) {
        let accountID = try await fixture.customer()
        let order = try await fixture.filledMarketBuy(on: accountID)
        let owner = fixture.principal.organizationID
        return try await fixture.store.read { tx in
            let fills = try await tx.allDocuments(FulfillmentRecord.self, query: DocumentQuery(owner: owner, parentID: order.id.rawValue))
            guard let account = try await tx.document(Account.self, id: accountID.rawValue), let fill = fills.first else {
                throw StoreError("the account or the fill is missing")
            }
            return (account, order, fill)
        }
    }

    @Test func test_aSubjectWithItsDocumentsBytes_encodesAsTheWholeSubject() async throws {
        let (account, order, fill) = try await documents()
        // A chain id with characters the splice's own part must escape as the encoder does.
        let chain = "eip155:1/\"x\"\\é"
        let cases: [(EventSubject, [UInt8])] = [
            (.account(account), try StoredJSON.encode(account)),
            (.orderRequest(order), try StoredJSON.encode(order)),
            (.order(OrderView(order: order, chainID: chain)), try StoredJSON.encode(order)),
            (.fulfillment(FulfillmentView(fulfillment: fill, chainID: chain)), try StoredJSON.encode(fill)),
        ]
        for (subject, written) in cases {
            // The splice itself, not `encode(_:written:)`, which would hide a case left unspliced.
            let spliced = try #require(EventCodec.spliced(subject, written))
            #expect(spliced == (try EventCodec.encode(subject)), "\(String(decoding: spliced, as: UTF8.self))")
            #expect(try EventCodec.encode(subject, written: written) == spliced)
            #expect(try EventCodec.decode(spliced) == subject)
            #expect(subject.embeddedDocument != nil)
        }
    }

    /// A subject that carries no stored document is encoded whole, whatever bytes come with it.
    @Test func test_aSubjectWithoutADocument_ignoresTheBytes() throws {
        let notice = ReconciliationBreakNotice(
            found: ReconciliationBreak(check: "custody", asset: "STOCK:AAPL", expectedUnits: 1, actualUnits: 2, message: "m"),
            checkedAt: TradingFixture.saturday)
        let subject = EventSubject.reconciliationBreak(notice)
        #expect(subject.embeddedDocument == nil)
        #expect(EventCodec.spliced(subject, Array("{}".utf8)) == nil)
        #expect(try EventCodec.encode(subject, written: Array("{}".utf8)) == (try EventCodec.encode(subject)))
    }
}
