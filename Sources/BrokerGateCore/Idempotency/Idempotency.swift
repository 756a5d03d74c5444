import BrokerGateCrypto
import Crypto
import Foundation

/// The recorded first outcome of a write sent with an `Idempotency-Key` (DESIGN.md rule 4).
/// A retry with the same key and the same request replays `status` and the body byte for
/// byte; with another request it is refused (422).
///
/// Why sealed: a first response can carry a one-time secret (a new organization's API key).
/// The store keeps neither the raw key nor the plain body: rows are found by a hash of the
/// key and the body is AES-GCM sealed under a key derived from the Idempotency-Key itself,
/// so a copy of the database alone does not reveal replayable secrets. Clients should use
/// random keys (UUIDs), as the SDKs do.
public struct IdempotencyRecord: Sendable, Equatable, Codable {
    public let organizationID: OrganizationID
    /// SHA-256 (hex) of the organization id and the Idempotency-Key.
    public let keyHashHex: String
    /// SHA-256 (hex) of method, path and body: what "the same request" means.
    public let requestHashHex: String
    public let status: Int
    /// AES-GCM combined box (nonce, ciphertext, tag) of the response body.
    public let sealedBody: [UInt8]
    public let createdAt: Date

    public init(
        organizationID: OrganizationID, keyHashHex: String, requestHashHex: String, status: Int, sealedBody: [UInt8], createdAt: Date
    ) {
        self.organizationID = organizationID
        self.keyHashHex = keyHashHex
        self.requestHashHex = requestHashHex
        self.status = status
        self.sealedBody = sealedBody
        self.createdAt = createdAt
    }
}

/// The idempotency rules, in one place.
public enum IdempotencyPolicy {
    /// How long a key replays by default (Stripe's 24 hours); `RetentionPolicy` carries the
    /// configured value and the purge removes older records.
    public static let retentionSeconds: TimeInterval = 24 * 3600
    /// Bound on a key's length (Stripe and Dinari use ≤ 255).
    public static let keyLengthMax = 255

    /// Validates the header value: printable ASCII, 1...255 characters.
    public static func validatedKey(_ raw: String) throws(DomainError) -> String {
        guard (1...keyLengthMax).contains(raw.utf8.count),
            raw.utf8.allSatisfy({ (0x21...0x7e).contains($0) })
        else {
            throw DomainError(
                .malformed, code: "invalid_idempotency_key",
                message: "Idempotency-Key must be 1 to \(keyLengthMax) printable ASCII characters without spaces (a UUID is a good choice)")
        }
        return raw
    }

    /// Fingerprint of a request: method, path with query, and body bytes.
    public static func requestHash(method: String, path: String, body: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("\(method) \(path)\n".utf8))
        hasher.update(data: Array(body))
        return Hex.encode(hasher.finalize())
    }

    /// True when `record` is older than the retention: its key is then new again, whether
    /// or not the purge has removed the record yet.
    public static func isExpired(_ record: IdempotencyRecord, now: Date, retentionSeconds: TimeInterval) -> Bool {
        now.timeIntervalSince(record.createdAt) >= retentionSeconds
    }

    /// Decides what to do with a request given the record stored for its key, if any.
    public static func decide(existing: IdempotencyRecord?, requestHashHex: String) throws(DomainError) -> IdempotencyRecord? {
        guard let existing else { return nil }
        guard existing.requestHashHex == requestHashHex else {
            throw DomainError(
                .ruleViolation, code: "idempotency_key_reused",
                message: "this Idempotency-Key was already used for a different request; use a new key for a new request")
        }
        return existing
    }
}

/// An incoming request's idempotency context, built by the API layer.
public struct IdempotencyRequest: Sendable {
    public let organizationID: OrganizationID
    public let requestHashHex: String
    /// Where the record lives (hash of organization and key).
    public let keyHashHex: String
    /// Seals and opens the recorded body; derived from the raw key, never stored.
    private let sealingKey: SymmetricKey

    public init(organizationID: OrganizationID, key: String, requestHashHex: String) {
        self.organizationID = organizationID
        self.requestHashHex = requestHashHex
        let scoped = Array("\(organizationID.rawValue)\n\(key)".utf8)
        keyHashHex = Hex.encode(SHA256.hash(data: scoped))
        sealingKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: scoped), info: Array("brokergate idempotency body v1".utf8), outputByteCount: 32)
    }

    func seal(_ body: [UInt8]) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(body, using: sealingKey).combined else {
            throw StoreError("AES-GCM produced no combined box")
        }
        return Array(combined)
    }

    func open(_ sealed: [UInt8]) throws -> [UInt8] {
        Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: sealingKey))
    }
}

/// A rendered response, as stored for replay.
public struct RecordedResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]
    /// True when this is the stored first outcome replayed for a retry.
    public let isReplay: Bool
    /// The id of the object a fresh outcome created or changed, taken from the typed value
    /// before it was rendered (for the audit trail); nil on a replay, whose first outcome
    /// already left that record.
    public let objectID: String?

    public init(status: Int, body: [UInt8], isReplay: Bool, objectID: String? = nil) {
        self.status = status
        self.body = body
        self.isReplay = isReplay
        self.objectID = objectID
    }
}

/// A fresh outcome rendered for the wire: the body, and the id of the object it shows.
public struct RenderedBody: Sendable {
    public let bytes: [UInt8]
    public let objectID: String?

    public init(bytes: [UInt8], objectID: String?) {
        self.bytes = bytes
        self.objectID = objectID
    }
}

/// What the transport hands a command besides its work: the idempotency key, the status a
/// fresh outcome answers with, how that outcome renders, and the audit record it leaves.
public struct CommandEnvelope<T: Sendable>: Sendable {
    public let idempotency: IdempotencyRequest?
    public let status: Int
    public let render: @Sendable (T) throws -> RenderedBody
    public let audit: (@Sendable (RecordedResponse) -> AuditRecord?)?

    public init(
        idempotency: IdempotencyRequest?, status: Int, render: @escaping @Sendable (T) throws -> RenderedBody,
        audit: (@Sendable (RecordedResponse) -> AuditRecord?)?
    ) {
        self.idempotency = idempotency
        self.status = status
        self.render = render
        self.audit = audit
    }
}

/// What a command produced: ran now, with its typed value and rendered response, or the
/// recorded first outcome replayed for a retry.
public enum CommandOutcome<T: Sendable>: Sendable {
    case fresh(T, RecordedResponse)
    case replayed(RecordedResponse)

    /// The response to send.
    public var recorded: RecordedResponse {
        switch self {
        case .fresh(_, let recorded), .replayed(let recorded): recorded
        }
    }
}

/// Runs write commands so that the business change, its idempotency record and its audit
/// record commit in the same transaction: a crash can never leave a change applied without
/// its record (which would let a retry apply it twice), a record without its change, or a
/// change nobody can find in the audit trail.
public struct CommandRunner: Sendable {
    public let store: any Store
    public let clock: any BusinessClock
    /// How long a recorded outcome replays (`RetentionPolicy.idempotencySeconds`).
    public let idempotencyRetentionSeconds: TimeInterval

    public init(store: any Store, clock: any BusinessClock, idempotencyRetentionSeconds: TimeInterval = IdempotencyPolicy.retentionSeconds)
    {
        self.store = store
        self.clock = clock
        self.idempotencyRetentionSeconds = idempotencyRetentionSeconds
    }

    /// Runs `body` and renders its result as the envelope says, recording the rendered
    /// response under its idempotency key when given, and the audit record the envelope
    /// makes of the response. Failures (thrown errors) are not recorded here: they changed
    /// nothing, so a retry is simply evaluated again (the API audits them on their own).
    /// `accounts`: the customer accounts whose balances `body` moves, when known
    /// (`Store.transaction(queuingFor:_:)`).
    public func run<T: Sendable>(
        _ envelope: CommandEnvelope<T>, queuingFor accounts: [AccountID] = [],
        _ body: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> CommandOutcome<T> {
        let now = clock.now()
        return try await store.transaction(queuingFor: accounts) { tx in
            let outcome = try await self.outcome(envelope, now: now, body, in: tx)
            if let record = envelope.audit?(outcome.recorded) { try await AuditLog().record(record, in: tx) }
            return outcome
        }
    }

    private func outcome<T: Sendable>(
        _ envelope: CommandEnvelope<T>, now: Date, _ body: @Sendable (any StoreTransaction) async throws -> T,
        in tx: any StoreTransaction
    ) async throws -> CommandOutcome<T> {
        if let idempotency = envelope.idempotency {
            if let replay = try await liveRecord(idempotency, now: now, in: tx) {
                return .replayed(RecordedResponse(status: replay.status, body: try idempotency.open(replay.sealedBody), isReplay: true))
            }
        }
        let value = try await body(tx)
        let rendered = try envelope.render(value)
        if let idempotency = envelope.idempotency {
            try await tx.insertIdempotencyRecord(
                IdempotencyRecord(
                    organizationID: idempotency.organizationID, keyHashHex: idempotency.keyHashHex,
                    requestHashHex: idempotency.requestHashHex, status: envelope.status,
                    sealedBody: try idempotency.seal(rendered.bytes), createdAt: now))
        }
        let recorded = RecordedResponse(status: envelope.status, body: rendered.bytes, isReplay: false, objectID: rendered.objectID)
        return .fresh(value, recorded)
    }

    /// The recorded outcome a retry replays, if its key has one that has not expired. An
    /// expired record is deleted here, so the fresh outcome can take the key: the key is new
    /// again whether or not the retention purge has reached it.
    private func liveRecord(_ idempotency: IdempotencyRequest, now: Date, in tx: any StoreTransaction) async throws -> IdempotencyRecord? {
        let key = (organizationID: idempotency.organizationID, keyHashHex: idempotency.keyHashHex)
        guard let existing = try await tx.idempotencyRecord(organizationID: key.organizationID, keyHashHex: key.keyHashHex) else {
            return nil
        }
        if IdempotencyPolicy.isExpired(existing, now: now, retentionSeconds: idempotencyRetentionSeconds) {
            try await tx.deleteIdempotencyRecord(organizationID: key.organizationID, keyHashHex: key.keyHashHex)
            return nil
        }
        return try IdempotencyPolicy.decide(existing: existing, requestHashHex: idempotency.requestHashHex)
    }
}
