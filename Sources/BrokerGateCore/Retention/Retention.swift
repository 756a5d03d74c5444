import Foundation

/// How long the gateway keeps what only matters for a while, and the purge that forgets it.
///
/// - Idempotency records: `idempotencySeconds` (24 hours by default, as Stripe keeps keys;
///   `--idempotency-retention-hours`). A key older than that is new again
///   (`IdempotencyPolicy.isExpired`) even before the purge reaches its record.
/// - Wallet-link nonces: once their 10-minute lifetime is over, used or not (a used one is
///   refused anyway, and nothing else reads them).
/// - Managed KYC links: once their 24-hour lifetime is over, used or not; the check a link
///   created keeps its own record. An old link then answers 404 "ask for a new link".
/// - Events: `eventSeconds` (30 days by default, as Stripe keeps events;
///   `--event-retention-days`), and only once the webhook fan-out has passed them. An event
///   is a notification that copies a resource; the resource itself (the order, the KYC
///   check, the ledger) is kept for good. The feed answers an expired `after` cursor with
///   `event_expired` (`EventFeed`), and a delivery still pending for an expired event fails
///   saying so (`WebhookDispatch`).
///
/// Why by creation time: each kind has a fixed lifetime from creation, and `created_at` is
/// indexed in every store (`documents_kind`, `idempotency_records_created`), so a purge is
/// an index range, never a scan of bodies. Events are purged from the front of their
/// position index instead (`EventRepository.deleteEvents`): no index of their own to keep
/// for it, on the table that grows fastest.
public struct RetentionPolicy: Sendable, Equatable {
    public var idempotencySeconds: TimeInterval
    public var eventSeconds: TimeInterval
    /// Rows one purge transaction deletes at most: short transactions that never hold the
    /// SQLite writer or PostgreSQL row locks long, however much expired at once.
    public var batchSize: Int
    /// Batches one run deletes at most per kind; the rest waits for the next run.
    public var batchesPerRunMax: Int

    public static let batchSizeDefault = 500
    public static let batchesPerRunMaxDefault = 20
    /// Bounds of `--idempotency-retention-hours`: at least as long as a client retries
    /// (an hour), at most 30 days.
    public static let idempotencyHoursRange = 1...720
    public static let eventSecondsDefault: TimeInterval = 30 * 86_400
    /// Bounds of `--event-retention-days`: a day at least (a reader down for a night
    /// catches up), ten years at most.
    public static let eventDaysRange = 1...3650

    public init(
        idempotencySeconds: TimeInterval = IdempotencyPolicy.retentionSeconds, eventSeconds: TimeInterval = Self.eventSecondsDefault,
        batchSize: Int = Self.batchSizeDefault, batchesPerRunMax: Int = Self.batchesPerRunMaxDefault
    ) {
        precondition(
            idempotencySeconds > 0 && eventSeconds > 0 && batchSize > 0 && batchesPerRunMax > 0, "retention bounds must be positive")
        self.idempotencySeconds = idempotencySeconds
        self.eventSeconds = eventSeconds
        self.batchSize = batchSize
        self.batchesPerRunMax = batchesPerRunMax
    }

    public static let standard = RetentionPolicy()

    /// What each purge removes at `now`: rows created before its cutoff.
    func purges(now: Date) -> [RetentionPurge] {
        [
            RetentionPurge(kind: .idempotencyRecords, cutoff: now.addingTimeInterval(-idempotencySeconds)) { tx, cutoff, limit in
                try await tx.deleteIdempotencyRecords(createdBefore: cutoff, limit: limit)
            },
            RetentionPurge(kind: .walletNonces, cutoff: now.addingTimeInterval(-WalletService.nonceLifetimeSeconds)) { tx, cutoff, limit in
                try await tx.deleteDocuments(WalletNonce.self, createdBefore: cutoff, limit: limit)
            },
            RetentionPurge(kind: .kycLinks, cutoff: now.addingTimeInterval(-ManagedKYCLinks.lifetimeSeconds)) { tx, cutoff, limit in
                try await tx.deleteDocuments(ManagedKYCLink.self, createdBefore: cutoff, limit: limit)
            },
            RetentionPurge(kind: .events, cutoff: eventCutoff(now: now)) { tx, cutoff, limit in
                // Never ahead of the webhook fan-out: an event not yet fanned out still owes
                // its deliveries, however old (a fan-out stopped for a month).
                let fannedOut = try await tx.document(WebhookFanOutCursor.self, id: WebhookFanOutCursor.singletonID)?.position ?? 0
                return try await tx.deleteEvents(createdBefore: cutoff, positionMax: fannedOut, limit: limit)
            },
        ]
    }

    /// Events created before this instant may be gone.
    public func eventCutoff(now: Date) -> Date {
        now.addingTimeInterval(-eventSeconds)
    }
}

/// One kind of expiring row and how to delete a batch of it.
struct RetentionPurge: Sendable {
    let kind: RetentionKind
    let cutoff: Date
    let deleteBatch: @Sendable (any StoreTransaction, Date, Int) async throws -> Int
}

/// What the retention purge forgets.
public enum RetentionKind: String, Sendable, CaseIterable {
    case idempotencyRecords = "idempotency_records"
    case walletNonces = "wallet_nonces"
    case kycLinks = "kyc_links"
    case events
}

/// Rows one run removed, by kind, and whether any kind has more waiting past the bound.
public struct RetentionSummary: Sendable, Equatable {
    public var removed: [RetentionKind: Int] = [:]
    /// True when a kind hit `batchesPerRunMax` with full batches: the next run continues.
    public var hasMore = false

    public init() {}

    public var total: Int { removed.values.reduce(0, +) }
}

/// Runs the purge: per kind, batches of `batchSize` rows in transactions of their own until a
/// batch comes back short or `batchesPerRunMax` is reached. Idempotent and safe on every
/// replica, but the scheduler runs it only on the lease holder (`RetentionService`).
public struct RetentionSweeper: Sendable {
    public let policy: RetentionPolicy

    public init(policy: RetentionPolicy = .standard) {
        self.policy = policy
    }

    public func runDue(now: Date, store: any Store) async throws -> RetentionSummary {
        var summary = RetentionSummary()
        for purge in policy.purges(now: now) {
            var removed = 0
            for batch in 1...policy.batchesPerRunMax {
                let limit = policy.batchSize
                let count = try await store.transaction { tx in try await purge.deleteBatch(tx, purge.cutoff, limit) }
                removed += count
                guard count == limit else { break }
                if batch == policy.batchesPerRunMax { summary.hasMore = true }
            }
            summary.removed[purge.kind] = removed
        }
        return summary
    }
}
