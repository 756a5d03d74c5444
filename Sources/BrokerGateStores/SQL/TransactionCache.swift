import BrokerGateCore

/// The rows one transaction attempt has already read or written by key, so reading one of
/// them again costs no statement (a round trip on PostgreSQL) and no decode.
///
/// It answers exactly what the database would, never a guess: a transaction sees its own
/// writes, and under both stores' isolation it sees nothing another transaction commits after
/// it began (SQLite: one writer, and readers in a `BEGIN … COMMIT` snapshot; PostgreSQL: one
/// SERIALIZABLE or REPEATABLE READ snapshot per transaction, customer balance rows also locked
/// `FOR UPDATE` on their first read). So it changes no isolation argument: the first read still
/// takes every lock and predicate lock it took before, and a repeated read took none of its own.
/// It lives as long as one attempt: every attempt (a PostgreSQL retry, a group-commit member)
/// builds a new `SQLTransaction`, and a failed statement changes nothing in it.
///
/// Why: a market buy read its customer's balance rows 8 times to change them 4 times (each
/// change re-reads the row to assert the ledger's invariants on it), and its wallet twice.
struct TransactionCache {
    /// A document as this transaction knows it. Written and prefetched bodies stay bytes until
    /// read, so a read decodes exactly what the database holds, not the caller's value (a `Date`
    /// keeps nanoseconds in memory and microseconds in the store).
    enum Document {
        case absent
        case decoded(any Sendable)
        case stored([UInt8])
        /// Stored by this transaction's last insert or update: read as `.stored` is, and the
        /// bytes an event about the document embeds (`writtenBody(of:)`). Kept apart from
        /// `.stored` because prefetched bytes are the database's spelling (PostgreSQL's JSONB),
        /// not necessarily the encoder's.
        case written([UInt8])
    }

    /// At most this many documents, and as many balances, are kept: a job that walks thousands
    /// of rows in one transaction must not hold them all. Past it new rows are not kept (a kept
    /// row is still updated), so what is kept stays exact and the rest is read from the store.
    static let entriesMax = 256

    private var documents: [DocumentKey: Document] = [:]
    /// Customer balance rows by account (nil: no row). House balances are sums of slots that
    /// other transactions add to blindly, so they are never kept here.
    private var balances: [LedgerAccountID: LedgerBalance?] = [:]
    /// Ledger holds this transaction inserted or read (for update, in a write transaction).
    private var holds: [LedgerHoldID: LedgerHold] = [:]
    /// Parents a prefetch asked for (`prefetchDocuments(_:parents:)`), found or not: one
    /// found is kept among the documents, so asking again would read it twice.
    private var parentsAsked: Set<ParentKey> = []

    // MARK: Documents

    func document<D: StoredDocument>(_ type: D.Type, id: String) -> Document? {
        document(DocumentKey(type, id: id))
    }

    /// Whether this transaction read the document, or wrote it, and found it there.
    func knowsPresent<D: StoredDocument>(_ type: D.Type, id: String) -> Bool {
        switch documents[DocumentKey(kind: D.kind, id: id)] {
        case .decoded, .stored, .written: true
        case .absent, nil: false
        }
    }

    mutating func read<D: StoredDocument>(_ document: D?, _ type: D.Type, id: String) {
        keep(document.map { .decoded($0) } ?? .absent, at: DocumentKey(kind: D.kind, id: id))
    }

    /// After an insert or update: a kept entry must change, or it would answer the old body.
    mutating func wrote<D: StoredDocument>(_ type: D.Type, id: String, body: [UInt8]) {
        keep(.written(body), at: DocumentKey(kind: D.kind, id: id))
    }

    /// The bytes of `key`'s last write in this transaction, while it is not read since.
    func writtenBody(of key: DocumentKey) -> [UInt8]? {
        guard case .written(let body) = documents[key] else { return nil }
        return body
    }

    func document(_ key: DocumentKey) -> Document? {
        documents[key]
    }

    func asked(_ parent: ParentKey) -> Bool {
        parentsAsked.contains(parent)
    }

    mutating func ask(_ parent: ParentKey) {
        parentsAsked.insert(parent)
    }

    /// After a prefetch (`prefetchDocuments`): the body read, or absent when nil.
    mutating func fetched(_ body: [UInt8]?, at key: DocumentKey) {
        keep(body.map { .stored($0) } ?? .absent, at: key)
    }

    private mutating func keep(_ entry: Document, at key: DocumentKey) {
        Self.keep(entry, at: key, in: &documents)
    }

    /// Sets `key` when it is kept already or there is room (`entriesMax`).
    private static func keep<Key: Hashable, Value>(_ value: Value, at key: Key, in entries: inout [Key: Value]) {
        guard entries.count < entriesMax || entries[key] != nil else { return }
        entries[key] = value
    }

    /// After a delete by range: which ids went is not known here, so the kind is forgotten.
    mutating func forget<D: StoredDocument>(_ type: D.Type) {
        documents = documents.filter { $0.key.kind != D.kind }
    }

    // MARK: Customer balances

    func balance(_ id: LedgerAccountID) -> LedgerBalance?? {
        balances[id]
    }

    mutating func read(_ balance: LedgerBalance?, of id: LedgerAccountID) {
        Self.keep(balance, at: id, in: &balances)
    }

    /// After the upsert of `balance`. A row this transaction never read stays unknown (its
    /// organization is not known here), so the next read asks the store.
    mutating func wrote(_ balance: LedgerBalance) {
        guard case .some(let known) = balances[balance.id] else { return }
        balances[balance.id] = balance.stored(over: known)
    }
}

extension TransactionCache {
    // MARK: Ledger holds

    func hold(_ id: LedgerHoldID) -> LedgerHold? {
        holds[id]
    }

    /// After a read, an insert or an update: the hold as the store now holds it (instants in
    /// whole microseconds, as a read gives them back).
    mutating func keep(_ hold: LedgerHold) {
        Self.keep(hold.asStored, at: hold.id, in: &holds)
    }
}

extension LedgerHold {
    /// `self` with its instants at the store's precision (`SQLTime`).
    var asStored: LedgerHold {
        LedgerHold(
            id: id, account: account, amountUnits: amountUnits, postedUnits: postedUnits, status: status, referenceKind: referenceKind,
            referenceID: referenceID, createdAt: SQLTime.date(SQLTime.micros(createdAt)),
            updatedAt: SQLTime.date(SQLTime.micros(updatedAt)))
    }
}

extension LedgerBalance {
    /// The row once `self` is saved over `existing`: every store's upsert writes the units and
    /// keeps the organization of a row that exists (an account never changes hands).
    func stored(over existing: LedgerBalance?) -> LedgerBalance {
        LedgerBalance(
            id: id, balanceUnits: balanceUnits, heldUnits: heldUnits, organizationID: existing?.organizationID ?? organizationID)
    }
}
