import Foundation

/// KYC for the caller's customers: submissions, the check a customer is judged by, documents
/// (`KYCService+Documents`) and hosted-form links (`KYCService+ManagedLinks`). Operator
/// decisions live in `KYCReviewService`.
///
/// The order of a submission is the rule: validate (422 listing every bad field, nothing
/// stored) → evaluate the rules → store the check with every rule result → bring the
/// entity's `is_kyc_complete` and `nationality` up to date, all in the caller's transaction.
public struct KYCService: Sendable {
    public let clock: any BusinessClock

    /// Bound on `provider_name`.
    public static let providerNameLengthMax = 100

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// Submits KYC data for one of the caller's customers (`POST …/entities/{id}/kyc`).
    public func submit(
        entityID: EntityID, data: KYCSubmissionData, providerName: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> KYCCheck {
        let entity = try await EntityService(clock: clock).get(entityID, for: principal, in: tx)
        let provider = try TextRules.name(providerName, field: "provider_name", lengthMax: Self.providerNameLengthMax)
        return try await record(data, providerName: provider, for: entity, channel: .partnerAPI, submittedBy: principal.keyID, in: tx)
    }

    /// The check `GET …/entities/{id}/kyc` shows (see `effectiveCheck`), or 404 when the
    /// customer has none yet.
    public func current(entityID: EntityID, for principal: Principal, in tx: any StoreTransaction) async throws -> KYCCheck {
        let entity = try await EntityService(clock: clock).get(entityID, for: principal, in: tx)
        guard let check = try await Self.effectiveCheck(of: entity, in: tx) else {
            throw DomainError(
                .notFound, code: "not_found",
                message: "kyc check was not found: this entity has none yet; submit one with POST /api/v2/entities/{entity_id}/kyc")
        }
        return check
    }

    /// One of the caller's checks, addressed under its entity; 404 for a foreign or
    /// mismatched id exactly as for a missing one.
    public func check(
        _ kycID: KYCCheckID, entityID: EntityID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> KYCCheck {
        let check = try await tx.owned(KYCCheck.self, id: kycID.rawValue, by: principal, name: "kyc check")
        guard check.entityID == entityID else { throw DomainError.notFound("kyc check") }
        return check
    }

    /// Validates, evaluates and stores a submission, then updates the entity. Shared by the
    /// partner API and the hosted form so both follow exactly the same rules.
    func record(
        _ data: KYCSubmissionData, providerName: String, for entity: CustomerEntity, channel: KYCSubmissionChannel,
        submittedBy: APIKeyID?, in tx: any StoreTransaction
    ) async throws -> KYCCheck {
        let data = data.normalized
        try KYCValidation.requireValid(data)
        let now = clock.now()
        let check = KYCCheck(
            id: .generate(), entityID: entity.id, organizationID: entity.organizationID, data: data, providerName: providerName,
            channel: channel, submittedByKeyID: submittedBy, decision: KYCRules.evaluate(data, documents: [], now: now),
            checkedAt: now, createdAt: now)
        try await tx.insertDocument(check)
        try await tx.emitKYCStatus(check, at: now)
        var updated = entity
        updated.nationality = data.nationality
        try await Self.refreshEntity(updated, in: tx)
        return check
    }

    /// The check a customer is judged by, following the SDK's `retrieve`: the newest
    /// completed check (PASS or FAIL), else the newest check of any status. So a
    /// resubmission still being decided (INCOMPLETE, NEEDS_REVIEW) does not take away an
    /// earlier PASS, while a newer FAIL (or a rejection) does.
    public static func effectiveCheck(of entity: CustomerEntity, in tx: any StoreTransaction) async throws -> KYCCheck? {
        var newestCompleted: KYCCheck?
        for status in [KYCStatus.pass, .fail] {
            if let candidate = try await newest(of: entity, status: status, in: tx), isNewer(candidate, than: newestCompleted) {
                newestCompleted = candidate
            }
        }
        if let newestCompleted { return newestCompleted }
        return try await newest(of: entity, status: nil, in: tx)
    }

    /// Recomputes `is_kyc_complete` from the effective check and saves the entity. Called
    /// after every change of a check's status, whoever made it.
    static func refreshEntity(_ entity: CustomerEntity, in tx: any StoreTransaction) async throws {
        var entity = entity
        entity.isKYCComplete = try await effectiveCheck(of: entity, in: tx)?.status == .pass
        try await tx.updateDocument(entity)
    }

    /// Re-evaluates an open check against its current documents and the clock (a US check
    /// waits for its GOVERNMENT_ID), then updates the entity. A closed check is left alone:
    /// PASS and FAIL are final and an operator's decision is never undone by the rules.
    func reevaluate(_ check: KYCCheck, documents: [KYCDocumentType], in tx: any StoreTransaction) async throws -> KYCCheck {
        guard check.isOpen else { return check }
        let before = check.status
        var check = check
        let now = clock.now()
        check.decision = KYCRules.evaluate(check.data, documents: documents, now: now)
        check.status = check.decision.status
        check.checkedAt = now
        try await tx.updateDocument(check)
        if check.status != before { try await tx.emitKYCStatus(check, at: now) }
        if let entity = try await tx.document(CustomerEntity.self, id: check.entityID.rawValue) {
            try await Self.refreshEntity(entity, in: tx)
        }
        return check
    }

    private static func newest(of entity: CustomerEntity, status: KYCStatus?, in tx: any StoreTransaction) async throws -> KYCCheck? {
        let query = DocumentQuery(
            owner: entity.organizationID, parentID: entity.id.rawValue, statusKey: status?.rawValue,
            page: PageRequest(limit: 1, order: .desc))
        return try await tx.page(KYCCheck.self, query: query).items.first
    }

    /// Newer in the store's page order: (created_at, id), so ties at one instant still
    /// resolve the same way every time.
    private static func isNewer(_ check: KYCCheck, than other: KYCCheck?) -> Bool {
        guard let other else { return true }
        let mine = PageCursor.of(check)
        let theirs = PageCursor.of(other)
        return (mine.createdAtMicros, mine.id) > (theirs.createdAtMicros, theirs.id)
    }
}
