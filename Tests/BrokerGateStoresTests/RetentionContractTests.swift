import BrokerGateCrypto
import Foundation
import Testing

@testable import BrokerGateCore
@testable import BrokerGateStores

/// A second document kind, to show a purge touches only the kind it names.
struct Gizmo: StoredDocument, Equatable {
    static let kind = "gizmo"
    let id: String
    let owner: OrganizationID
    let createdAt: Date

    var documentID: String { id }
    var ownerOrganizationID: OrganizationID { owner }
}

/// The retention purge on every store: bounded batches, oldest first, only rows created
/// before the cutoff, only of the kind named (`RetentionPolicy`).
struct RetentionContractTests {
    static func record(_ organization: OrganizationID, second: Int) -> IdempotencyRecord {
        IdempotencyRecord(
            organizationID: organization, keyHashHex: "key-\(second)", requestHashHex: "h", status: 201, sealedBody: [1, 2, 3],
            createdAt: contractInstant.addingTimeInterval(TimeInterval(second)))
    }

    @Test(arguments: StoreKind.allCases)
    func test_documentPurge_deletesOnlyOlderRowsOfItsKind_inBoundedBatchesOldestFirst(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = OrganizationID.generate()
        try await store.transaction { tx in
            for second in (0..<8).reversed() { try await tx.insertDocument(widget(owner, second: second)) }
            try await tx.insertDocument(Gizmo(id: "g-old", owner: owner, createdAt: contractInstant))
        }
        let cutoff = contractInstant.addingTimeInterval(5)
        let first = try await store.transaction { tx in try await tx.deleteDocuments(Widget.self, createdBefore: cutoff, limit: 3) }
        #expect(first == 3)
        let left = try await store.read { tx in try await tx.allDocuments(Widget.self, query: DocumentQuery(owner: owner)) }
        #expect(left.map(\.id) == ["w-0003", "w-0004", "w-0005", "w-0006", "w-0007"], "the oldest went first")
        let second = try await store.transaction { tx in try await tx.deleteDocuments(Widget.self, createdBefore: cutoff, limit: 3) }
        #expect(second == 2, "a short batch: nothing older is left")
        #expect(try await store.transaction { tx in try await tx.deleteDocuments(Widget.self, createdBefore: cutoff, limit: 3) } == 0)
        let kept = try await store.read { tx in
            (try await tx.document(Widget.self, id: "w-0005") != nil, try await tx.document(Gizmo.self, id: "g-old") != nil)
        }
        #expect(kept.0, "the cutoff is exclusive")
        #expect(kept.1, "another kind is untouched")
    }

    @Test(arguments: StoreKind.allCases)
    func test_idempotencyPurge_isBoundedOldestFirst_andOneKeyCanBeForgotten(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        try await store.transaction { tx in
            try await tx.insertOrganization(organization)
            for second in [4, 0, 3, 1, 2, 9] { try await tx.insertIdempotencyRecord(Self.record(organization.id, second: second)) }
        }
        let cutoff = contractInstant.addingTimeInterval(5)
        #expect(try await store.transaction { tx in try await tx.deleteIdempotencyRecords(createdBefore: cutoff, limit: 2) } == 2)
        let remaining = try await store.read { tx in
            try await [0, 1, 2, 3, 4, 9].asyncFilter {
                try await tx.idempotencyRecord(organizationID: organization.id, keyHashHex: "key-\($0)") != nil
            }
        }
        #expect(remaining == [2, 3, 4, 9])
        try await store.transaction { tx in try await tx.deleteIdempotencyRecord(organizationID: organization.id, keyHashHex: "key-9") }
        try await store.transaction { tx in try await tx.deleteIdempotencyRecord(organizationID: organization.id, keyHashHex: "key-absent")
        }
        let forgotten = try await store.read { tx in try await tx.idempotencyRecord(organizationID: organization.id, keyHashHex: "key-9") }
        #expect(forgotten == nil)
        #expect(try await store.transaction { tx in try await tx.deleteIdempotencyRecords(createdBefore: cutoff, limit: 10) } == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func test_sweeper_purgesExpiredKeysNoncesAndLinks_keepsLiveOnes_andStopsAtItsBound(kind: StoreKind) async throws {
        let store = try await kind.make()
        let organization = makeOrganization()
        let now = contractInstant.addingTimeInterval(30 * 3600)
        let address = try EthereumAddress(parsing: "0x52908400098527886E0F7030069857D2E4169EE7")
        func nonce(_ id: String, ageSeconds: TimeInterval) -> WalletNonce {
            WalletNonce(
                nonce: id, accountID: .generate(), organizationID: organization.id, address: address, chainID: "eip155:1", message: "m",
                expiresAt: now.addingTimeInterval(600 - ageSeconds), usedAt: nil, createdAt: now.addingTimeInterval(-ageSeconds))
        }
        func link(_ id: String, ageSeconds: TimeInterval) -> ManagedKYCLink {
            ManagedKYCLink(
                tokenHashHex: id, entityID: .generate(), organizationID: organization.id, jurisdiction: .baseline,
                issuedByKeyID: .generate(), expiresAt: now.addingTimeInterval(86_400 - ageSeconds), usedAt: now, kycID: nil,
                createdAt: now.addingTimeInterval(-ageSeconds))
        }
        let nonces = [nonce("n-expired", ageSeconds: 601), nonce("n-live", ageSeconds: 60)]
        let links = [link("l-expired", ageSeconds: 86_401), link("l-live", ageSeconds: 3_600)]
        try await store.transaction { tx in
            try await tx.insertOrganization(organization)
            // Five keys from 30 h ago (expired after 24 h), one from an hour ago.
            for second in 0..<5 { try await tx.insertIdempotencyRecord(Self.record(organization.id, second: second)) }
            try await tx.insertIdempotencyRecord(Self.record(organization.id, second: 29 * 3600))
            for nonce in nonces { try await tx.insertDocument(nonce) }
            for link in links { try await tx.insertDocument(link) }
        }
        let sweeper = RetentionSweeper(policy: RetentionPolicy(batchSize: 2, batchesPerRunMax: 2))
        let first = try await sweeper.runDue(now: now, store: store)
        #expect(first.removed == [.idempotencyRecords: 4, .walletNonces: 1, .kycLinks: 1, .events: 0])
        #expect(first.hasMore, "two full batches of keys: the bound stopped the run")
        let second = try await sweeper.runDue(now: now, store: store)
        #expect(second.removed == [.idempotencyRecords: 1, .walletNonces: 0, .kycLinks: 0, .events: 0])
        #expect(!second.hasMore)
        let kept = try await store.read { tx in
            [
                try await tx.idempotencyRecord(organizationID: organization.id, keyHashHex: "key-\(29 * 3600)") != nil,
                try await tx.document(WalletNonce.self, id: "n-live") != nil,
                try await tx.document(WalletNonce.self, id: "n-expired") != nil,
                try await tx.document(ManagedKYCLink.self, id: "l-live") != nil,
                try await tx.document(ManagedKYCLink.self, id: "l-expired") != nil,
            ]
        }
        #expect(kept == [true, true, false, true, false], "live key, nonce and link kept; expired ones gone")
    }

    /// Events go after `eventSeconds`, never ahead of the webhook fan-out, never the newest.
    @Test(arguments: StoreKind.allCases)
    func test_sweeper_purgesOldEvents_onlyOnceFannedOut(kind: StoreKind) async throws {
        let store = try await kind.make()
        let owner = OrganizationID.generate()
        try await store.transaction { tx in
            for second in 1...4 { try await tx.appendEvent(storedEvent(owner, second: second)) }
        }
        _ = try await EventSequencer().drain(store)
        let sweeper = RetentionSweeper(policy: RetentionPolicy(eventSeconds: 3600))
        let now = contractInstant.addingTimeInterval(3600 + 60)
        #expect(try await sweeper.runDue(now: now, store: store).removed[.events] == 0, "no fan-out has passed them")
        try await store.transaction { tx in try await tx.insertDocument(WebhookFanOutCursor(position: 2, createdAt: contractInstant)) }
        #expect(try await sweeper.runDue(now: now, store: store).removed[.events] == 2)
        try await store.transaction { tx in try await tx.updateDocument(WebhookFanOutCursor(position: 4, createdAt: contractInstant)) }
        #expect(try await sweeper.runDue(now: now, store: store).removed[.events] == 1, "the newest stays")
        #expect(try await sweeper.runDue(now: contractInstant.addingTimeInterval(3600), store: store).removed[.events] == 0)
        let left = try await store.read { tx in try await tx.events(owner: owner, after: 0, types: nil, limit: 10) }
        #expect(left.map(\.position) == [4])
    }
}

extension Array where Element: Sendable {
    fileprivate func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var kept: [Element] = []
        for element in self where try await keep(element) { kept.append(element) }
        return kept
    }
}
