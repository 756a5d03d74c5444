/// Migration 7: documents an operator can query with plain SQL, in fewer bytes.
///
/// - Bodies become JSON the database understands: `JSONB` on PostgreSQL, JSON text on
///   SQLite (`json_extract`, `->>` work), converted in place from the JSON bytes they held.
/// - Orders keep their real status in `status_key` (it folded every open state into `OPEN`);
///   "open" is now the list `OrderRecord.openStatusKeys`, matched in the store.
/// - Views `orders` and `fulfillments` name each field with a typed column, so `psql` and
///   `sqlite3` answer "open orders of account X" or "fills of order Y" without knowing what
///   `parent_id` or `lookup_key` mean for that kind (README, "Querying the store"). Views,
///   not second tables: one write path, no column stored twice, and the generic document
///   repository that the memory store also implements stays as it is.
/// - Index entries only where the column is set: most kinds have no lookup, status or unique
///   key, and each of those entries repeated kind, organization and id (~100 bytes) per row.
///   Every query that uses such an index compares the column, which implies NOT NULL, so
///   both engines still pick it.
extension Migrations {
    static func queryableDocuments(_ dialect: SQLDialect) -> Migration {
        Migration(
            version: 7, name: "queryable_documents",
            statements: (dialect == .sqlite ? sqliteRebuild : postgresConversion) + partialIndexes + views)
    }

    /// SQLite cannot change a column's type or drop a table constraint in place: copy into
    /// the new shape (body as text, the real order status), then swap.
    private static let sqliteRebuild = [
        """
        CREATE TABLE documents_v6 (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            parent_id TEXT,
            lookup_key TEXT,
            unique_key TEXT,
            status_key TEXT,
            created_at BIGINT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        )
        """,
        """
        INSERT INTO documents_v6 (kind, id, organization_id, parent_id, lookup_key, unique_key, status_key, created_at, body)
        SELECT kind, id, organization_id, parent_id, lookup_key, unique_key,
            CASE WHEN kind = 'order' THEN CAST(body AS TEXT) ->> 'status' ELSE status_key END, created_at, CAST(body AS TEXT)
        FROM documents ORDER BY kind, created_at, id
        """,
        "DROP TABLE documents",
        "ALTER TABLE documents_v6 RENAME TO documents",
        "CREATE INDEX documents_owner ON documents (kind, organization_id, created_at, id)",
        "CREATE INDEX documents_kind ON documents (kind, created_at, id)",
    ]

    /// PostgreSQL converts the column in place and rebuilds the indexes it keeps.
    private static let postgresConversion = [
        "ALTER TABLE documents ALTER COLUMN body TYPE JSONB USING convert_from(body, 'UTF8')::jsonb",
        "UPDATE documents SET status_key = body ->> 'status' WHERE kind = 'order'",
        "ALTER TABLE documents DROP CONSTRAINT documents_kind_organization_id_unique_key_key",
        "DROP INDEX documents_parent",
        "DROP INDEX documents_parent_status",
        "DROP INDEX documents_lookup",
        "DROP INDEX documents_status",
    ]

    private static let partialIndexes = [
        "CREATE UNIQUE INDEX documents_unique ON documents (kind, organization_id, unique_key) WHERE unique_key IS NOT NULL",
        "CREATE INDEX documents_parent ON documents (kind, parent_id, created_at, id) WHERE parent_id IS NOT NULL",
        """
        CREATE INDEX documents_parent_status ON documents (kind, parent_id, status_key, created_at, id)
        WHERE parent_id IS NOT NULL AND status_key IS NOT NULL
        """,
        "CREATE INDEX documents_lookup ON documents (kind, organization_id, lookup_key, created_at, id) WHERE lookup_key IS NOT NULL",
        "CREATE INDEX documents_status ON documents (kind, status_key, created_at, id) WHERE status_key IS NOT NULL",
    ]

    /// The same SQL on both engines: `->>` reads a JSON field as SQL text (SQLite ≥ 3.38,
    /// PostgreSQL's JSONB), `->` as JSON, so decimal amounts keep their exact digits as text.
    /// Times are integer microseconds since the epoch, like every table here.
    private static let views = [
        """
        CREATE VIEW orders AS SELECT
            id, organization_id, parent_id AS account_id, lookup_key AS request_id,
            body ->> 'entityID' AS entity_id, body ->> 'clientOrderID' AS client_order_id,
            body ->> 'stockID' AS stock_id, body ->> 'symbol' AS symbol,
            body ->> 'side' AS side, body ->> 'type' AS type, body ->> 'tif' AS tif,
            status_key AS status, body ->> 'requestStatus' AS request_status,
            CAST(body -> 'paymentAmount' AS TEXT) AS payment_amount, CAST(body -> 'assetQuantity' AS TEXT) AS asset_quantity,
            CAST(body -> 'limitPrice' AS TEXT) AS limit_price,
            CAST(body ->> 'filledQuantityUnits' AS BIGINT) AS filled_quantity_units,
            CAST(body ->> 'paymentUnits' AS BIGINT) AS payment_units, CAST(body ->> 'feeUnits' AS BIGINT) AS fee_units,
            created_at, CAST(body ->> 'updatedAt' AS BIGINT) AS updated_at, body
        FROM documents WHERE kind = 'order'
        """,
        """
        CREATE VIEW fulfillments AS SELECT
            id, organization_id, parent_id AS order_id, lookup_key AS account_id,
            body ->> 'stockID' AS stock_id, body ->> 'side' AS side,
            CAST(body ->> 'quantityUnits' AS BIGINT) AS quantity_units,
            CAST(body ->> 'paymentUnits' AS BIGINT) AS payment_units, CAST(body ->> 'feeUnits' AS BIGINT) AS fee_units,
            CAST(body -> 'price' AS TEXT) AS price, unique_key AS transaction_hash, created_at, body
        FROM documents WHERE kind = 'fulfillment'
        """,
    ]
}
