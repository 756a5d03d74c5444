import BrokerGateCore
import Hummingbird

/// `/api/v2/operator/…`: running the gateway. Operator keys only.
struct OperatorController {
    let commands: Commands
    let organizations: OrganizationService

    var routes: [RouteDefinition] {
        [RouteDefinition(.post, "/api/v2/operator/organizations", .operator, createOrganization)]
    }

    struct CreateOrganizationInput: Decodable {
        let name: String
    }

    struct CreatedOrganization: ResponseEncodable, Sendable {
        struct Key: ResponseEncodable, Sendable {
            let id: String
            /// Shown once; only its salted hash is stored.
            let secret: String
        }

        let organization: EntityDTO
        let api_key: Key
    }

    /// Creates a partner organization with its first API key.
    @Sendable func createOrganization(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateOrganizationInput.self, from: body)
        let organizations = organizations
        return try await commands.run(request, context, body: body, status: .created) { (created: (Organization, IssuedKey)) in
            CreatedOrganization(
                organization: EntityDTO(organization: created.0), api_key: .init(id: created.1.id.rawValue, secret: created.1.secret))
        } _: { tx in
            try await organizations.createPartner(named: input.name, in: tx)
        }
    }
}
