import BrokerGateCore
import Hummingbird

/// `/api/v2/accounts/{id}/token_transfers`: USD+ or stock tokens moved to another KYC-passed
/// account of the same organization.
struct TokenTransfersController {
    let store: any Store
    let commands: Commands
    let transfers: TokenTransferService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/token_transfers", .partner, create),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/token_transfers", .partner, list),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/token_transfers/{transfer_id}", .partner, get),
        ]
    }

    struct CreateInput: Decodable {
        let quantity: Amount
        let recipient_account_id: String
        let token_address: String
    }

    /// Token and quantity are checked first (no store needed), then the accounts.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body)
        let transfers = transfers
        let (token, units) = try transfers.parse(tokenAddress: input.token_address, quantity: input.quantity)
        let principal = try context.caller()
        return try await commands.run(request, context, body: body, status: .created, render: TokenTransferDTO.init) { tx in
            try await transfers.transfer(id, token: token, units: units, recipient: input.recipient_account_id, for: principal, in: tx)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in try await transfers.list(id, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, TokenTransferDTO.init)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let transferID = try request.id("transfer_id", context: context, as: TokenTransferID.self, what: "token transfer")
        let principal = try context.caller()
        let found = try await store.read { tx in try await transfers.get(transferID, of: id, for: principal, in: tx) }
        return TokenTransferDTO(found)
    }
}
