import Foundation

/// A typed identifier: `Identifier<Organization>` and `Identifier<APIKeyRecord>` are
/// different types, so an account id can never be passed where an entity id is expected.
/// On the wire every identifier is a lowercase UUID string, as Dinari's are.
public struct Identifier<Tag>: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an already-validated raw value (from the store or a freshly generated UUID).
    public init(trusted rawValue: String) {
        self.rawValue = rawValue
    }

    /// Parses a path or body value; `nil` when it is not a UUID, so callers answer 404
    /// (a malformed id is as unknown as a missing one) without touching the store.
    public init?(parsing text: String) {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: text) else { return nil }
        self.rawValue = uuid.uuidString.lowercased()
    }

    /// A new random (version 4) identifier.
    public static func generate() -> Self {
        Self(trusted: UUID().uuidString.lowercased())
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected a UUID, got \(text.prefix(64))"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Tag for entity ids. Organizations are entities of type ORGANIZATION, customers INDIVIDUAL.
public enum EntityTag {}
/// Tag for request ids carried in `X-Request-Id` and error bodies.
public enum RequestTag {}

public typealias EntityID = Identifier<EntityTag>
public typealias OrganizationID = EntityID
