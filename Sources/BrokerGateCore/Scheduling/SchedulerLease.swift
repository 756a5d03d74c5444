import Foundation
import Synchronization

/// Who runs the cluster-wide jobs (order dispatch, queued-order release and expiry,
/// interest accrual) when several replicas share one store: the holder of a lease
/// document. A replica takes the lease when it is free or expired and renews it on every
/// tick; a replica that dies stops renewing, and another takes over once `ttl` has passed.
///
/// Leases run on real time (`now`, injected), never on the business clock: moving the
/// sandbox clock must not hand the jobs around. Taking and renewing are one store
/// transaction each, so two replicas racing for a free lease cannot both win (SERIALIZABLE
/// on PostgreSQL, one writer on SQLite).
public struct SchedulerLease: Sendable {
    public static let name = "scheduler"
    public let holder: String
    public let ttl: TimeInterval
    public let now: @Sendable () -> Date

    public init(holder: String, ttl: TimeInterval = 5, now: @escaping @Sendable () -> Date) {
        self.holder = holder
        self.ttl = ttl
        self.now = now
    }

    /// Takes or renews the lease; true when this replica holds it for the next `ttl`.
    public func acquire(store: any Store) async throws -> Bool {
        let holder = holder, ttl = ttl, now = now
        return try await store.transaction { tx in
            let instant = now()
            guard var lease = try await tx.document(SchedulerLeaseRecord.self, id: Self.name) else {
                try await tx.insertDocument(
                    SchedulerLeaseRecord(holder: holder, expiresAt: instant + ttl, acquiredAt: instant, createdAt: instant))
                return true
            }
            guard lease.holder == holder || lease.expiresAt <= instant else { return false }
            if lease.holder != holder { lease.acquiredAt = instant }
            lease.holder = holder
            lease.expiresAt = instant + ttl
            try await tx.updateDocument(lease)
            return true
        }
    }

    /// Gives the lease up at once (graceful shutdown), so another replica need not wait `ttl`.
    public func release(store: any Store) async throws {
        let holder = holder, now = now
        try await store.transaction { tx in
            guard var lease = try await tx.document(SchedulerLeaseRecord.self, id: Self.name), lease.holder == holder else { return }
            lease.expiresAt = now()
            try await tx.updateDocument(lease)
        }
    }

    /// The current holder, for operators.
    public static func current(store: any Store) async throws -> SchedulerLeaseRecord? {
        try await store.read { tx in try await tx.document(SchedulerLeaseRecord.self, id: name) }
    }
}

/// The stored lease.
public struct SchedulerLeaseRecord: StoredDocument, Equatable {
    public static let kind = "scheduler_lease"

    public var holder: String
    public var expiresAt: Date
    public var acquiredAt: Date
    public let createdAt: Date

    public var documentID: String { SchedulerLease.name }
    public var ownerOrganizationID: OrganizationID { .house }
}

/// Whether this replica holds the scheduler lease now: renewed by the lease loop, read by
/// every cluster-wide job before it ticks.
public final class SchedulerRole: Sendable {
    private let leading = Mutex(false)

    public init(leading: Bool = false) {
        self.leading.withLock { $0 = leading }
    }

    public var isLeader: Bool { leading.withLock { $0 } }

    public func set(_ value: Bool) { leading.withLock { $0 = value } }
}
