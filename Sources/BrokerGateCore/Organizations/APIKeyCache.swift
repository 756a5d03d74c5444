import Synchronization

/// A bounded cache of API keys with their organizations, kept for a few seconds.
///
/// Why: every authenticated request needs its key's salted hash, and reading it from the
/// store cost as much as the request's own work. What may be cached, and for how long:
/// - Only what the store returned for an existing key; an unknown key id is read every
///   time (so a key created on another replica works at once, and probing random ids
///   gains nothing: the failed-authentication throttle bounds that traffic).
/// - For `timeToLive` (default 2 s): a key revoked on any replica stops working on every
///   replica within that time (README, "Replicas").
/// - The secret is never cached in the clear: the caller verifies the presented secret
///   against the cached salted hash on every request, in constant time.
/// At most `entriesMax` keys are held; past that, expired entries are dropped, and if none
/// are, the cache is emptied (a flood of distinct valid keys costs reads, never memory).
public final class APIKeyCache: Sendable {
    public typealias Entry = (key: APIKeyRecord, organization: Organization?)

    private struct Cached {
        let entry: Entry
        let expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[APIKeyID: Cached]>([:])
    public let timeToLive: Duration
    public let entriesMax: Int
    private let now: @Sendable () -> ContinuousClock.Instant

    public init(
        timeToLive: Duration = .seconds(2), entriesMax: Int = 10_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        precondition(entriesMax > 0)
        self.timeToLive = timeToLive
        self.entriesMax = entriesMax
        self.now = now
    }

    /// Keys held now (expired ones included until the bound sweeps them).
    var count: Int { entries.withLock { $0.count } }

    /// The cached entry for `id`, or what `load` reads (cached when it found a key).
    public func entry(_ id: APIKeyID, load: () async throws -> Entry?) async throws -> Entry? {
        let instant = now()
        if let cached = entries.withLock({ $0[id] }), cached.expires > instant { return cached.entry }
        guard let loaded = try await load() else {
            entries.withLock { _ = $0.removeValue(forKey: id) }
            return nil
        }
        let expires = instant.advanced(by: timeToLive)
        entries.withLock { entries in
            if entries.count >= entriesMax {
                entries = entries.filter { $0.value.expires > instant }
                if entries.count >= entriesMax { entries.removeAll(keepingCapacity: true) }
            }
            entries[id] = Cached(entry: loaded, expires: expires)
        }
        return loaded
    }
}
