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

    /// Limits on an organization name: visible in consoles and logs, so bounded and printable.
    public static let nameLengthMax = 200

    /// Validates a name supplied by an operator.
    public static func validatedName(_ raw: String) throws(DomainError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else {
            throw .invalidField("name", "must not be empty")
        }
        guard name.count <= nameLengthMax else {
            throw .invalidField("name", "must be at most \(nameLengthMax) characters")
        }
        guard name.unicodeScalars.allSatisfy({ !$0.properties.isDefaultIgnorableCodePoint && $0.properties.generalCategory != .control && $0.properties.generalCategory != .format }) else {
            throw .invalidField("name", "must not contain control or invisible formatting characters")
        }
        return name
    }
}
