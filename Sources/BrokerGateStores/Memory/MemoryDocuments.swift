import BrokerGateCore
import Foundation

/// A stored document row: the JSON bytes plus the index columns, as the SQL stores keep them.
struct MemoryDocumentRow: Sendable {
    let owner: OrganizationID
    let parentID: String?
    let lookupKey: String?
    let uniqueKey: String?
    let statusKey: String?
    let cursor: PageCursor
    let body: [UInt8]

    init<D: StoredDocument>(_ document: D) throws {
        owner = document.ownerOrganizationID
        parentID = document.parentID
        lookupKey = document.lookupKey
        uniqueKey = document.uniqueKey
        statusKey = document.statusKey
        cursor = PageCursor.of(document)
        body = try DocumentCodec.encode(document)
    }

    func matches(_ query: DocumentQuery) -> Bool {
        (query.owner == nil || query.owner == owner) && Self.isAny(parentID, of: query.parentIDs)
            && (query.lookupKey == nil || query.lookupKey == lookupKey) && Self.isAny(statusKey, of: query.statusKeys)
    }

    /// An any-of filter: nil matches every row, a list only rows holding one of its values.
    private static func isAny(_ value: String?, of wanted: [String]?) -> Bool {
        guard let wanted else { return true }
        return value.map(wanted.contains) ?? false
    }
}

extension MemoryTransaction {
    func insertDocument<D: StoredDocument>(_ document: D) async throws {
        let row = try MemoryDocumentRow(document)
        try write { tables in
            var collection = tables.documents[D.kind, default: [:]]
            guard collection[document.documentID] == nil else { throw StoreError("duplicate \(D.kind) id \(document.documentID)") }
            if let unique = row.uniqueKey, collection.values.contains(where: { $0.owner == row.owner && $0.uniqueKey == unique }) {
                throw DocumentCodec.duplicate
            }
            collection[document.documentID] = row
            tables.documents[D.kind] = collection
        }
    }

    func updateDocument<D: StoredDocument>(_ document: D) async throws {
        let row = try MemoryDocumentRow(document)
        try write { tables in
            guard tables.documents[D.kind]?[document.documentID] != nil else {
                throw StoreError("update of missing \(D.kind) \(document.documentID)")
            }
            tables.documents[D.kind]?[document.documentID] = row
        }
    }

    func document<D: StoredDocument>(_ type: D.Type, id: String) async throws -> D? {
        guard let row = read({ $0.documents[D.kind]?[id] }) else { return nil }
        return try DocumentCodec.decode(type, row.body)
    }

    func document<D: StoredDocument>(_ type: D.Type, owner: OrganizationID, uniqueKey: String) async throws -> D? {
        let row = read { tables in tables.documents[D.kind]?.values.first { $0.owner == owner && $0.uniqueKey == uniqueKey } }
        return try row.map { try DocumentCodec.decode(type, $0.body) }
    }

    func fetchDocuments<D: StoredDocument>(
        _ type: D.Type, query: DocumentQuery, ascending: Bool, cursor: PageCursor?, limit: Int
    ) async throws -> [D] {
        let rows = read { tables in Array((tables.documents[D.kind] ?? [:]).values.filter { $0.matches(query) }) }
        let key = { (row: MemoryDocumentRow) in (row.cursor.createdAtMicros, row.cursor.id) }
        let sorted = rows.sorted { ascending ? key($0) < key($1) : key($0) > key($1) }
        let beyond = sorted.filter { row in
            guard let cursor else { return true }
            let position = (cursor.createdAtMicros, cursor.id)
            return ascending ? key(row) > position : key(row) < position
        }
        return try beyond.prefix(limit).map { try DocumentCodec.decode(type, $0.body) }
    }

    func countDocuments<D: StoredDocument>(_ type: D.Type, query: DocumentQuery) async throws -> Int {
        read { tables in (tables.documents[D.kind] ?? [:]).values.filter { $0.matches(query) }.count }
    }

    func insertBlob(id: String, bytes: [UInt8]) async throws {
        try write { tables in
            guard tables.blobs[id] == nil else { throw StoreError("duplicate blob \(id)") }
            tables.blobs[id] = bytes
        }
    }

    func blob(id: String) async throws -> [UInt8]? {
        read { $0.blobs[id] }
    }

    func deleteDocuments<D: StoredDocument>(_ type: D.Type, createdBefore cutoff: Date, limit: Int) async throws -> Int {
        let cutoffMicros = PageCursor.micros(cutoff)
        return try write { tables in
            let expired = (tables.documents[D.kind] ?? [:]).values.filter { $0.cursor.createdAtMicros < cutoffMicros }
            let batch = expired.sorted { ($0.cursor.createdAtMicros, $0.cursor.id) < ($1.cursor.createdAtMicros, $1.cursor.id) }.prefix(
                limit)
            for row in batch { tables.documents[D.kind]?[row.cursor.id] = nil }
            return batch.count
        }
    }
}
