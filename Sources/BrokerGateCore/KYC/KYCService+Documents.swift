import Foundation

/// Documents of a KYC check: upload, list, and the bytes behind a signed URL.
extension KYCService {
    /// Stores a file for one of the caller's checks and re-evaluates the check (a US check
    /// needs a GOVERNMENT_ID before it can PASS). Ownership is checked before the content,
    /// so another organization learns nothing from its upload's answer but 404.
    public func uploadDocument(
        entityID: EntityID, kycID: KYCCheckID, type: KYCDocumentType, filename: String?, bytes: [UInt8],
        for principal: Principal, in tx: any StoreTransaction
    ) async throws -> KYCDocumentRecord {
        let check = try await self.check(kycID, entityID: entityID, for: principal, in: tx)
        let fileType = try KYCDocumentFiles.validate(bytes)
        let existing = try await Self.documents(of: check, in: tx)
        guard existing.count < KYCDocumentFiles.perCheckMax else {
            throw DomainError(
                .ruleViolation, code: "too_many_documents",
                message: "a KYC check holds at most \(KYCDocumentFiles.perCheckMax) documents; submit a new KYC check to start over")
        }
        let record = KYCDocumentRecord(
            id: .generate(), kycID: check.id, entityID: check.entityID, organizationID: check.organizationID, documentType: type,
            filename: KYCDocumentFiles.sanitizedFilename(filename, type: fileType), fileType: fileType, sizeBytes: bytes.count,
            sha256Hex: KYCDocumentFiles.sha256Hex(bytes), urlKeyHex: KYCDocumentURLSigner.newKeyHex(), createdAt: clock.now())
        try await tx.insertDocument(record)
        try await tx.insertBlob(id: record.blobID, bytes: bytes)
        _ = try await reevaluate(check, documents: (existing + [record]).map(\.documentType), in: tx)
        return record
    }

    /// The documents of one of the caller's checks, oldest first.
    public func documents(
        entityID: EntityID, kycID: KYCCheckID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> [KYCDocumentRecord] {
        try await Self.documents(of: try await self.check(kycID, entityID: entityID, for: principal, in: tx), in: tx)
    }

    /// A document's metadata and bytes for a signed URL (public route: the signature is the
    /// credential). Every failure — unknown ids, ids that do not belong together, a wrong or
    /// expired signature — gets the same 404, so the route reveals nothing about what exists.
    public func documentContent(
        entityID: EntityID, kycID: KYCCheckID, documentID: KYCDocumentID, expiresUnix: Int64, signatureHex: String,
        in tx: any StoreTransaction
    ) async throws -> (KYCDocumentRecord, [UInt8]) {
        let refused = DomainError(
            .notFound, code: "not_found",
            message: "document was not found or its link expired; list the check's documents again for a fresh url")
        guard let record = try await tx.document(KYCDocumentRecord.self, id: documentID.rawValue),
            record.kycID == kycID, record.entityID == entityID,
            KYCDocumentURLSigner.verify(record, expiresUnix: expiresUnix, signatureHex: signatureHex, now: clock.now()),
            let bytes = try await tx.blob(id: record.blobID)
        else { throw refused }
        return (record, bytes)
    }

    /// The query part of a fresh temporary URL for `record`: expires and signature.
    public func signedURLQuery(for record: KYCDocumentRecord) -> (expiresUnix: Int64, signatureHex: String) {
        let expires = Int64(clock.now().addingTimeInterval(KYCDocumentURLSigner.lifetimeSeconds).timeIntervalSince1970.rounded(.down))
        return (expires, KYCDocumentURLSigner.signature(record, expiresUnix: expires))
    }

    /// Every document of a check (at most `KYCDocumentFiles.perCheckMax`, so one page).
    static func documents(of check: KYCCheck, in tx: any StoreTransaction) async throws -> [KYCDocumentRecord] {
        let query = DocumentQuery(owner: check.organizationID, parentID: check.id.rawValue, page: PageRequest(limit: PageRequest.limitMax))
        return try await tx.page(KYCDocumentRecord.self, query: query).items
    }
}
