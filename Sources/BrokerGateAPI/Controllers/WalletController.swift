import BrokerGateCore
import Hummingbird

/// `/api/v2/accounts/{id}/wallet…`: the account's one wallet.
struct WalletController {
    let store: any Store
    let commands: Commands
    let wallets: WalletService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/wallet", .partner, get),
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/wallet/internal", .partner, linkInternal),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/wallet/external/nonce", .partner, nonce),
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/wallet/external", .partner, connectExternal),
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/wallet/managed", .partner, generateManaged),
        ]
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let principal = try context.caller()
        return WalletDTO(try await store.read { tx in try await wallets.wallet(of: id, for: principal, in: tx) })
    }

    struct InternalInput: Decodable {
        let chain_id: String
        let wallet_address: String
        let is_shared: Bool?
    }

    @Sendable func linkInternal(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(InternalInput.self, from: body)
        let principal = try context.caller()
        let wallets = wallets
        return try await commands.run(request, context, body: body, status: .ok, render: WalletDTO.init) { tx in
            try await wallets.linkInternal(
                id, chainID: input.chain_id, address: input.wallet_address, isShared: input.is_shared ?? false, for: principal, in: tx)
        }
    }

    struct NonceDTO: ResponseEncodable, Sendable {
        let message: String
        let nonce: String
    }

    /// Issues a nonce. A GET that writes: the nonce must be durable to be checked later,
    /// and Dinari's SDK defines this call as a GET with query parameters.
    @Sendable func nonce(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        guard let chainID = try query.string("chain_id") else { throw DomainError.invalidField("chain_id", "is required") }
        guard let address = try query.string("wallet_address") else { throw DomainError.invalidField("wallet_address", "is required") }
        let principal = try context.caller()
        let issued = try await store.transaction { tx in
            try await wallets.issueNonce(id, chainID: chainID, address: address, for: principal, in: tx)
        }
        return NonceDTO(message: issued.message, nonce: issued.nonce)
    }

    struct ExternalInput: Decodable {
        let chain_id: String
        let nonce: String
        let signature: String
        let wallet_address: String
    }

    @Sendable func connectExternal(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(ExternalInput.self, from: body)
        let principal = try context.caller()
        let wallets = wallets
        return try await commands.run(request, context, body: body, status: .ok, render: WalletDTO.init) { tx in
            try await wallets.connectExternal(
                id, chainID: input.chain_id, address: input.wallet_address, nonce: input.nonce, signature: input.signature,
                for: principal, in: tx)
        }
    }

    struct ManagedInput: Decodable {
        let chain_id: String?
    }

    @Sendable func generateManaged(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let input = body.isEmpty ? ManagedInput(chain_id: nil) : try WireJSON.decode(ManagedInput.self, from: body)
        let principal = try context.caller()
        let wallets = wallets
        return try await commands.run(request, context, body: body, status: .created, render: WalletDTO.init) { tx in
            try await wallets.generateManaged(id, chainID: input.chain_id ?? "eip155:0", for: principal, in: tx)
        }
    }
}

/// Dinari's `Wallet` wire shape. Never carries key material.
struct WalletDTO: ResponseEncodable, Sendable {
    let address: String
    let chain_id: String
    let is_aml_flagged: Bool
    let is_managed_wallet: Bool

    init(_ wallet: WalletRecord) {
        address = wallet.address.checksummed
        chain_id = wallet.chainID
        is_aml_flagged = wallet.isAMLFlagged
        is_managed_wallet = wallet.custody == .managed
    }
}
