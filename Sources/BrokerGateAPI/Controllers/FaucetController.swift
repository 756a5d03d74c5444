import BrokerGateCore
import Hummingbird

/// Sandbox funding, routed only with `--sandbox`: Dinari's faucet (`POST …/faucet`, the
/// SDK's `accounts.mint_sandbox_tokens`) and our simulated on-chain USDC deposit.
///
/// Why a partner key for deposits: the deposit stands in for the partner's customer sending
/// USDC to the account's wallet, so the account's owner drives it, and another organization
/// gets the same 404 as for any of its routes.
struct FaucetController {
    let commands: Commands
    let funding: FundingService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/faucet", .partner, faucet),
            RouteDefinition(.post, "/api/v2/sandbox/accounts/{account_id}/deposits", .partner, deposit),
        ]
    }

    struct FaucetInput: Decodable {
        let chain_id: String?
    }

    /// Mints 1,000 USD+ to the account's wallet. The SDK ignores the body; it describes the mint.
    @Sendable func faucet(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let input = body.isEmpty ? FaucetInput(chain_id: nil) : try WireJSON.decode(FaucetInput.self, from: body)
        let principal = try context.caller()
        let funding = funding
        return try await commands.run(request, context, body: body, status: .ok, render: FundingDTO.init) { tx in
            try await funding.faucet(id, chainID: input.chain_id, for: principal, in: tx)
        }
    }

    struct DepositInput: Decodable {
        let amount: Amount
        let chain_id: String?
    }

    /// Simulates `amount` USDC arriving at the account's wallet: mints as much USD+.
    @Sendable func deposit(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(DepositInput.self, from: body)
        let units = try CashAmount.units(input.amount, field: "amount")
        let principal = try context.caller()
        let funding = funding
        return try await commands.run(request, context, body: body, status: .created, render: FundingDTO.init) { tx in
            try await funding.deposit(id, units: units, chainID: input.chain_id, for: principal, in: tx)
        }
    }
}
