import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/operator/kyc_reviews…`: the operators' KYC review queue across all partner
/// organizations, and their recorded decisions. Operator keys only.
struct KYCReviewController {
    let store: any Store
    let commands: Commands
    let reviews: KYCReviewService
    let kyc: KYCService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/operator/kyc_reviews", .operator, queue),
            RouteDefinition(.get, "/api/v2/operator/kyc_reviews/{kyc_id}", .operator, get),
            RouteDefinition(.post, "/api/v2/operator/kyc_reviews/{kyc_id}/approve", .operator, approve),
            RouteDefinition(.post, "/api/v2/operator/kyc_reviews/{kyc_id}/reject", .operator, reject),
        ]
    }

    /// NEEDS_REVIEW checks, oldest first, each with its findings and documents.
    @Sendable func queue(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let origin = PublicOrigin.of(request)
        let (reviews, kyc) = (reviews, kyc)
        let found = try await store.read { tx in
            let checks = try await reviews.queue(page: page, for: principal, in: tx)
            var items: [KYCReviewDTO] = []
            for check in checks.items {
                let documents = try await reviews.documents(of: check, for: principal, in: tx)
                items.append(KYCReviewDTO(check, documents: documents.map { KYCDocumentDTO($0, kyc: kyc, origin: origin) }))
            }
            return Page(items: items, next: checks.next, previous: checks.previous)
        }
        return PaginatedDTO(found) { $0 }
    }

    /// Any check, whatever its status, with its review record: the audit view.
    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("kyc_id", context: context, as: KYCCheckID.self, what: "kyc check")
        let principal = try context.caller()
        let origin = PublicOrigin.of(request)
        let (reviews, kyc) = (reviews, kyc)
        let dto = try await store.read { tx in
            let check = try await reviews.check(id, for: principal, in: tx)
            let documents = try await reviews.documents(of: check, for: principal, in: tx)
            return KYCReviewDTO(check, documents: documents.map { KYCDocumentDTO($0, kyc: kyc, origin: origin) })
        }
        return dto
    }

    struct DecisionInput: Decodable {
        let note: String
    }

    @Sendable func approve(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        try await decide(.approved, request, context)
    }

    @Sendable func reject(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        try await decide(.rejected, request, context)
    }

    private func decide(_ outcome: KYCReviewOutcome, _ request: Request, _ context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("kyc_id", context: context, as: KYCCheckID.self, what: "kyc check")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(DecisionInput.self, from: body)
        let principal = try context.caller()
        let reviews = reviews
        return try await commands.run(request, context, body: body, status: .ok, render: { KYCReviewDTO($0, documents: []) }) { tx in
            try await reviews.decide(id, outcome: outcome, note: input.note, for: principal, in: tx)
        }
    }
}

/// A check as an operator sees it: every rule result, the findings, whether approval is
/// possible, the documents and the decision record.
struct KYCReviewDTO: ResponseEncodable, Sendable {
    struct Review: ResponseEncodable, Sendable {
        let outcome: String
        let reviewer_key_id: String
        let reviewer_organization_id: String
        let decided_dt: Date
        let note: String
    }

    let kyc_id: String
    let entity_id: String
    let organization_id: String
    let jurisdiction: String
    let status: String
    let provider_name: String
    let channel: String
    let submitted_dt: Date
    let checked_dt: Date
    let data: KYCSubmissionData
    let findings: [KYCFindingDTO]
    let results: [KYCFindingDTO]
    let operator_may_approve: Bool
    let documents: [KYCDocumentDTO]
    let review: Review?

    init(_ check: KYCCheck, documents: [KYCDocumentDTO]) {
        kyc_id = check.id.rawValue
        entity_id = check.entityID.rawValue
        organization_id = check.organizationID.rawValue
        jurisdiction = check.jurisdiction.rawValue
        status = check.status.rawValue
        provider_name = check.providerName
        channel = check.channel.rawValue
        submitted_dt = check.createdAt
        checked_dt = check.checkedAt
        data = check.data
        findings = check.decision.findings.map(KYCFindingDTO.init)
        results = check.decision.results.map(KYCFindingDTO.init)
        operator_may_approve = check.review == nil && check.status == .needsReview && check.decision.operatorMayApprove
        self.documents = documents
        review = check.review.map {
            Review(
                outcome: $0.outcome.rawValue, reviewer_key_id: $0.reviewerKeyID.rawValue,
                reviewer_organization_id: $0.reviewerOrganizationID.rawValue, decided_dt: $0.decidedAt, note: $0.note)
        }
    }
}
