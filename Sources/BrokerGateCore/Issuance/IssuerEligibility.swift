import Foundation

/// One operator decision on an organization's issuer eligibility: who, when and why.
public struct IssuerEligibilityChange: Sendable, Equatable, Codable {
    public let isEligible: Bool
    /// The operator organization and API key that decided.
    public let operatorOrganizationID: OrganizationID
    public let operatorKeyID: APIKeyID
    public let reason: String
    public let decidedAt: Date
}

/// Whether a partner organization may mint and redeem as a professional issuer client
/// (the Backed/xStocks model), with every decision kept: the current state is the last
/// change, and the history is the audit trail.
public struct IssuerEligibility: StoredDocument, Equatable {
    public static let kind = "issuer_eligibility"
    /// Decisions kept per organization; a bound like every list (STYLE.md).
    public static let historyMax = 1_000

    public let organizationID: OrganizationID
    public private(set) var history: [IssuerEligibilityChange]
    public let createdAt: Date

    public var documentID: String { organizationID.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }

    /// The decision in force.
    public var latest: IssuerEligibilityChange { history[history.count - 1] }
    public var isEligible: Bool { latest.isEligible }

    init(organizationID: OrganizationID, first: IssuerEligibilityChange) {
        self.organizationID = organizationID
        history = [first]
        createdAt = first.decidedAt
    }

    mutating func append(_ change: IssuerEligibilityChange) throws(DomainError) {
        guard history.count < Self.historyMax else {
            throw DomainError(
                .ruleViolation, code: "eligibility_history_full",
                message: "this organization has \(Self.historyMax) eligibility decisions recorded; archive them before recording more")
        }
        history.append(change)
    }
}

/// Granting, revoking and checking issuer eligibility.
public struct IssuerEligibilityService: Sendable {
    public let clock: any BusinessClock
    /// Longest reason an operator may record.
    public static let reasonLengthMax = 1_000

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// Records an operator's decision for a partner organization. Unknown organizations are
    /// 404; operator organizations cannot be issuers (422 `issuer_must_be_partner`).
    public func decide(
        _ organizationID: OrganizationID, eligible: Bool, reason rawReason: String, by principal: Principal, in tx: any StoreTransaction
    ) async throws -> IssuerEligibility {
        try principal.requireOperator()
        guard let organization = try await tx.organization(organizationID) else { throw DomainError.notFound("organization") }
        guard organization.role == .partner else {
            throw DomainError(
                .ruleViolation, code: "issuer_must_be_partner",
                message: "only partner organizations can be issuer clients; \(organizationID) is an operator")
        }
        let change = IssuerEligibilityChange(
            isEligible: eligible, operatorOrganizationID: principal.organizationID, operatorKeyID: principal.keyID,
            reason: try TextRules.name(rawReason, field: "reason", lengthMax: Self.reasonLengthMax), decidedAt: clock.now())
        if var existing = try await tx.document(IssuerEligibility.self, id: organizationID.rawValue) {
            try existing.append(change)
            try await tx.updateDocument(existing)
            return existing
        }
        let created = IssuerEligibility(organizationID: organizationID, first: change)
        try await tx.insertDocument(created)
        return created
    }

    /// The organization's eligibility record, or 404 when no operator ever decided.
    public func record(_ organizationID: OrganizationID, in tx: any StoreTransaction) async throws -> IssuerEligibility {
        guard let found = try await tx.document(IssuerEligibility.self, id: organizationID.rawValue) else {
            throw DomainError.notFound("issuer eligibility")
        }
        return found
    }

    /// Refuses (422 `issuer_not_eligible`) an organization no operator has marked eligible.
    public func requireEligible(_ organizationID: OrganizationID, in tx: any StoreTransaction) async throws {
        let found = try await tx.document(IssuerEligibility.self, id: organizationID.rawValue)
        guard found?.isEligible == true else {
            throw DomainError(
                .ruleViolation, code: "issuer_not_eligible",
                message: "this organization is not eligible as a professional issuer client; an operator marks it eligible with "
                    + "POST /api/v2/operator/organizations/\(organizationID)/issuer_eligibility")
        }
    }
}
