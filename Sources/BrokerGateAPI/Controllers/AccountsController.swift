import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/entities/{id}/accounts` and `/api/v2/accounts/{id}`.
struct AccountsController {
    let store: any Store
    let commands: Commands
    let accounts: AccountService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/entities/{entity_id}/accounts", .partner, create),
            RouteDefinition(.get, "/api/v2/entities/{entity_id}/accounts", .partner, list),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}", .partner, get),
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/deactivate", .partner, deactivate),
        ]
    }

    struct CreateInput: Decodable {
        let jurisdiction: KYCJurisdiction?
    }

    /// Opens an account; the body is optional (jurisdiction defaults to BASELINE).
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let input = body.isEmpty ? CreateInput(jurisdiction: nil) : try WireJSON.decode(CreateInput.self, from: body)
        let principal = try context.caller()
        let accounts = accounts
        return try await commands.run(request, context, body: body, status: .created, render: AccountDTO.init) { tx in
            try await accounts.create(entityID: entityID, jurisdiction: input.jurisdiction ?? .baseline, for: principal, in: tx)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in try await accounts.list(entityID: entityID, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, AccountDTO.init)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let principal = try context.caller()
        return AccountDTO(try await store.read { tx in try await accounts.get(id, for: principal, in: tx) })
    }

    @Sendable func deactivate(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let accounts = accounts
        return try await commands.run(request, context, body: body, status: .ok, render: AccountDTO.init) { tx in
            try await accounts.deactivate(id, for: principal, in: tx)
        }
    }
}

/// Dinari's `Account` wire shape.
struct AccountDTO: ResponseEncodable, Sendable {
    let id: String
    let created_dt: Date
    let entity_id: String
    let is_active: Bool
    let jurisdiction: String
    let brokerage_account_id: String?

    init(_ account: Account) {
        id = account.id.rawValue
        created_dt = account.createdAt
        entity_id = account.entityID.rawValue
        is_active = account.isActive
        jurisdiction = account.jurisdiction.rawValue
        brokerage_account_id = account.brokerageAccountID
    }
}
