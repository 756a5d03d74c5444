import Foundation

/// Tag for KYC check ids.
public enum KYCCheckTag {}
public typealias KYCCheckID = Identifier<KYCCheckTag>

/// How a KYC submission reached the gateway; part of the audit trail.
public enum KYCSubmissionChannel: String, Sendable, Codable, Equatable {
    /// The partner's back end called `POST /api/v2/entities/{entity_id}/kyc`.
    case partnerAPI = "PARTNER_API"
    /// The customer filled in the hosted form opened by a managed-check link.
    case hostedForm = "HOSTED_FORM"
}

/// An operator's decision on a NEEDS_REVIEW check.
public enum KYCReviewOutcome: String, Sendable, Codable, Equatable {
    case approved = "APPROVED"
    case rejected = "REJECTED"

    /// The check status the decision sets.
    public var status: KYCStatus { self == .approved ? .pass : .fail }
}

/// The recorded operator decision: who, when, why. Written once; a check that has one is
/// never decided again (`KYCReviewService.decide` refuses), so the record cannot be
/// silently overwritten.
public struct KYCReview: Sendable, Codable, Equatable {
    public let outcome: KYCReviewOutcome
    /// The operator API key that decided.
    public let reviewerKeyID: APIKeyID
    /// The operator organization that key belongs to.
    public let reviewerOrganizationID: OrganizationID
    public let decidedAt: Date
    /// Why; required, so every decision carries its reasoning.
    public let note: String

    public init(outcome: KYCReviewOutcome, reviewerKeyID: APIKeyID, reviewerOrganizationID: OrganizationID, decidedAt: Date, note: String) {
        self.outcome = outcome
        self.reviewerKeyID = reviewerKeyID
        self.reviewerOrganizationID = reviewerOrganizationID
        self.decidedAt = decidedAt
        self.note = note
    }
}

/// One KYC submission for a customer and what was decided about it.
///
/// `status` starts as the rules' decision and changes only by re-evaluation while the
/// check is still open (INCOMPLETE or NEEDS_REVIEW without a review, e.g. after a document
/// upload) or by the one operator decision. `statusKey` is the status, so the operator
/// queue (all NEEDS_REVIEW checks of every organization) is an index query.
public struct KYCCheck: StoredDocument, Equatable {
    public static let kind = "kyc_check"

    public let id: KYCCheckID
    public let entityID: EntityID
    public let organizationID: OrganizationID
    /// The submitted data; its case is the jurisdiction.
    public let data: KYCSubmissionData
    /// Who collected the data (the SDK's `provider_name`).
    public let providerName: String
    public let channel: KYCSubmissionChannel
    /// The partner key that submitted, or that issued the hosted-form link.
    public let submittedByKeyID: APIKeyID?
    public var status: KYCStatus
    /// The rules' latest evaluation, every rule result included (the audit trail of why).
    public var decision: KYCDecision
    /// When the rules last evaluated this check.
    public var checkedAt: Date
    /// The operator decision, once made.
    public var review: KYCReview?
    public let createdAt: Date

    public init(
        id: KYCCheckID, entityID: EntityID, organizationID: OrganizationID, data: KYCSubmissionData, providerName: String,
        channel: KYCSubmissionChannel, submittedByKeyID: APIKeyID?, decision: KYCDecision, checkedAt: Date, createdAt: Date
    ) {
        self.id = id
        self.entityID = entityID
        self.organizationID = organizationID
        self.data = data
        self.providerName = providerName
        self.channel = channel
        self.submittedByKeyID = submittedByKeyID
        self.status = decision.status
        self.decision = decision
        self.checkedAt = checkedAt
        self.review = nil
        self.createdAt = createdAt
    }

    public var jurisdiction: KYCJurisdiction { data.jurisdiction }
    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { entityID.rawValue }
    public var statusKey: String? { status.rawValue }

    /// Whether the rules may still change the status: not yet final and no operator decision.
    /// PASS and FAIL are final; so is anything an operator decided.
    public var isOpen: Bool { review == nil && (status == .incomplete || status == .needsReview) }

    /// A decided check, by rules or by an operator. The SDK's "completed" check.
    public var isCompleted: Bool { status == .pass || status == .fail }

    enum CodingKeys: String, CodingKey {
        case id, entityID, organizationID, jurisdiction, data, providerName, channel, submittedByKeyID, status, decision,
            checkedAt, review, createdAt
    }

    // Custom coding because the data's shape depends on the sibling `jurisdiction` key.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let jurisdiction = try container.decode(KYCJurisdiction.self, forKey: .jurisdiction)
        id = try container.decode(KYCCheckID.self, forKey: .id)
        entityID = try container.decode(EntityID.self, forKey: .entityID)
        organizationID = try container.decode(OrganizationID.self, forKey: .organizationID)
        data = try KYCSubmissionData(jurisdiction: jurisdiction, from: container.superDecoder(forKey: .data))
        providerName = try container.decode(String.self, forKey: .providerName)
        channel = try container.decode(KYCSubmissionChannel.self, forKey: .channel)
        submittedByKeyID = try container.decodeIfPresent(APIKeyID.self, forKey: .submittedByKeyID)
        status = try container.decode(KYCStatus.self, forKey: .status)
        decision = try container.decode(KYCDecision.self, forKey: .decision)
        checkedAt = try container.decode(Date.self, forKey: .checkedAt)
        review = try container.decodeIfPresent(KYCReview.self, forKey: .review)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(entityID, forKey: .entityID)
        try container.encode(organizationID, forKey: .organizationID)
        try container.encode(jurisdiction, forKey: .jurisdiction)
        try container.encode(data, forKey: .data)
        try container.encode(providerName, forKey: .providerName)
        try container.encode(channel, forKey: .channel)
        try container.encodeIfPresent(submittedByKeyID, forKey: .submittedByKeyID)
        try container.encode(status, forKey: .status)
        try container.encode(decision, forKey: .decision)
        try container.encode(checkedAt, forKey: .checkedAt)
        try container.encodeIfPresent(review, forKey: .review)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

extension KYCSubmissionData {
    /// The person's citizenship (ISO 3166-1 alpha-2): what the entity's `nationality` shows.
    public var nationality: String {
        switch self {
        case .baseline(let data): data.countryCode
        case .us(let data): data.identity.countryOfCitizenship
        }
    }
}
