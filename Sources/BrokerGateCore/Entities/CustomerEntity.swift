import Foundation

/// An INDIVIDUAL customer of a partner organization. Belongs to exactly one organization;
/// every read is scoped by it, so another organization sees a 404 (DESIGN.md rule 6).
public struct CustomerEntity: StoredDocument, Equatable {
    public static let kind = "entity"

    public let id: EntityID
    public let organizationID: OrganizationID
    public var name: String
    /// The partner's own id for this customer; case sensitive, not necessarily unique.
    public var referenceID: String?
    /// ISO 3166 alpha-2, learned from the latest KYC submission.
    public var nationality: String?
    /// True once a KYC check has reached PASS (by rules or by operator approval).
    public var isKYCComplete: Bool
    public let createdAt: Date

    public init(id: EntityID, organizationID: OrganizationID, name: String, referenceID: String?, createdAt: Date) {
        self.id = id
        self.organizationID = organizationID
        self.name = name
        self.referenceID = referenceID
        self.nationality = nil
        self.isKYCComplete = false
        self.createdAt = createdAt
    }

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var lookupKey: String? { referenceID }
}

/// Text limits shared by every free-text field a partner sends.
public enum TextRules {
    /// Validates a display name: trimmed, 1...`lengthMax` characters, no control or
    /// invisible formatting characters (RTL overrides, zero-width joiners used for spoofing).
    public static func name(_ raw: String, field: String, lengthMax: Int = 200) throws(DomainError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .invalidField(field, "must not be empty") }
        guard name.count <= lengthMax else { throw .invalidField(field, "must be at most \(lengthMax) characters") }
        guard name.unicodeScalars.allSatisfy(isVisible) else {
            throw .invalidField(field, "must not contain control or invisible formatting characters")
        }
        guard !MixedScriptRule.mixesConfusableScripts(name) else {
            throw .invalidField(field, MixedScriptRule.problem)
        }
        return name
    }

    /// Validates an identifier chosen by a partner (reference ids, client order ids):
    /// 1...`lengthMax` printable characters, no whitespace at the ends.
    public static func identifier(_ raw: String, field: String, lengthMax: Int = 200) throws(DomainError) -> String {
        guard !raw.isEmpty, raw.count <= lengthMax else { throw .invalidField(field, "must be 1 to \(lengthMax) characters") }
        guard raw.trimmingCharacters(in: .whitespacesAndNewlines) == raw, raw.unicodeScalars.allSatisfy(isVisible) else {
            throw .invalidField(field, "must not start or end with spaces or contain control/invisible characters")
        }
        return raw
    }

    static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        let category = scalar.properties.generalCategory
        return category != .control && category != .format && category != .unassigned && category != .surrogate
            && category != .privateUse && !scalar.properties.isDefaultIgnorableCodePoint
    }
}
