import BrokerGateCrypto
import Crypto
import Foundation

/// The public half of an API key, sent in `X-API-Key-Id`. Bootstrap keys come from the
/// environment, so any short token of safe characters is accepted, not only UUIDs.
public struct APIKeyID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    /// Bounded so a hostile header cannot make us hash or store megabytes.
    public static let lengthMax = 128

    public init?(parsing text: String) {
        guard (1...Self.lengthMax).contains(text.utf8.count),
            text.utf8.allSatisfy({ Self.allowed.contains($0) })
        else { return nil }
        rawValue = text
    }

    public static func generate() -> APIKeyID {
        APIKeyID(parsing: UUIDText.random())!
    }

    public var description: String { rawValue }

    private static let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".utf8)

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = APIKeyID(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad API key id"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A stored API key: only a salted hash of the secret is kept (DESIGN.md rule 6).
///
/// Why HMAC-SHA256 and not a slow password hash: secrets are 256-bit random values we
/// generate (or operator-supplied bootstrap secrets of at least 16 characters), so a
/// brute-force search is infeasible and a slow KDF would only cost latency on every request.
public struct APIKeyRecord: Sendable, Equatable, Codable {
    public let id: APIKeyID
    public let organizationID: OrganizationID
    public let saltHex: String
    public let secretHashHex: String
    public let createdAt: Date
    public var revokedAt: Date?
    /// A label the organization gave the key ("ci", "reporting"); nil for bootstrap keys.
    public var name: String?
    /// A read-only key reads everything its organization may read and writes nothing: every
    /// write route answers it 403 `read_only_key` (`RouteGuard`).
    public var isReadOnly: Bool

    public init(
        id: APIKeyID, organizationID: OrganizationID, saltHex: String, secretHashHex: String, createdAt: Date, revokedAt: Date? = nil,
        name: String? = nil, isReadOnly: Bool = false
    ) {
        self.id = id
        self.organizationID = organizationID
        self.saltHex = saltHex
        self.secretHashHex = secretHashHex
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.name = name
        self.isReadOnly = isReadOnly
    }

    public var isActive: Bool { revokedAt == nil }

    /// Hashes `secret` with a fresh random salt.
    public static func hashing(secret: String, id: APIKeyID, organizationID: OrganizationID, createdAt: Date) -> APIKeyRecord {
        let salt = SymmetricKey(size: .bits256)
        let saltBytes = salt.withUnsafeBytes { Array($0) }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: salt)
        return APIKeyRecord(
            id: id, organizationID: organizationID, saltHex: Hex.encode(saltBytes),
            secretHashHex: Hex.encode(Array(mac)), createdAt: createdAt)
    }

    /// Constant-time check of a presented secret (swift-crypto's MAC comparison does not
    /// short-circuit on the first differing byte).
    public func verifies(secret: String) -> Bool {
        guard revokedAt == nil, let salt = Hex.decode(saltHex), let expected = Hex.decode(secretHashHex) else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(
            expected, authenticating: Array(secret.utf8), using: SymmetricKey(data: salt))
    }

    /// A random secret: 32 bytes, URL-safe base64 without padding (43 characters).
    public static func generateSecret() -> String {
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Bootstrap secrets from the environment must not be guessable.
    public static let secretLengthMin = 16
    /// Bounded so a hostile header cannot make us hash megabytes.
    public static let secretLengthMax = 256
}
