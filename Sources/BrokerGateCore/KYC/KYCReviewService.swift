import Foundation

/// Operator review of KYC checks the rules could not decide (NEEDS_REVIEW), across every
/// partner organization. Operator keys only: the route table checks the role, and each
/// method checks it again so no future caller can skip it.
public struct KYCReviewService: Sendable {
    public let clock: any BusinessClock

    /// Bound on a decision's note.
    public static let noteLengthMax = 2_000

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// The review queue: every organization's NEEDS_REVIEW checks, oldest first by default
    /// (first come, first reviewed). An index query on the status column.
    public func queue(page: PageRequest, for principal: Principal, in tx: any StoreTransaction) async throws -> Page<KYCCheck> {
        try principal.requireOperator()
        return try await tx.page(KYCCheck.self, query: DocumentQuery(owner: nil, statusKey: KYCStatus.needsReview.rawValue, page: page))
    }

    /// Any check, with its rule results and review record (for audit).
    public func check(_ id: KYCCheckID, for principal: Principal, in tx: any StoreTransaction) async throws -> KYCCheck {
        try principal.requireOperator()
        guard let check = try await tx.document(KYCCheck.self, id: id.rawValue) else { throw DomainError.notFound("kyc check") }
        return check
    }

    /// The documents of any check, for the reviewer to look at.
    public func documents(of check: KYCCheck, for principal: Principal, in tx: any StoreTransaction) async throws -> [KYCDocumentRecord] {
        try principal.requireOperator()
        return try await KYCService.documents(of: check, in: tx)
    }

    /// Records an operator's decision and applies it: APPROVED → PASS, REJECTED → FAIL.
    ///
    /// Rules, in order: a note is required (why is part of the record); a check that already
    /// has a decision is refused, so no decision is ever overwritten; only NEEDS_REVIEW checks
    /// are decided; approval also needs `KYCDecision.operatorMayApprove` (no FAIL and no
    /// missing data underneath the review finding). Rejection is always possible in review.
    public func decide(
        _ id: KYCCheckID, outcome: KYCReviewOutcome, note rawNote: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> KYCCheck {
        try principal.requireOperator()
        let note = try Self.validatedNote(rawNote)
        var check = try await self.check(id, for: principal, in: tx)
        if let review = check.review {
            throw DomainError(
                .ruleViolation, code: "kyc_already_decided",
                message: "this check was already \(review.outcome.rawValue.lowercased()) by key \(review.reviewerKeyID) at "
                    + "\(review.decidedAt.formatted(.iso8601)); decisions are final, so a new submission is needed to reassess")
        }
        guard check.status == .needsReview else {
            throw DomainError(
                .ruleViolation, code: "kyc_not_in_review",
                message: "this check's status is \(check.status.rawValue); only NEEDS_REVIEW checks are decided by an operator")
        }
        if outcome == .approved, !check.decision.operatorMayApprove {
            let blocking = check.decision.findings.filter { $0.outcome != .needsReview }
                .map { "\($0.rule) (\($0.outcome.rawValue): \($0.reason))" }.joined(separator: "; ")
            throw DomainError(
                .ruleViolation, code: "kyc_not_approvable",
                message: "cannot approve while other rules do not pass: \(blocking); wait for the missing data or reject")
        }
        check.review = KYCReview(
            outcome: outcome, reviewerKeyID: principal.keyID, reviewerOrganizationID: principal.organizationID,
            decidedAt: clock.now(), note: note)
        check.status = outcome.status
        try await tx.updateDocument(check)
        try await tx.emitKYCStatus(check, at: check.review?.decidedAt ?? clock.now())
        if let entity = try await tx.document(CustomerEntity.self, id: check.entityID.rawValue) {
            try await KYCService.refreshEntity(entity, in: tx)
        }
        return check
    }

    /// A note: trimmed, 1...`noteLengthMax` characters, visible characters plus line breaks
    /// and tabs (notes are prose), nothing that could disguise what it says.
    public static func validatedNote(_ raw: String) throws(DomainError) -> String {
        let note = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else {
            throw .invalidField("note", "is required: say why the check is approved or rejected")
        }
        guard note.count <= noteLengthMax else { throw .invalidField("note", "must be at most \(noteLengthMax) characters") }
        guard note.unicodeScalars.allSatisfy({ TextRules.isVisible($0) || $0 == "\n" || $0 == "\t" }) else {
            throw .invalidField("note", "must not contain control or invisible formatting characters")
        }
        return note
    }
}
