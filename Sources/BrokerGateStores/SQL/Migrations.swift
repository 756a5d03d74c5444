import BrokerGateCore

/// The versioned schema. Append-only: a released migration is never edited, a change is a
/// new version. Applied in order inside one transaction each; `schema_migrations` records
/// what ran, so a restart (or a second replica) applies nothing twice.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]
}

/// SQL differences between the two engines, kept to type names.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    var blobType: String { self == .sqlite ? "BLOB" : "BYTEA" }
    /// Storage for rows rewritten all the time (balances): on PostgreSQL, free room in every
    /// page, so an update can stay on its page without touching any index (a HOT update).
    /// At SERIALIZABLE that matters beyond speed: a new index entry is a write into a
    /// b-tree page every reader of any row on that page holds a predicate lock on, so with
    /// full pages each balance update looked like a conflict with every concurrent order
    /// (pivot aborts, SQLSTATE 40001, measured under the 64-connection order load).
    var hotUpdateStorage: String { self == .postgres ? " WITH (fillfactor = 25)" : "" }
    /// A monotonically increasing integer primary key.
    var autoIncrementKey: String { self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY" }
}

public enum Migrations {
    /// The newest version this build knows; `/ready` fails until the store is at it.
    public static var latestVersion: Int { all(.sqlite).last!.version }

    /// Refuses a schema at another version than this build's (`/ready`, `verify-store`).
    /// `engine` names the store in the message ("SQLite", "PostgreSQL").
    static func requireCurrent(_ version: Int64?, engine: String) throws(DomainError) {
        guard version == Int64(latestVersion) else {
            throw DomainError(
                .unavailable, code: "store_not_migrated",
                message: "\(engine) schema is at version \(version ?? 0), expected \(latestVersion)")
        }
    }

    /// The query that reads a store's schema version.
    static let versionQuery = "SELECT MAX(version) AS v FROM schema_migrations"

    public static func all(_ dialect: SQLDialect) -> [Migration] {
        [
            Migration(
                version: 1, name: "organizations_keys_idempotency",
                statements: [
                    """
                    CREATE TABLE organizations (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('PARTNER', 'OPERATOR')),
                        created_at BIGINT NOT NULL
                    )
                    """,
                    "CREATE INDEX organizations_role ON organizations (role, created_at)",
                    """
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        organization_id TEXT NOT NULL REFERENCES organizations (id),
                        salt_hex TEXT NOT NULL,
                        secret_hash_hex TEXT NOT NULL,
                        created_at BIGINT NOT NULL,
                        revoked_at BIGINT
                    )
                    """,
                    """
                    CREATE TABLE idempotency_records (
                        organization_id TEXT NOT NULL REFERENCES organizations (id),
                        key_hash_hex TEXT NOT NULL,
                        request_hash_hex TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        sealed_body \(dialect.blobType) NOT NULL,
                        created_at BIGINT NOT NULL,
                        PRIMARY KEY (organization_id, key_hash_hex)
                    )
                    """,
                    "CREATE INDEX idempotency_records_created ON idempotency_records (created_at)",
                ]),
            Migration(
                version: 2, name: "documents_and_blobs",
                statements: [
                    """
                    CREATE TABLE documents (
                        kind TEXT NOT NULL,
                        id TEXT NOT NULL,
                        organization_id TEXT NOT NULL,
                        parent_id TEXT,
                        lookup_key TEXT,
                        unique_key TEXT,
                        status_key TEXT,
                        created_at BIGINT NOT NULL,
                        body \(dialect.blobType) NOT NULL,
                        PRIMARY KEY (kind, id),
                        UNIQUE (kind, organization_id, unique_key)
                    )
                    """,
                    "CREATE INDEX documents_owner ON documents (kind, organization_id, created_at, id)",
                    "CREATE INDEX documents_parent ON documents (kind, parent_id, created_at, id)",
                    "CREATE INDEX documents_lookup ON documents (kind, organization_id, lookup_key)",
                    "CREATE INDEX documents_status ON documents (kind, status_key, created_at, id)",
                    "CREATE TABLE blobs (id TEXT PRIMARY KEY, bytes \(dialect.blobType) NOT NULL)",
                ]),
            Migration(
                version: 3, name: "ledger",
                statements: [
                    // Real columns, not documents: sums and invariants are queries.
                    """
                    CREATE TABLE ledger_balances (
                        account TEXT PRIMARY KEY,
                        asset TEXT NOT NULL,
                        is_customer INTEGER NOT NULL,
                        organization_id TEXT,
                        balance_units BIGINT NOT NULL,
                        held_units BIGINT NOT NULL,
                        CHECK (held_units >= 0),
                        CHECK (is_customer = 0 OR (balance_units >= 0 AND held_units <= balance_units))
                    )
                    """,
                    "CREATE INDEX ledger_balances_asset ON ledger_balances (asset, account)",
                    """
                    CREATE TABLE ledger_transfers (
                        sequence \(dialect.autoIncrementKey),
                        id TEXT NOT NULL UNIQUE,
                        asset TEXT NOT NULL,
                        debit TEXT NOT NULL,
                        credit TEXT NOT NULL,
                        amount_units BIGINT NOT NULL CHECK (amount_units > 0),
                        reason TEXT NOT NULL,
                        reference_kind TEXT NOT NULL,
                        reference_id TEXT NOT NULL,
                        hold_id TEXT,
                        created_at BIGINT NOT NULL,
                        CHECK (debit <> credit)
                    )
                    """,
                    "CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit, sequence)",
                    "CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit, sequence)",
                    "CREATE INDEX ledger_transfers_reference ON ledger_transfers (reference_kind, reference_id)",
                    """
                    CREATE TABLE ledger_holds (
                        id TEXT PRIMARY KEY,
                        account TEXT NOT NULL,
                        amount_units BIGINT NOT NULL CHECK (amount_units > 0),
                        posted_units BIGINT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('PENDING', 'POSTED', 'VOIDED')),
                        reference_kind TEXT NOT NULL,
                        reference_id TEXT NOT NULL,
                        created_at BIGINT NOT NULL,
                        updated_at BIGINT NOT NULL,
                        CHECK (posted_units >= 0 AND posted_units <= amount_units)
                    )
                    """,
                ]),
            Migration(
                version: 4, name: "rate_buckets",
                statements: [
                    // Cluster-wide rate limits (PostgreSQL replicas); unused by the one-process stores.
                    """
                    CREATE TABLE rate_buckets (
                        key TEXT PRIMARY KEY,
                        tokens_micro BIGINT NOT NULL,
                        updated_us BIGINT NOT NULL,
                        allowed INTEGER NOT NULL
                    )
                    """,
                    "CREATE INDEX rate_buckets_updated ON rate_buckets (updated_us)",
                ]),
            Migration(
                version: 5, name: "documents_ordered_lookups",
                statements: [
                    // Without the first three, SQLite pages "newest KYC check of this entity
                    // with status X" and "fulfillments of this account" by walking an index that
                    // only orders (documents_status, documents_owner) and filtering each row:
                    // every call read every PASS check, or every fulfillment, of the organization
                    // (~35 ms at 10k customers, growing linearly; found by scripts/bench's
                    // scaling curve). With the filter and the order in one index the walk stops
                    // at the page.
                    "CREATE INDEX documents_parent_status ON documents (kind, parent_id, status_key, created_at, id)",
                    "DROP INDEX documents_lookup",
                    "CREATE INDEX documents_lookup ON documents (kind, organization_id, lookup_key, created_at, id)",
                    // Walks over every document of a kind (the reconciliation reads every
                    // fulfillment each minute, in one transaction) sorted the whole kind for
                    // each page: 9 s holding the store at 10k fills, quadratic beyond.
                    "CREATE INDEX documents_kind ON documents (kind, created_at, id)",
                ]),
            Migration(
                version: 6, name: "ledger_house_slots",
                statements: [
                    // House accounts move to a table of their own, up to HouseSlots.count rows
                    // (slots) per account summed on read, so concurrent orders crediting the
                    // same house account write different rows (issue 16: on PostgreSQL every
                    // buy serialized on the house's fee, cash and custody rows). A table apart
                    // from the customers' rows, because SERIALIZABLE's predicate locks grow
                    // from rows to whole pages: an order that read a few customer rows held a
                    // lock on their page, and any house row on that page then conflicted with
                    // it. Existing house rows become slot 0.
                    """
                    CREATE TABLE ledger_house_slots (
                        account TEXT NOT NULL,
                        slot INTEGER NOT NULL CHECK (slot >= 0),
                        asset TEXT NOT NULL,
                        balance_units BIGINT NOT NULL,
                        PRIMARY KEY (account, slot)
                    )\(dialect.hotUpdateStorage)
                    """,
                    "CREATE INDEX ledger_house_slots_asset ON ledger_house_slots (asset, account)",
                    """
                    INSERT INTO ledger_house_slots (account, slot, asset, balance_units)
                    SELECT account, 0, asset, balance_units FROM ledger_balances WHERE is_customer = 0
                    """,
                    "DELETE FROM ledger_balances WHERE is_customer = 0",
                ]
                    + (dialect == .postgres
                        ? [
                            // Room in every page for in-place (HOT) updates of balances and holds,
                            // which touch no index (see hotUpdateStorage); pages written from now.
                            "ALTER TABLE ledger_balances SET (fillfactor = 25)",
                            "ALTER TABLE ledger_holds SET (fillfactor = 50)",
                        ] : [])),
            queryableDocuments(dialect),
            Migration(
                version: 8, name: "events",
                statements: [
                    // The event outbox (issue 18). A row is written with its change, without a
                    // position; the sequencer numbers committed rows in the order they were
                    // written (`written`: a transaction's events in its order, a transaction
                    // begun after another committed after it), and readers see numbered rows
                    // only (see `EventRepository`). Not by created_at: one business instant
                    // holds many events, and the sandbox clock may be set back. The subject is
                    // JSON text an operator can query, as documents' bodies are.
                    """
                    CREATE TABLE events (
                        written \(dialect.autoIncrementKey),
                        id TEXT NOT NULL UNIQUE,
                        organization_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        created_at BIGINT NOT NULL,
                        payload TEXT NOT NULL,
                        position BIGINT
                    )
                    """,
                    // Partial indexes: rows waiting for a number sit in a small index of their
                    // own, and the numbered ones in indexes that never hold a NULL.
                    "CREATE INDEX events_unsequenced ON events (written) WHERE position IS NULL",
                    "CREATE UNIQUE INDEX events_position ON events (position) WHERE position IS NOT NULL",
                    "CREATE INDEX events_owner_position ON events (organization_id, position) WHERE position IS NOT NULL",
                ]),
            Migration(
                version: 9, name: "api_key_names_and_scopes",
                statements: [
                    // Keys an organization manages itself (issue 23): a label, read-only keys,
                    // and its keys listed newest first. Existing keys keep full access.
                    "ALTER TABLE api_keys ADD COLUMN name TEXT",
                    "ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0",
                    "CREATE INDEX api_keys_organization ON api_keys (organization_id, created_at)",
                ]),
            Migration(
                version: 10, name: "idempotency_records_without_organization_lock",
                // PostgreSQL checks a foreign key by locking the referenced row (`SELECT … FOR
                // KEY SHARE`), so every idempotent write of an organization locked its one
                // organization row: with many at once that lock is a MultiXact rewritten by each
                // new holder, and a WAL record each time. Dropped: a record is only ever written
                // for the caller's own organization, which authenticated the request, and
                // organizations are never deleted. Market buys at 64 connections +12 %, the
                // server's CPU per buy −13 % (BENCHMARKS.md, stop 43). SQLite checks the key with
                // an index lookup and locks nothing: its constraint stays (dropping it would
                // rebuild the table).
                statements: dialect == .postgres
                    ? ["ALTER TABLE idempotency_records DROP CONSTRAINT idempotency_records_organization_id_fkey"] : []),
        ]
    }
}
