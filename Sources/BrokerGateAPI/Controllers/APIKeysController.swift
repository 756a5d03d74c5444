import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/api_keys`: an organization creates, lists and revokes its own API keys
/// (`APIKeyService`); BrokerGate extension. The secret is in the create answer only.
struct APIKeysController {
    let store: any Store
    let commands: Commands
    let keys: APIKeyService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/api_keys", .partner, create),
            RouteDefinition(.get, "/api/v2/api_keys", .partner, list),
            RouteDefinition(.post, "/api/v2/api_keys/{api_key_id}/revoke", .partner, revoke),
        ]
    }

    struct CreateInput: Decodable {
        let name: String?
        let read_only: Bool?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let input = body.isEmpty ? CreateInput(name: nil, read_only: nil) : try WireJSON.decode(CreateInput.self, from: body)
        let (principal, keys) = (try context.caller(), keys)
        return try await commands.run(request, context, body: body, status: .created, render: APIKeyDTO.created) { tx in
            try await keys.create(name: input.name, readOnly: input.read_only ?? false, for: principal, in: tx)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let principal = try context.caller()
        let found = try await store.read { tx in try await keys.list(for: principal, in: tx) }
        return APIKeyListDTO(data: found.map { APIKeyDTO($0, secret: nil) })
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        guard let raw = context.parameters.get("api_key_id"), let id = APIKeyID(parsing: raw) else {
            throw DomainError.notFound("API key")
        }
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let (principal, keys) = (try context.caller(), keys)
        return try await commands.run(request, context, body: body, status: .ok, render: { APIKeyDTO($0, secret: nil) }) { tx in
            try await keys.revoke(id, for: principal, in: tx)
        }
    }
}

/// An API key as its organization sees it; `secret` only in the answer that created it.
struct APIKeyDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    let id: String
    let name: String?
    let read_only: Bool
    let status: String
    let created_dt: Date
    let revoked_dt: Date?
    let secret: String?

    init(_ key: APIKeyRecord, secret: String?) {
        id = key.id.rawValue
        name = key.name
        read_only = key.isReadOnly
        status = key.isActive ? "ACTIVE" : "REVOKED"
        created_dt = key.createdAt
        revoked_dt = key.revokedAt
        self.secret = secret
    }

    static func created(_ pair: (APIKeyRecord, IssuedKey)) -> APIKeyDTO { APIKeyDTO(pair.0, secret: pair.1.secret) }
}

struct APIKeyListDTO: ResponseEncodable, Sendable {
    let data: [APIKeyDTO]
}
