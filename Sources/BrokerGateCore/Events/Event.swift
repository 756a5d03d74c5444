import BrokerGateCrypto
import Foundation

/// Tag for event ids.
public enum EventTag {}
/// Version 7 UUIDs: they sort by creation time, like the list they appear in.
public typealias EventID = Identifier<EventTag>

/// The resource an event is about, as Core knows it; the API renders it exactly as the
/// resource's own GET does, so a webhook's `data` and a GET never disagree.
public enum EventSubject: Sendable, Codable, Equatable {
    case kycCheck(KYCCheck)
    case account(Account)
    case wallet(WalletRecord)
    case orderRequest(OrderRecord)
    case order(OrderView)
    case fulfillment(FulfillmentView)
    case withdrawalRequest(WithdrawalRequestRecord)
    case withdrawal(WithdrawalRecord)
    case tokenTransfer(TokenTransferRecord)
    case interestPayment(InterestPayment)
    case reconciliationBreak(ReconciliationBreakNotice)
    case webhookEndpoint(WebhookEndpoint)

    /// The organization the event belongs to; the house for operator kinds.
    var owner: OrganizationID {
        switch self {
        case .kycCheck(let check): check.organizationID
        case .account(let account): account.organizationID
        case .wallet(let wallet): wallet.organizationID
        case .orderRequest(let order): order.organizationID
        case .order(let view): view.order.organizationID
        case .fulfillment(let view): view.fulfillment.organizationID
        case .withdrawalRequest(let request): request.organizationID
        case .withdrawal(let withdrawal): withdrawal.organizationID
        case .tokenTransfer(let transfer): transfer.organizationID
        case .interestPayment(let payment): payment.organizationID
        case .reconciliationBreak: .house
        case .webhookEndpoint(let endpoint): endpoint.organizationID
        }
    }

    /// The stored document this subject carries whole, for the kinds emitted right after
    /// their document is written on the order and account paths (`EventCodec.encode(_:written:)`).
    var embeddedDocument: DocumentKey? {
        switch self {
        case .account(let account): DocumentKey(Account.self, id: account.documentID)
        case .orderRequest(let order): DocumentKey(OrderRecord.self, id: order.documentID)
        case .order(let view): DocumentKey(OrderRecord.self, id: view.order.documentID)
        case .fulfillment(let view): DocumentKey(FulfillmentRecord.self, id: view.fulfillment.documentID)
        default: nil
        }
    }
}

/// A reconciliation break as the operators' event carries it: the finding and when the
/// pass that found it ran.
public struct ReconciliationBreakNotice: Sendable, Codable, Equatable {
    public let found: ReconciliationBreak
    public let checkedAt: Date

    public init(found: ReconciliationBreak, checkedAt: Date) {
        self.found = found
        self.checkedAt = checkedAt
    }
}

/// One event as partners see it. `position` is its place in the feed: assigned after the
/// change commits (`EventRepository.sequenceEvents`), in commit order, never reused.
public struct Event: Sendable, Equatable {
    public let id: EventID
    public let organizationID: OrganizationID
    public let type: EventType
    public let createdAt: Date
    public let subject: EventSubject
    public let position: Int64

    public init(_ stored: StoredEvent) throws {
        guard let type = EventType(rawValue: stored.type), let position = stored.position else {
            throw StoreError("stored event \(stored.id) has an unknown type \(stored.type) or no position")
        }
        id = EventID(trusted: stored.id)
        organizationID = stored.organizationID
        self.type = type
        createdAt = stored.createdAt
        subject = try EventCodec.decode(stored.payload)
        self.position = position
    }
}

/// An event row as stores keep it: the subject is opaque bytes to them.
public struct StoredEvent: Sendable, Equatable {
    public let id: String
    public let organizationID: OrganizationID
    public let type: String
    public let createdAt: Date
    public let payload: [UInt8]
    /// Nil until sequenced.
    public let position: Int64?

    public init(id: String, organizationID: OrganizationID, type: String, createdAt: Date, payload: [UInt8], position: Int64?) {
        self.id = id
        self.organizationID = organizationID
        self.type = type
        self.createdAt = createdAt
        self.payload = payload
        self.position = position
    }
}

/// The event outbox. Events are appended inside the transaction that makes the change (a
/// crash never loses or invents one) without a position; a single sequencing step then
/// numbers committed events in commit order. Readers only ever see numbered events, so a
/// reader that has seen position n has seen everything before it: resuming "after n"
/// misses nothing, even though transactions commit in another order than they began.
public protocol EventRepository: Sendable {
    func appendEvent(_ event: StoredEvent) async throws
    /// Numbers up to `limit` committed, unnumbered events, in the order they were written,
    /// after the highest number given so far; returns how many it numbered.
    func sequenceEvents(limit: Int) async throws -> Int
    /// Whether any committed event waits for its number.
    func hasUnsequencedEvents() async throws -> Bool
    /// Numbered events of `owner` (every organization's when nil) after `position`, in
    /// order, of the given types (all when nil).
    func events(owner: OrganizationID?, after position: Int64, types: [String]?, limit: Int) async throws -> [StoredEvent]
    func event(id: String) async throws -> StoredEvent?
    /// The highest position among `owner`'s numbered events, 0 when it has none.
    func latestEventPosition(owner: OrganizationID) async throws -> Int64
    /// Deletes numbered events from the front of the feed (lowest position first): those
    /// created before `cutoff` at positions up to `positionMax`, stopping at the first that
    /// is not, and after `limit`; never the newest numbered event, after whose position
    /// numbering continues. Returns how many. A range of the position index from its
    /// start, never a scan: an event the sandbox clock stamped later than one after it
    /// waits for its own cutoff, and holds back those after it until then.
    func deleteEvents(createdBefore cutoff: Date, positionMax: Int64, limit: Int) async throws -> Int
}

/// The subject's bytes, in the documents' JSON (`StoredJSON`), so an event round-trips
/// exactly like the document it copies.
enum EventCodec {
    static func encode(_ subject: EventSubject) throws -> [UInt8] {
        try StoredJSON.encode(subject)
    }

    /// `encode(subject)`, with the stored JSON of the document the subject carries
    /// (`EventSubject.embeddedDocument`) put in as `written` holds it instead of encoded
    /// again: the same bytes, since a document's stored JSON is `StoredJSON`'s, which writes
    /// a nested value exactly as it writes that value alone. `written` must be the JSON of the
    /// document in `subject` (`DocumentRepository.writtenBody(of:)` right after writing it);
    /// debug builds check every output against `encode(subject)`.
    ///
    /// Why: on the SQLite writer's thread, which every write waits for, encoding each event's
    /// subject was 5.8 % of the thread under market buys (three events, each carrying the
    /// order or fill just written) and 5.4 % under account openings.
    static func encode(_ subject: EventSubject, written: [UInt8]?) throws -> [UInt8] {
        guard let written, let spliced = spliced(subject, written) else { return try encode(subject) }
        assert(
            spliced == (try? encode(subject)),
            "an event's subject is not the document as its transaction wrote it: \(String(decoding: spliced, as: UTF8.self))")
        return spliced
    }

    /// The synthesized `Codable` shape of the subject's case (`{"case":{"_0":…}}`), with
    /// `document` in the document's place; nil for a case that carries none.
    static func spliced(_ subject: EventSubject, _ document: [UInt8]) -> [UInt8]? {
        switch subject {
        case .account: wrapped("account", document)
        case .orderRequest: wrapped("orderRequest", document)
        case .order(let view): wrapped("order", viewed(chainID: view.chainID, key: "order", document))
        case .fulfillment(let view): wrapped("fulfillment", viewed(chainID: view.chainID, key: "fulfillment", document))
        default: nil
        }
    }

    private static func wrapped(_ caseName: String, _ value: [UInt8]?) -> [UInt8]? {
        guard let value else { return nil }
        return Array("{\"\(caseName)\":{\"_0\":".utf8) + value + Array("}}".utf8)
    }

    /// `OrderView`'s and `FulfillmentView`'s keys, sorted: `chainID` before the document's.
    private static func viewed(chainID: String, key: String, _ document: [UInt8]) -> [UInt8]? {
        guard let chain = try? StoredJSON.encode(chainID) else { return nil }
        return Array("{\"chainID\":".utf8) + chain + Array(",\"\(key)\":".utf8) + document + Array("}".utf8)
    }

    static func decode(_ bytes: [UInt8]) throws -> EventSubject {
        do {
            return try StoredJSON.decoder().decode(EventSubject.self, from: Data(bytes))
        } catch {
            throw StoreError("stored event does not decode: \(error)")
        }
    }
}

/// The JSON of everything the stores keep as documents: sorted keys, instants as integer
/// microseconds (no floating point in stored data).
public enum StoredJSON {
    /// The stored JSON of `value` (what `encoder()` writes).
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try SortedKeysJSONEncoder.encode(value, options: options, orElse: encoder())
    }

    static let options = SortedKeysJSONEncoder.Options(escapesSlashes: true, dateText: nil)

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(PageCursor.micros(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[EthereumAddress.storedFormKey] = true
        decoder.dateDecodingStrategy = .custom { decoder in
            let micros = try decoder.singleValueContainer().decode(Int64.self)
            return Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000)
        }
        return decoder
    }
}

extension StoreTransaction {
    /// Records, in this transaction, that `subject` changed as `type` says.
    func emit(_ type: EventType, _ subject: EventSubject, at now: Date) async throws {
        try await appendEvent(
            StoredEvent(
                id: UUIDText.version7(at: now), organizationID: subject.owner, type: type.rawValue, createdAt: now,
                payload: try EventCodec.encode(subject, written: subject.embeddedDocument.flatMap(writtenBody(of:))), position: nil))
    }

    /// The order's event for its current status, with the chain its account settles on.
    func emitOrderStatus(_ order: OrderRecord, at now: Date) async throws {
        guard let type = EventType.order(order) else { return }
        var chains = AccountChains()
        try await emit(type, .order(try await chains.view(order, in: self)), at: now)
    }

    /// The KYC check's event for its current status, if partners act on it.
    func emitKYCStatus(_ check: KYCCheck, at now: Date) async throws {
        guard let type = EventType.kyc(check) else { return }
        try await emit(type, .kycCheck(check), at: now)
    }
}
