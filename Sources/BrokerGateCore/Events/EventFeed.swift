import Foundation

/// Reading the event feed: a partner reads its organization's events, an operator the
/// operator kinds. Pages are cut by position, so "after the last id I saw" always resumes
/// exactly where the reader stopped, as long as that event is kept (`RetentionPolicy`).
public struct EventFeed: Sendable {
    public static let limitDefault = 20
    public static let limitMax = 100

    let clock: any BusinessClock
    let retention: RetentionPolicy

    public init(clock: any BusinessClock, retention: RetentionPolicy) {
        self.clock = clock
        self.retention = retention
    }

    /// One page of the caller's events after `after` (an event id the caller has seen;
    /// nil = from the start), of `types` (nil = all). `hasMore` says whether another page waits.
    public func page(
        after: String?, types: [EventType]?, limit: Int, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (events: [Event], hasMore: Bool) {
        guard (1...Self.limitMax).contains(limit) else {
            throw DomainError.invalidField("limit", "must be between 1 and \(Self.limitMax) (got \(limit))")
        }
        let start = try await position(after: after, for: principal, in: tx)
        return try await page(from: start, types: types, limit: limit, for: principal, in: tx)
    }

    /// One page after a position already resolved (the event stream's cursor).
    public func page(
        from position: Int64, types: [EventType]?, limit: Int, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (events: [Event], hasMore: Bool) {
        let rows = try await tx.events(
            owner: Self.owner(of: principal), after: position, types: types?.map(\.rawValue), limit: limit + 1)
        let events = try rows.prefix(limit).map(Event.init)
        return (events, rows.count > limit)
    }

    /// The position of the caller's event `id` (0 for nil: before the first event). An id
    /// that is not one of the caller's events is refused: resuming from a guess could skip
    /// events. So is one the retention has deleted, saying so: the reader has a gap to
    /// account for. Event ids are version 7 UUIDs of their business instant, so an id from
    /// before the cutoff that is not one of the caller's kept events has expired, whoever's
    /// it was and whether or not another organization's copy is still waiting for the purge:
    /// the answer depends on the id's instant alone, so it tells nothing about other
    /// organizations' events (anyone can write such an id).
    public func position(after id: String?, for principal: Principal, in tx: any StoreTransaction) async throws -> Int64 {
        guard let id else { return 0 }
        let eventID = EventID(parsing: id)
        let stored = try await eventID.asyncMap { try await tx.event(id: $0.rawValue) } ?? nil
        if let stored, stored.organizationID == Self.owner(of: principal), let position = stored.position {
            return position
        }
        if let made = eventID.flatMap({ UUIDText.version7Instant($0.rawValue) }),
            made < retention.eventCutoff(now: clock.now())
        {
            let kept = Int(retention.eventSeconds)
            let period = kept % 86_400 == 0 ? "\(kept / 86_400) days" : "\(kept) seconds"
            throw DomainError(
                .malformed, code: "event_expired",
                message:
                    "after: events are kept \(period) and \"\(id.prefix(40))\" is older: it is deleted, and so may be events after it you have not read; read again without `after` to start from the oldest event kept"
            )
        }
        throw DomainError.invalidField(
            "after", "\"\(id.prefix(40))\" is not the id of one of your events; pass an id from a page or the stream unchanged")
    }

    /// The caller's newest position: a stream started "from now" resumes after it.
    public func latestPosition(for principal: Principal, in tx: any StoreTransaction) async throws -> Int64 {
        try await tx.latestEventPosition(owner: Self.owner(of: principal))
    }

    /// Whose events a principal reads: its own, or the house's (operator kinds) for operators.
    static func owner(of principal: Principal) -> OrganizationID {
        principal.isOperator ? .house : principal.organizationID
    }
}

/// Numbers committed events in commit order. Each pass is one short transaction; run by
/// every gateway process (concurrent passes on PostgreSQL serialize, the loser retries),
/// so the feed keeps moving while any replica lives.
public struct EventSequencer: Sendable {
    public static let batchMax = 500

    public init() {}

    /// Numbers everything waiting; returns how many events it numbered.
    public func drain(_ store: any Store) async throws -> Int {
        var total = 0
        while try await store.read({ tx in try await tx.hasUnsequencedEvents() }) {
            let numbered = try await store.transaction { tx in try await tx.sequenceEvents(limit: Self.batchMax) }
            total += numbered
            if numbered < Self.batchMax { break }
        }
        return total
    }
}
