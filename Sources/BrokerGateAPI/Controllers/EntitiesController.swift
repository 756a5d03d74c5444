import BrokerGateCore
import Hummingbird

/// `/api/v2/entities/…`: the caller's organization and its INDIVIDUAL customers.
struct EntitiesController {
    let store: any Store
    let commands: Commands
    let entities: EntityService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/entities/me", .partner, me),
            RouteDefinition(.post, "/api/v2/entities", .partner, create),
            RouteDefinition(.get, "/api/v2/entities", .partner, list),
            RouteDefinition(.get, "/api/v2/entities/{entity_id}", .partner, get),
            RouteDefinition(.patch, "/api/v2/entities/{entity_id}", .partner, update),
        ]
    }

    /// The calling organization, as a Dinari `Entity` of type ORGANIZATION.
    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        EntityDTO(organization: try context.caller().organization)
    }

    struct CreateInput: Decodable {
        let name: String
        let reference_id: String?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body)
        let principal = try context.caller()
        let entities = entities
        return try await commands.run(request, context, body: body, status: .created, render: EntityDTO.init(customer:)) { tx in
            try await entities.create(name: input.name, referenceID: input.reference_id, for: principal, in: tx)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let page = try query.page()
        let referenceID = try query.string("reference_id")
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await entities.list(referenceID: referenceID, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, EntityDTO.init(customer:))
    }

    /// A customer, or the caller's own organization when its id is asked for.
    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let principal = try context.caller()
        if id == principal.organizationID { return EntityDTO(organization: principal.organization) }
        let entity = try await store.read { tx in try await entities.get(id, for: principal, in: tx) }
        return EntityDTO(customer: entity)
    }

    struct UpdateInput: Decodable {
        let reference_id: String?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let input = try await WireJSON.decodeBody(UpdateInput.self, from: request, context: context)
        let principal = try context.caller()
        let entity = try await store.transaction { tx in
            try await entities.updateReferenceID(id, to: input.reference_id, for: principal, in: tx)
        }
        return EntityDTO(customer: entity)
    }
}

/// Dinari's `Entity` wire shape (`types/v2/entity.py`).
struct EntityDTO: ResponseEncodable, Sendable {
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

    init(customer: CustomerEntity) {
        id = customer.id.rawValue
        entity_type = "INDIVIDUAL"
        is_kyc_complete = customer.isKYCComplete
        name = customer.name
        nationality = customer.nationality
        reference_id = customer.referenceID
    }
}
