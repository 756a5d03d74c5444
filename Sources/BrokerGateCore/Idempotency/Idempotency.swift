import Crypto
import Foundation

/// The recorded first outcome of a write sent with an `Idempotency-Key` (DESIGN.md rule 4).
/// A retry with the same key and the same request replays `status` and `body` byte for
/// byte; with another request it is refused (422).
public struct IdempotencyRecord: Sendable, Equatable, Codable {
    public let organizationID: OrganizationID
    public let key: String
    /// SHA-256 (hex) of method, path and body: what "the same request" means.
    public let requestHashHex: String
    public let status: Int
    public let body: [UInt8]
    public let createdAt: Date

    public init(organizationID: OrganizationID, key: String, requestHashHex: String, status: Int, body: [UInt8], createdAt: Date) {
        self.organizationID = organizationID
        self.key = key
        self.requestHashHex = requestHashHex
        self.status = status
        self.body = body
        self.createdAt = createdAt
    }
}

/// The idempotency rules, in one place.
public enum IdempotencyPolicy {
    /// Keys are kept at least this long; a sweep removes older ones.
    public static let retentionSeconds: TimeInterval = 48 * 3600
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
    public let key: String
    public let requestHashHex: String

    public init(organizationID: OrganizationID, key: String, requestHashHex: String) {
        self.organizationID = organizationID
        self.key = key
        self.requestHashHex = requestHashHex
    }
}

/// A rendered response, as stored for replay.
public struct RecordedResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]
    /// True when this is the stored first outcome replayed for a retry.
    public let isReplay: Bool

    public init(status: Int, body: [UInt8], isReplay: Bool) {
        self.status = status
        self.body = body
        self.isReplay = isReplay
    }
}

/// Runs write commands so that the business change and its idempotency record commit in
/// the same transaction: a crash can never leave a change applied without its record
/// (which would let a retry apply it twice) or a record without its change.
public struct CommandRunner: Sendable {
    public let store: any Store
    public let clock: any BusinessClock

    public init(store: any Store, clock: any BusinessClock) {
        self.store = store
        self.clock = clock
    }

    /// Runs `body` and renders its result with `render`, recording the rendered response
    /// under `idempotency` when given. Failures (thrown errors) are not recorded: they
    /// changed nothing, so a retry is simply evaluated again.
    public func run<T: Sendable>(
        idempotency: IdempotencyRequest?,
        status: Int,
        render: @escaping @Sendable (T) throws -> [UInt8],
        _ body: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> RecordedResponse {
        let now = clock.now()
        return try await store.transaction { tx in
            if let idempotency {
                let existing = try await tx.idempotencyRecord(organizationID: idempotency.organizationID, key: idempotency.key)
                if let replay = try IdempotencyPolicy.decide(existing: existing, requestHashHex: idempotency.requestHashHex) {
                    return RecordedResponse(status: replay.status, body: replay.body, isReplay: true)
                }
            }
            let bytes = try render(try await body(tx))
            if let idempotency {
                try await tx.insertIdempotencyRecord(
                    IdempotencyRecord(
                        organizationID: idempotency.organizationID, key: idempotency.key,
                        requestHashHex: idempotency.requestHashHex, status: status, body: bytes, createdAt: now))
            }
            return RecordedResponse(status: status, body: bytes, isReplay: false)
        }
    }
}
