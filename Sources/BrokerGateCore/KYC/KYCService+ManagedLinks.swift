import Foundation

/// What the hosted form needs to show before the customer types anything.
public struct HostedKYCSession: Sendable, Equatable {
    public let jurisdiction: KYCJurisdiction
    public let expiresAt: Date
    /// The partner the customer is verifying for, so they know who is asking.
    public let organizationName: String
}

/// Managed-check links (`POST …/kyc/url`) and the hosted form they open.
extension KYCService {
    /// Issues a single-use link to the hosted form for one of the caller's customers. Returns
    /// the stored link and the token, which exists only in this return value: the caller
    /// hands it out once, the store keeps its hash.
    ///
    /// The hosted form collects BASELINE data. US data includes what only the partner's own
    /// KYC provider has (AML screening reference, data citations, check metadata) and needs
    /// documents, so US checks are submitted through the API.
    public func createManagedLink(
        entityID: EntityID, jurisdiction: KYCJurisdiction, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (link: ManagedKYCLink, token: String) {
        let entity = try await EntityService(clock: clock).get(entityID, for: principal, in: tx)
        guard jurisdiction == .baseline else {
            throw DomainError(
                .ruleViolation, code: "managed_kyc_unsupported_jurisdiction",
                message: "jurisdiction: the hosted KYC form collects BASELINE data only; for US, submit the data with "
                    + "POST /api/v2/entities/{entity_id}/kyc and upload documents to the check")
        }
        let now = clock.now()
        let (token, hashHex) = ManagedKYCLinks.newToken()
        let link = ManagedKYCLink(
            tokenHashHex: hashHex, entityID: entity.id, organizationID: entity.organizationID, jurisdiction: jurisdiction,
            issuedByKeyID: principal.keyID, expiresAt: now.addingTimeInterval(ManagedKYCLinks.lifetimeSeconds), usedAt: nil,
            kycID: nil, createdAt: now)
        try await tx.insertDocument(link)
        return (link, token)
    }

    /// The session a token opens, without spending it (the form loads this first).
    public func hostedSession(token: String, in tx: any StoreTransaction) async throws -> HostedKYCSession {
        let link = try await ManagedKYCLinks.usableLink(token: token, now: clock.now(), in: tx)
        let organization = try await tx.organization(link.organizationID)
        return HostedKYCSession(jurisdiction: link.jurisdiction, expiresAt: link.expiresAt, organizationName: organization?.name ?? "")
    }

    /// Submits the hosted form: same validation and rules as the partner API. The token is
    /// spent only when a check is stored, so a customer whose data was refused (422) can
    /// correct it and send again with the same link until it expires.
    public func submitHostedForm(token: String, data: KYCSubmissionData, in tx: any StoreTransaction) async throws -> KYCCheck {
        var link = try await ManagedKYCLinks.usableLink(token: token, now: clock.now(), in: tx)
        guard data.jurisdiction == link.jurisdiction else {
            throw DomainError(
                .ruleViolation, code: "jurisdiction_mismatch",
                message: "jurisdiction: this link is for \(link.jurisdiction.rawValue) data; send data of that shape")
        }
        guard let entity = try await tx.document(CustomerEntity.self, id: link.entityID.rawValue),
            entity.organizationID == link.organizationID
        else { throw DomainError.notFound("entity") }
        let check = try await record(
            data, providerName: ManagedKYCLinks.hostedFormProviderName, for: entity, channel: .hostedForm,
            submittedBy: link.issuedByKeyID, in: tx)
        link.usedAt = clock.now()
        link.kycID = check.id
        try await tx.updateDocument(link)
        return check
    }
}
