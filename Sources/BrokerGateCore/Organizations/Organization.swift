import Foundation

/// What an organization's keys may do. Partners run customers; operators run the gateway.
public enum OrganizationRole: String, Sendable, Codable, CaseIterable {
    case partner = "PARTNER"
    case `operator` = "OPERATOR"
}

/// A partner (or the operator) organization. Each organization is itself an entity of
/// type ORGANIZATION in Dinari's model, so its id is an `EntityID`.
public struct Organization: Sendable, Equatable, Codable {
    public let id: OrganizationID
    public var name: String
    public let role: OrganizationRole
    public let createdAt: Date

    public init(id: OrganizationID, name: String, role: OrganizationRole, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }

    /// Validates a name supplied by an operator (same rules as every display name).
    public static func validatedName(_ raw: String) throws(DomainError) -> String {
        try TextRules.name(raw, field: "name")
    }
}
