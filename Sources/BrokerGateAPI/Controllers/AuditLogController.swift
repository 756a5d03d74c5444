import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/operator/audit_log`: the trail of state-changing requests across every
/// organization, oldest first by default, for operators. Filters: `organization_id` (the nil
/// UUID lists failed authentications) and `object_id`.
struct AuditLogController {
    let store: any Store
    private let auditLog = AuditLog()

    init(store: any Store) {
        self.store = store
    }

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/operator/audit_log", .operator, list)]
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let page = try query.page()
        let organizationID = try query.string("organization_id", lengthMax: 36).map { raw in
            guard let id = OrganizationID(parsing: raw) else { throw DomainError.invalidField("organization_id", "must be a UUID") }
            return id
        }
        let objectID = try query.string("object_id", lengthMax: AuditRecord.fieldLengthMax)
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await auditLog.list(organizationID: organizationID, objectID: objectID, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, AuditRecordDTO.init)
    }
}

/// One audit record on the wire.
struct AuditRecordDTO: ResponseEncodable, Sendable {
    let id: String
    let organization_id: String
    let api_key_id: String?
    let method: String
    let route: String
    let object_id: String?
    let status: Int
    let error_code: String?
    let request_id: String
    let remote_address: String
    let created_dt: Date
    let business_dt: Date

    init(_ record: AuditRecord) {
        id = record.id
        organization_id = record.organizationID.rawValue
        api_key_id = record.apiKeyID
        method = record.method
        route = record.route
        object_id = record.objectID
        status = record.status
        error_code = record.errorCode
        request_id = record.requestID
        remote_address = record.remoteAddress
        created_dt = record.createdAt
        business_dt = record.businessTime
    }
}
