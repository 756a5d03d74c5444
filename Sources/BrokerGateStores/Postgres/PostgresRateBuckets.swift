import BrokerGateCore
import PostgresNIO

/// Cluster-wide token buckets in the shared database: one upsert per take (of one token, or
/// of a replica's lease of several: `ClusterRateLimiter`), atomic under the row lock
/// `ON CONFLICT DO UPDATE` holds, so replicas never both spend the last token.
///
/// The take commits with `synchronous_commit = off`: every request of one API key updates
/// that key's row, and a row lock is held until commit, so with a durable commit each take
/// waited for the previous one's WAL flush and one key's requests went through one fsync at
/// a time (a hot row like the house balances of issue 16). A bucket is not business data: a
/// crash may forget the last fraction of a second of spending, i.e. grant one burst again,
/// and no response the gateway gave depends on it surviving. The setting is made by the
/// statement itself (`set_config(…, true)`, local to its implicit transaction), so the take
/// stays one round trip: an explicit BEGIN … COMMIT held the row lock across four, which
/// under a busy gateway cost more than the flush it saved.
extension PostgresStore: SharedRateBuckets {
    /// One token in millionths.
    static let tokenMicro: Int64 = 1_000_000
    /// Refill is computed over at most this long an idle span (a full bucket anyway), which
    /// also keeps `elapsed × rate` far from overflow.
    static let refillSpanMaxMicros: Int64 = 3_600_000_000

    public func takeRateTokens(_ key: String, upTo wanted: Int, refill: RateRefill, burst: Int, nowMicros: Int64) async throws -> RateGrant
    {
        precondition(wanted >= 1, "a take asks for a token at least")
        let capacity = Int64(burst) * Self.tokenMicro
        // refilled = min(capacity, tokens + min(span, max(0, now − updated)) × tokens ÷ seconds);
        // taken = min(wanted, whole tokens in refilled), never negative. The `allowed` column
        // keeps the count the last take got. $1 key, $2 capacity, $3 now, $4 refill tokens,
        // $5 span cap, $6 refill seconds, $7 wanted.
        let refilled = "LEAST($2, rate_buckets.tokens_micro + LEAST($5, GREATEST(0, $3 - rate_buckets.updated_us)) * $4 / $6)"
        let taken = "LEAST($7, \(refilled) / 1000000)"
        let sql = """
            INSERT INTO rate_buckets (key, tokens_micro, updated_us, allowed)
            SELECT $1, $2 - LEAST($7, $2 / 1000000) * 1000000, $3, LEAST($7, $2 / 1000000)
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS commit_without_flush
            ON CONFLICT (key) DO UPDATE SET
                tokens_micro = \(refilled) - \(taken) * 1000000,
                allowed = \(taken),
                updated_us = GREATEST(rate_buckets.updated_us, $3)
            RETURNING tokens_micro, allowed
            """
        let binds: [SQLValue] = [
            .text(key), .integer(capacity), .integer(nowMicros), .integer(Int64(refill.tokens)), .integer(Self.refillSpanMaxMicros),
            .integer(Int64(refill.seconds)), .integer(Int64(wanted)),
        ]
        guard let row = try await queryLeased(sql, binds).first else { throw StoreError("rate bucket upsert returned no row") }
        let (tokens, granted) = (try row.integer("tokens_micro"), Int(try row.integer("allowed")))
        return RateGrant(granted: granted, retryAfterMicros: granted > 0 ? 0 : refill.microsUntilOneToken(from: tokens))
    }

    public func drainedRateBuckets(prefix: String, refill: RateRefill, nowMicros: Int64, limit: Int) async throws -> [DrainedBucket] {
        // Only rows below one token at their last take can still be below one now; the
        // refill since then is computed here, exactly as a take would.
        let sql = """
            SELECT key, tokens_micro + LEAST($3, GREATEST(0, $2 - updated_us)) * $4 / $5 AS refilled
            FROM rate_buckets WHERE starts_with(key, $1) AND tokens_micro < 1000000
            ORDER BY tokens_micro LIMIT $6
            """
        let binds: [SQLValue] = [
            .text(prefix), .integer(nowMicros), .integer(Self.refillSpanMaxMicros), .integer(Int64(refill.tokens)),
            .integer(Int64(refill.seconds)), .integer(Int64(limit)),
        ]
        return try await queryLeased(sql, binds).compactMap { row in
            let refilled = try row.integer("refilled")
            guard refilled < Self.tokenMicro else { return nil }
            return DrainedBucket(key: try row.text("key"), retryAfterMicros: refill.microsUntilOneToken(from: refilled))
        }
    }

    public func rateBucketTouchedMicros(_ key: String) async throws -> Int64? {
        try await queryLeased("SELECT updated_us FROM rate_buckets WHERE key = $1", [.text(key)]).first.map { try $0.integer("updated_us") }
    }

    /// One statement on a pooled connection, outside any transaction.
    private func queryLeased(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let logger = logger
        return try await PostgresStoreError.converting {
            try await withLeasedConnection { connection in
                try await PostgresExecutor(connection: connection, logger: logger, counters: counters).query(sql, binds)
            }
        }
    }

    public func pruneRateBuckets(idleBeforeMicros: Int64) async throws -> Int {
        var binds = PostgresBindings(capacity: 1)
        binds.append(idleBeforeMicros)
        return try await PostgresStoreError.converting {
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "DELETE FROM rate_buckets WHERE updated_us < $1 RETURNING 1", binds: binds), logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }
}
