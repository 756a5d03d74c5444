import Foundation

/// One state-changing request as the audit trail keeps it: who (organization and API key),
/// what (method and route pattern, the object where known), how it ended (status, error
/// code) and when, joined to logs by the request id.
///
/// What is never here: request or response bodies, headers, query strings and secrets.
/// Bodies carry personal data (KYC) and one-time secrets (new API keys, KYC link tokens);
/// the trail must be safe to hand to an auditor or a support engineer as it is.
public struct AuditRecord: StoredDocument, Equatable {
    public static let kind = "audit_log"

    /// Recorded for requests that failed authentication, which have no organization. The nil
    /// UUID can never be generated for a real organization.
    public static let anonymousOrganizationID = OrganizationID(trusted: "00000000-0000-0000-0000-000000000000")
    /// Bounds on the stored strings (STYLE.md: a limit on everything); longer values are cut.
    public static let fieldLengthMax = 200

    public let id: String
    /// The caller's organization, or `anonymousOrganizationID` when authentication failed.
    public let organizationID: OrganizationID
    /// The key id the caller presented (verified when `organizationID` is not anonymous).
    public let apiKeyID: String?
    public let method: String
    /// The route pattern (`/api/v2/accounts/{account_id}/withdrawal_requests`), never the raw
    /// path: the pattern is what a reviewer filters on, and the ids are in `objectID`.
    public let route: String
    /// The object acted on: the id the handler created, else the most specific id in the path.
    public let objectID: String?
    public let status: Int
    /// The error code of a failed request (`insufficient_funds`), nil on success.
    public let errorCode: String?
    public let requestID: String
    /// The caller's network address.
    public let remoteAddress: String
    /// Wall-clock time the response was decided: an audit trail keeps real time, even when the
    /// sandbox has moved the business clock.
    public let createdAt: Date
    /// The business clock at the same moment (differs from `createdAt` only in the sandbox).
    public let businessTime: Date

    public var documentID: String { id }
    public var ownerOrganizationID: OrganizationID { organizationID }
    /// Indexed so "everything done to this object" is one index walk.
    public var parentID: String? { objectID }
    /// Indexed with the organization: "everything this key did".
    public var lookupKey: String? { apiKeyID }

    public init(
        organizationID: OrganizationID?, apiKeyID: String?, method: String, route: String, objectID: String?, status: Int,
        errorCode: String?, requestID: String, remoteAddress: String, createdAt: Date, businessTime: Date
    ) {
        id = IdentifierOrder.current.newIdentifier()
        self.organizationID = organizationID ?? Self.anonymousOrganizationID
        self.apiKeyID = apiKeyID.map(Self.bounded)
        self.method = Self.bounded(method)
        self.route = Self.bounded(route)
        self.objectID = objectID.map(Self.bounded)
        self.status = status
        self.errorCode = errorCode.map(Self.bounded)
        self.requestID = Self.bounded(requestID)
        self.remoteAddress = Self.bounded(remoteAddress)
        self.createdAt = createdAt
        self.businessTime = businessTime
    }

    private static func bounded(_ text: String) -> String {
        text.utf8.count <= fieldLengthMax ? text : String(decoding: text.utf8.prefix(fieldLengthMax), as: UTF8.self)
    }
}

/// Writing and reading the audit trail.
public struct AuditLog: Sendable {
    public init() {}

    /// Records one request: in the business transaction of a command that succeeded (so a
    /// crash cannot keep the change and lose its record), in a transaction of its own for a
    /// request that failed and changed nothing.
    public func record(_ record: AuditRecord, in tx: any StoreTransaction) async throws {
        try await tx.insertDocument(record)
    }

    /// A page of the trail, oldest first by default, for operators only; optionally one
    /// organization's, or one object's.
    public func list(
        organizationID: OrganizationID?, objectID: String?, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> Page<AuditRecord> {
        try principal.requireOperator()
        return try await tx.page(AuditRecord.self, query: DocumentQuery(owner: organizationID, parentID: objectID, page: page))
    }
}
