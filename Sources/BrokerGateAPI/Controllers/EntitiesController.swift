import BrokerGateCore
import Hummingbird

/// `/api/v2/entities/…`: the caller's own organization entity (and, later, its customers).
struct EntitiesController {
    let store: any Store

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/entities/me", .partner, me)]
    }

    /// The calling organization, as a Dinari `Entity` of type ORGANIZATION.
    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Reply.json(EntityDTO(organization: try context.caller().organization))
    }
}

/// Dinari's `Entity` wire shape (`types/v2/entity.py`).
struct EntityDTO: Encodable, Sendable {
    let id: String
    let entity_type: String
    let is_kyc_complete: Bool
    let name: String?
    let nationality: String?
    let reference_id: String?

    /// Organizations are onboarded (KYB) by the operator before they get a key, so their
    /// KYC is complete by construction.
    init(organization: Organization) {
        id = organization.id.rawValue
        entity_type = "ORGANIZATION"
        is_kyc_complete = true
        name = organization.name
        nationality = nil
        reference_id = nil
    }
}
