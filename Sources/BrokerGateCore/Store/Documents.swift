import Foundation

/// A business object stored as a versioned JSON document with a few indexed columns.
///
/// Why documents: entities, KYC checks, accounts, wallets and orders are read and written
/// whole, by id or by a handful of keys, always inside one organization. Storing them as
/// Codable documents with explicit index columns keeps the memory, SQLite and PostgreSQL
/// stores one generic implementation each, so a new aggregate costs no new SQL. Money never
/// lives here: balances are ledger rows with real columns.
public protocol StoredDocument: Codable, Sendable {
    /// The collection name; part of the table key, never shown on the wire.
    static var kind: String { get }
    var documentID: String { get }
    /// The organization that owns this object; every query is scoped by it.
    var ownerOrganizationID: OrganizationID { get }
    /// The object this one hangs under (an entity for accounts, an account for orders).
    var parentID: String? { get }
    /// A non-unique lookup value (e.g. a partner's `reference_id`).
    var lookupKey: String? { get }
    /// Unique per (kind, organization) when set (e.g. `entity:client_order_id`).
    var uniqueKey: String? { get }
    /// Whether a taken `uniqueKey` can only be a bug: the system made the key (a fill's
    /// transaction hash), no caller chose it (a `client_order_id`). A store may then insert
    /// the document as one without a unique key, with the writes it holds (PostgreSQL: no
    /// round trip of its own), and a collision fails the transaction instead of answering
    /// `duplicate_key`.
    static var uniqueKeyIsSystemMade: Bool { get }
    /// A status for queue queries (e.g. KYC checks waiting for review).
    var statusKey: String? { get }
    var createdAt: Date { get }
    /// Whether a transaction soon after the one writing this version reads it again (an
    /// open order: its settlement, or the engine's next pass). A store that keeps a memo of
    /// decoded documents may then decode what it wrote ahead of that read, away from its
    /// write path (`SQLiteStore`). A hint: answering wrong costs time, never correctness.
    var isReadBackSoon: Bool { get }
}

extension StoredDocument {
    public var parentID: String? { nil }
    public var lookupKey: String? { nil }
    public var uniqueKey: String? { nil }
    public static var uniqueKeyIsSystemMade: Bool { false }
    public var statusKey: String? { nil }
    public var isReadBackSoon: Bool { false }
}

/// Which documents to list. Owner is optional only for operator views across
/// organizations (e.g. the KYC review queue).
///
/// `parentIDs` and `statusKeys` match any of their values, so "fills of these orders" and
/// "orders in any open status" are one indexed query with the page cut in the store, never
/// a filter over pages already cut. An empty list matches nothing.
public struct DocumentQuery: Sendable, Equatable {
    public var owner: OrganizationID?
    public var parentIDs: [String]?
    public var lookupKey: String?
    public var statusKeys: [String]?
    public var page: PageRequest

    /// Most values one any-of filter may hold: a bound on the statement the SQL stores build.
    public static let anyOfMax = PageRequest.limitMax

    public init(
        owner: OrganizationID?, parentID: String? = nil, parentIDs: [String]? = nil, lookupKey: String? = nil, statusKey: String? = nil,
        statusKeys: [String]? = nil, page: PageRequest = .init()
    ) {
        precondition(parentID == nil || parentIDs == nil, "pass parentID or parentIDs, not both")
        precondition(statusKey == nil || statusKeys == nil, "pass statusKey or statusKeys, not both")
        precondition((parentIDs?.count ?? 0) <= Self.anyOfMax && (statusKeys?.count ?? 0) <= Self.anyOfMax, "too many values in a filter")
        self.owner = owner
        self.parentIDs = parentIDs ?? parentID.map { [$0] }
        self.lookupKey = lookupKey
        self.statusKeys = statusKeys ?? statusKey.map { [$0] }
        self.page = page
    }
}

/// A position in a (created_at, id) ordering: the key of the last item seen.
public struct PageCursor: Sendable, Equatable {
    public let createdAtMicros: Int64
    public let id: String

    public init(createdAtMicros: Int64, id: String) {
        self.createdAtMicros = createdAtMicros
        self.id = id
    }

    /// Opaque on the wire: base64url of "micros:id".
    public var token: String {
        Data("\(createdAtMicros):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public init(token: String) throws(DomainError) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.utf8.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":"), let micros = Int64(text[..<colon])
        else {
            throw .invalidField(
                "next/previous", "is not a cursor returned by this API; pass pagination_metadata.next or .previous unchanged")
        }
        createdAtMicros = micros
        id = String(text[text.index(after: colon)...])
    }

    public static func of(_ document: some StoredDocument) -> PageCursor {
        PageCursor(createdAtMicros: Self.micros(document.createdAt), id: document.documentID)
    }

    /// Instants as integer microseconds, the resolution every store keeps.
    public static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.toNearestOrEven))
    }
}

/// Page size, direction and cursor of a list request.
public struct PageRequest: Sendable, Equatable {
    public enum Order: String, Sendable { case asc, desc }
    public enum Direction: Sendable, Equatable { case after(PageCursor), before(PageCursor), start }

    public var limit: Int
    public var order: Order
    public var direction: Direction

    public static let limitDefault = 20
    public static let limitMax = 100

    public init(limit: Int = PageRequest.limitDefault, order: Order = .asc, direction: Direction = .start) {
        self.limit = limit
        self.order = order
        self.direction = direction
    }
}

/// One page and the cursors around it.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let next: PageCursor?
    public let previous: PageCursor?

    public init(items: [Item], next: PageCursor?, previous: PageCursor?) {
        self.items = items
        self.next = next
        self.previous = previous
    }

    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), next: next, previous: previous)
    }
}

/// A document's kind and id: its key in the store.
public struct DocumentKey: Hashable, Sendable {
    public let kind: String
    public let id: String

    public init(kind: String, id: String) {
        self.kind = kind
        self.id = id
    }

    public init<D: StoredDocument>(_ type: D.Type, id: String) {
        self.init(kind: D.kind, id: id)
    }
}

/// The document another one names as its parent (`StoredDocument.parentID`), found through
/// that other's key: an account's entity, read in the same prefetch as the account before
/// its id is known.
public struct ParentKey: Hashable, Sendable {
    /// The parent's kind.
    public let kind: String
    /// The document whose parent it is.
    public let child: DocumentKey

    public init<Parent: StoredDocument>(_ type: Parent.Type, of child: DocumentKey) {
        self.kind = Parent.kind
        self.child = child
    }
}

/// Generic document persistence. `fetchDocuments` returns up to `limit + 1` rows in the
/// requested walking direction so `DocumentPaging` can tell whether another page exists.
public protocol DocumentRepository: Sendable {
    /// Inserts; throws `DomainError` code `duplicate_key` when `uniqueKey` is taken.
    func insertDocument<D: StoredDocument>(_ document: D) async throws
    /// Replaces an existing document (same kind and id).
    func updateDocument<D: StoredDocument>(_ document: D) async throws
    func document<D: StoredDocument>(_ type: D.Type, id: String) async throws -> D?
    func document<D: StoredDocument>(_ type: D.Type, owner: OrganizationID, uniqueKey: String) async throws -> D?
    /// Reads the documents at `keys` together, ahead of the `document(_:id:)` calls of this
    /// transaction that want them, which then cost nothing more: on the SQL stores one
    /// statement for all, where each read by id is one (a round trip on PostgreSQL). A hint
    /// with no answer of its own; a store with nothing to gain does nothing.
    func prefetchDocuments(_ keys: [DocumentKey]) async throws
    /// `prefetchDocuments(keys)`, and the parents of `parents`' children with them: on the SQL
    /// stores in the same statement, where reading a parent after its child is a statement
    /// (a round trip on PostgreSQL) of its own. A hint as well.
    func prefetchDocuments(_ keys: [DocumentKey], parents: [ParentKey]) async throws
    /// Raw rows for a page walk: filtered, ordered by (created_at, id) ascending when
    /// `ascending`, strictly beyond `cursor` when given, at most `limit` rows.
    func fetchDocuments<D: StoredDocument>(
        _ type: D.Type, query: DocumentQuery, ascending: Bool, cursor: PageCursor?, limit: Int
    ) async throws -> [D]
    func countDocuments<D: StoredDocument>(_ type: D.Type, query: DocumentQuery) async throws -> Int
    /// Opaque binary content (KYC document files), write-once.
    func insertBlob(id: String, bytes: [UInt8]) async throws
    func blob(id: String) async throws -> [UInt8]?
    /// Deletes at most `limit` documents of a kind created before `cutoff`, oldest first;
    /// returns how many. For the retention purge of kinds that expire (`RetentionPolicy`),
    /// never for business records.
    func deleteDocuments<D: StoredDocument>(_ type: D.Type, createdBefore cutoff: Date, limit: Int) async throws -> Int
    /// The stored JSON of the version of `key` this transaction wrote last (inserted or
    /// updated), nil when it wrote none or no longer keeps it. An event about a document this
    /// transaction just wrote embeds these bytes instead of encoding the document a second
    /// time (`EventCodec.encode(_:written:)`). A hint: nil costs that second encoding only.
    func writtenBody(of key: DocumentKey) -> [UInt8]?
}

extension DocumentRepository {
    public func prefetchDocuments(_ keys: [DocumentKey]) async throws {}

    public func prefetchDocuments(_ keys: [DocumentKey], parents: [ParentKey]) async throws {
        try await prefetchDocuments(keys)
    }

    public func writtenBody(of key: DocumentKey) -> [UInt8]? { nil }

    /// Inserts `document`, or replaces the stored one with its id: for singletons (a job's
    /// cursor) and documents stored only once something changes them.
    public func saveDocument<D: StoredDocument>(_ document: D) async throws {
        if try await self.document(D.self, id: document.documentID) == nil {
            try await insertDocument(document)
        } else {
            try await updateDocument(document)
        }
    }

    /// Every document `query` matches, walking its pages (the query's own page is ignored).
    /// For sets that stay small (an order's fills, the open orders, the broker's positions).
    public func allDocuments<D: StoredDocument>(_ type: D.Type, query: DocumentQuery) async throws -> [D] {
        try await allDocuments(type, query: query, after: nil, atMost: .max) ?? []
    }

    /// The documents `query` matches after `cursor` (from the first when nil), walking its
    /// pages in (created_at, id) order; nil as soon as there are more than `limit`.
    public func allDocuments<D: StoredDocument>(
        _ type: D.Type, query: DocumentQuery, after cursor: PageCursor?, atMost limit: Int
    ) async throws -> [D]? {
        var query = query
        query.page = PageRequest(limit: PageRequest.limitMax, direction: cursor.map { .after($0) } ?? .start)
        var documents: [D] = []
        while true {
            let page = try await page(type, query: query)
            documents += page.items
            if documents.count > limit { return nil }
            guard let next = page.next else { return documents }
            query.page.direction = .after(next)
        }
    }

    /// A page per the request's order and direction, with next/previous cursors.
    public func page<D: StoredDocument>(_ type: D.Type, query: DocumentQuery) async throws -> Page<D> {
        let request = query.page
        let limit = min(max(request.limit, 1), PageRequest.limitMax)
        let forward = request.order == .asc
        switch request.direction {
        case .start, .after:
            let cursor: PageCursor? = if case .after(let c) = request.direction { c } else { nil }
            let rows = try await fetchDocuments(type, query: query, ascending: forward, cursor: cursor, limit: limit + 1)
            let items = Array(rows.prefix(limit))
            return Page(
                items: items, next: rows.count > limit ? items.last.map(PageCursor.of) : nil,
                previous: cursor == nil ? nil : items.first.map(PageCursor.of))
        case .before(let cursor):
            let rows = try await fetchDocuments(type, query: query, ascending: !forward, cursor: cursor, limit: limit + 1)
            let items = Array(rows.prefix(limit).reversed())
            return Page(
                items: items, next: items.last.map(PageCursor.of),
                previous: rows.count > limit ? items.first.map(PageCursor.of) : nil)
        }
    }
}

extension OrganizationID {
    /// Owner of the house's own documents (the reserves signing key, the scheduler lease):
    /// no organization's routes can reach them.
    public static let house = OrganizationID(trusted: "00000000-0000-0000-0000-000000000000")
}
