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
}

public enum Migrations {
    /// The newest version this build knows; `/ready` fails until the store is at it.
    public static var latestVersion: Int { all(.sqlite).last!.version }

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
        ]
    }
}
