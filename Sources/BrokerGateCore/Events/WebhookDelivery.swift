import Crypto
import Foundation

/// Tag for webhook delivery ids.
public enum WebhookDeliveryTag {}
public typealias WebhookDeliveryID = Identifier<WebhookDeliveryTag>

public enum WebhookDeliveryStatus: String, Sendable, Codable {
    case pending = "PENDING", delivered = "DELIVERED", failed = "FAILED"
}

/// One try at delivering: what the receiver answered, or why there was no answer.
public struct WebhookAttempt: Sendable, Codable, Equatable {
    public let attemptedAt: Date
    /// The HTTP status, nil when no answer came (refused address, timeout, connection error).
    public let statusCode: Int?
    public let latencyMillis: Int64?
    public let error: String?
    /// The start of the receiver's answer, at most `bodyPrefixMax` bytes, for debugging.
    public let responseBody: String?

    public static let bodyPrefixMax = 1024

    public init(attemptedAt: Date, statusCode: Int?, latencyMillis: Int64?, error: String?, responseBody: String?) {
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.latencyMillis = latencyMillis
        self.error = error.map { String($0.prefix(500)) }
        self.responseBody = responseBody.map { String(decoding: Array($0.utf8.prefix(Self.bodyPrefixMax)), as: UTF8.self) }
    }

    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// One event on its way to one endpoint. Its id on the wire (`webhook-id`) is the event's
/// id, the same on every attempt: the receiver's key for dropping duplicates.
public struct WebhookDelivery: StoredDocument, Equatable {
    public static let kind = "webhook_delivery"

    public let id: WebhookDeliveryID
    public let endpointID: WebhookEndpointID
    public let organizationID: OrganizationID
    public let eventID: String
    public let eventType: String
    public var status: WebhookDeliveryStatus
    public var attempts: [WebhookAttempt]
    public var nextAttemptAt: Date?
    public let createdAt: Date
    public var updatedAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { endpointID.rawValue }
    public var lookupKey: String? { eventID }
    public var statusKey: String? { status.rawValue }
}

/// The fan-out's place in the event feed: events up to here have their deliveries.
struct WebhookFanOutCursor: StoredDocument {
    static let kind = "webhook_fanout"
    static let singletonID = "webhooks"
    var position: Int64
    let createdAt: Date

    var documentID: String { Self.singletonID }
    var ownerOrganizationID: OrganizationID { .house }
}

/// When to try again, per the Standard Webhooks reference schedule (immediately, 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h), compressed to seconds in the sandbox; each wait ±20 %
/// jitter so a receiver coming back is not hit by every retry at once.
public struct WebhookRetryPolicy: Sendable, Equatable {
    /// Waits before attempts 2, 3, …; one attempt more than waits.
    public let waits: [TimeInterval]
    /// Failed attempts in a row, across an endpoint's deliveries, that disable it.
    public let disableAfterFailures: Int

    public static let production = WebhookRetryPolicy(
        waits: [5, 300, 1800, 7200, 18000, 36000, 36000], disableAfterFailures: 50)
    public static let sandbox = WebhookRetryPolicy(waits: [1, 2, 4, 8, 16, 32, 32], disableAfterFailures: 10)

    public init(waits: [TimeInterval], disableAfterFailures: Int) {
        self.waits = waits
        self.disableAfterFailures = disableAfterFailures
    }

    public var attemptsMax: Int { waits.count + 1 }

    /// When attempt `made + 1` is due, after `made` attempts; nil when none is left.
    func next(after made: Int, at now: Date, jitter: Double) -> Date? {
        guard made < attemptsMax else { return nil }
        return now.addingTimeInterval(waits[made - 1] * (0.8 + 0.4 * jitter))
    }
}

/// A delivery to make now, with what it needs.
public struct WebhookJob: Sendable {
    public let delivery: WebhookDelivery
    public let endpoint: WebhookEndpoint
    public let event: Event
}

/// Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under
/// each current secret, space-separated.
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int64, body: [UInt8], secrets: [[UInt8]]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret))
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }
}

/// The delivery side of webhooks: turning numbered events into deliveries, choosing what is
/// due, and recording each attempt's outcome. The sending itself (HTTP) is the API's.
public struct WebhookDispatch: Sendable {
    /// Real time: retries wait on the wall clock, whatever the sandbox's business clock says.
    public let clock: any BusinessClock
    public let policy: WebhookRetryPolicy

    public static let fanOutBatchMax = 200
    public static let duePerEndpointMax = 20

    public init(clock: any BusinessClock, policy: WebhookRetryPolicy) {
        self.clock = clock
        self.policy = policy
    }

    /// Creates a pending delivery per (event, enabled endpoint that wants it) for events
    /// numbered since the last pass; returns how many. One transaction per batch, the
    /// cursor moving with the deliveries it made.
    public func fanOut(_ store: any Store) async throws -> Int {
        var total = 0
        while true {
            let (made, events) = try await store.transaction { tx in try await fanOutBatch(in: tx) }
            total += made
            if events < Self.fanOutBatchMax { return total }
        }
    }

    func fanOutBatch(in tx: any StoreTransaction) async throws -> (deliveries: Int, events: Int) {
        let now = clock.now()
        var cursor =
            try await tx.document(WebhookFanOutCursor.self, id: WebhookFanOutCursor.singletonID)
            ?? WebhookFanOutCursor(position: 0, createdAt: now)
        let isNew = cursor.position == 0
        let events = try await tx.events(owner: nil, after: cursor.position, types: nil, limit: Self.fanOutBatchMax)
        guard let last = events.last?.position else { return (0, 0) }
        var endpoints: [OrganizationID: [WebhookEndpoint]] = [:]
        var made = 0
        for event in events {
            if endpoints[event.organizationID] == nil {
                endpoints[event.organizationID] = try await tx.allDocuments(
                    WebhookEndpoint.self, query: DocumentQuery(owner: event.organizationID, statusKey: "ENABLED"))
            }
            for endpoint in endpoints[event.organizationID] ?? [] where endpoint.wants(event.type) {
                // A whole microsecond apart, in feed order: an endpoint's pending deliveries
                // are read (and sent) oldest first, so a healthy receiver gets them in order.
                // Whole microseconds, as the stores keep them: `now + 1e-6` in a Double is
                // 0.95-1.19 µs later and could round to the same stored microsecond, leaving
                // the order to the random ids (seen on PostgreSQL).
                let created = Date(timeIntervalSince1970: Double(PageCursor.micros(now) + Int64(made)) / 1_000_000)
                try await tx.insertDocument(
                    WebhookDelivery(
                        id: .generate(), endpointID: endpoint.id, organizationID: endpoint.organizationID, eventID: event.id,
                        eventType: event.type, status: .pending, attempts: [], nextAttemptAt: created, createdAt: created,
                        updatedAt: created))
                made += 1
            }
        }
        cursor.position = last
        if isNew, try await tx.document(WebhookFanOutCursor.self, id: WebhookFanOutCursor.singletonID) == nil {
            try await tx.insertDocument(cursor)
        } else {
            try await tx.updateDocument(cursor)
        }
        return (made, events.count)
    }

    /// Deliveries due now, a bounded number per enabled endpoint so one receiver that is
    /// down cannot starve the others.
    public func due(_ store: any Store) async throws -> [WebhookJob] {
        let now = clock.now()
        let (jobs, expired) = try await store.read { tx in
            var jobs: [WebhookJob] = []
            var expired: [WebhookDeliveryID] = []
            let endpoints = try await tx.allDocuments(WebhookEndpoint.self, query: DocumentQuery(owner: nil, statusKey: "ENABLED"))
            for endpoint in endpoints {
                let pending = try await tx.page(
                    WebhookDelivery.self,
                    query: DocumentQuery(
                        owner: endpoint.organizationID, parentID: endpoint.id.rawValue, statusKey: WebhookDeliveryStatus.pending.rawValue,
                        page: PageRequest(limit: Self.duePerEndpointMax)))
                for delivery in pending.items where (delivery.nextAttemptAt ?? .distantFuture) <= now {
                    guard let stored = try await tx.event(id: delivery.eventID) else {
                        expired.append(delivery.id)
                        continue
                    }
                    jobs.append(WebhookJob(delivery: delivery, endpoint: endpoint, event: try Event(stored)))
                }
            }
            return (jobs, expired)
        }
        if !expired.isEmpty { try await failExpired(expired, at: now, store: store) }
        return jobs
    }

    /// Ends deliveries whose event the retention purge deleted (an endpoint disabled for
    /// longer than events are kept, then enabled again): failed, saying why, so they neither
    /// wait forever nor hold the endpoint's due slots. Not the receiver's fault, so they do
    /// not count towards disabling it.
    func failExpired(_ ids: [WebhookDeliveryID], at now: Date, store: any Store) async throws {
        try await store.transaction { tx in
            for id in ids {
                guard var delivery = try await tx.document(WebhookDelivery.self, id: id.rawValue), delivery.status == .pending,
                    try await tx.event(id: delivery.eventID) == nil
                else { continue }
                delivery.attempts.append(
                    WebhookAttempt(
                        attemptedAt: now, statusCode: nil, latencyMillis: nil, error: Self.expiredEventReason, responseBody: nil))
                delivery.status = .failed
                delivery.nextAttemptAt = nil
                delivery.updatedAt = now
                try await tx.updateDocument(delivery)
            }
        }
    }

    static let expiredEventReason = "not sent: the event expired (events are kept for the retention period) before it could be delivered"

    /// Deliveries waiting for endpoints that are enabled: `/ready` and `/metrics`' backlog.
    public func backlog(_ store: any Store) async throws -> Int {
        try await store.read { tx in
            var count = 0
            for endpoint in try await tx.allDocuments(WebhookEndpoint.self, query: DocumentQuery(owner: nil, statusKey: "ENABLED")) {
                count += try await tx.countDocuments(
                    WebhookDelivery.self,
                    query: DocumentQuery(
                        owner: endpoint.organizationID, parentID: endpoint.id.rawValue, statusKey: WebhookDeliveryStatus.pending.rawValue))
            }
            return count
        }
    }

    /// Records an attempt: delivered on 2xx, else retried per the policy or failed when
    /// none is left; a run of failures disables the endpoint and says so in an event.
    @discardableResult
    public func record(_ attempt: WebhookAttempt, of id: WebhookDeliveryID, store: any Store) async throws -> WebhookDelivery? {
        let jitter = Double.random(in: 0...1)
        return try await store.transaction { tx in
            guard var delivery = try await tx.document(WebhookDelivery.self, id: id.rawValue), delivery.status == .pending,
                var endpoint = try await tx.document(WebhookEndpoint.self, id: delivery.endpointID.rawValue)
            else { return nil }
            let now = attempt.attemptedAt
            delivery.attempts.append(attempt)
            delivery.updatedAt = now
            if attempt.succeeded {
                delivery.status = .delivered
                delivery.nextAttemptAt = nil
                endpoint.consecutiveFailures = 0
            } else {
                delivery.nextAttemptAt = policy.next(after: delivery.attempts.count, at: now, jitter: jitter)
                if delivery.nextAttemptAt == nil { delivery.status = .failed }
                endpoint.consecutiveFailures += 1
                if endpoint.isEnabled, endpoint.consecutiveFailures >= policy.disableAfterFailures {
                    endpoint.isEnabled = false
                    endpoint.updatedAt = now
                    endpoint.disabledReason =
                        "disabled after \(endpoint.consecutiveFailures) failed delivery attempts in a row; fix the receiver, then PATCH enabled=true"
                    try await tx.emit(.webhookEndpointDisabled, .webhookEndpoint(endpoint.withoutSecrets), at: now)
                }
            }
            try await tx.updateDocument(delivery)
            try await tx.updateDocument(endpoint)
            return delivery
        }
    }

    /// The caller's deliveries to one endpoint, oldest first unless the page asks otherwise.
    public func deliveries(
        of endpoint: WebhookEndpoint, page: PageRequest, in tx: any StoreTransaction
    ) async throws -> Page<WebhookDelivery> {
        try await tx.page(
            WebhookDelivery.self, query: DocumentQuery(owner: endpoint.organizationID, parentID: endpoint.id.rawValue, page: page))
    }

    /// Queues one delivery again, now, whatever became of it; its attempts so far stay on record.
    public func retry(
        _ id: WebhookDeliveryID, of endpoint: WebhookEndpoint, in tx: any StoreTransaction
    ) async throws -> WebhookDelivery {
        guard var delivery = try await tx.document(WebhookDelivery.self, id: id.rawValue), delivery.endpointID == endpoint.id else {
            throw DomainError.notFound("webhook delivery")
        }
        guard endpoint.isEnabled else {
            throw DomainError(
                .ruleViolation, code: "webhook_endpoint_disabled",
                message: "the endpoint is disabled; enable it (PATCH enabled=true) before retrying its deliveries")
        }
        guard try await tx.event(id: delivery.eventID) != nil else {
            throw DomainError(
                .ruleViolation, code: "event_expired",
                message: "the delivery's event has expired (events are kept for the retention period), so it cannot be sent again")
        }
        delivery.status = .pending
        delivery.nextAttemptAt = clock.now()
        delivery.updatedAt = clock.now()
        try await tx.updateDocument(delivery)
        return delivery
    }
}
