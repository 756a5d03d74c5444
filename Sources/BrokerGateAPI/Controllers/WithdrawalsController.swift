import BrokerGateCore
import Hummingbird

/// `/api/v2/accounts/{id}/withdrawal_requests` and `…/withdrawals`: burning USD+ for USDC
/// paid to a wallet of the customer.
struct WithdrawalsController {
    let store: any Store
    let commands: Commands
    let withdrawals: WithdrawalService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/accounts/{account_id}/withdrawal_requests", .partner, create),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/withdrawal_requests", .partner, listRequests),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/withdrawal_requests/{withdrawal_request_id}", .partner, getRequest),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/withdrawals", .partner, listWithdrawals),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/withdrawals/{withdrawal_id}", .partner, getWithdrawal),
        ]
    }

    struct CreateInput: Decodable {
        let payment_token_quantity: Amount
        let recipient_account_id: String
    }

    /// Holds the USD+, then (simulated chain) burns it and pays the USDC in the same
    /// transaction: the response is already SUBMITTED, with its `Withdrawal` listed.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body)
        let units = try CashAmount.units(input.payment_token_quantity, field: "payment_token_quantity")
        let principal = try context.caller()
        let withdrawals = withdrawals
        return try await commands.run(request, context, body: body, status: .created, render: WithdrawalRequestDTO.init) { tx in
            try await withdrawals.request(id, units: units, recipient: input.recipient_account_id, for: principal, in: tx)
        }
    }

    @Sendable func listRequests(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let page = try Self.newestFirst(QueryParameters(request: request))
        let principal = try context.caller()
        let found = try await store.read { tx in try await withdrawals.requests(id, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, WithdrawalRequestDTO.init)
    }

    @Sendable func getRequest(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let requestID = try request.id("withdrawal_request_id", context: context, as: WithdrawalRequestID.self, what: "withdrawal request")
        let principal = try context.caller()
        let found = try await store.read { tx in try await withdrawals.request(requestID, of: id, for: principal, in: tx) }
        return WithdrawalRequestDTO(found)
    }

    /// `withdrawal_request_id` narrows the list to one request's payouts.
    @Sendable func listWithdrawals(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let page = try Self.newestFirst(query)
        let requestID = try query.string("withdrawal_request_id").map { text in
            guard let parsed = WithdrawalRequestID(parsing: text) else {
                throw DomainError.invalidField("withdrawal_request_id", "must be a withdrawal request id (a UUID)")
            }
            return parsed
        }
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await withdrawals.withdrawals(id, requestID: requestID, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, WithdrawalDTO.init)
    }

    @Sendable func getWithdrawal(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let withdrawalID = try request.id("withdrawal_id", context: context, as: WithdrawalID.self, what: "withdrawal")
        let principal = try context.caller()
        let found = try await store.read { tx in try await withdrawals.withdrawal(withdrawalID, of: id, for: principal, in: tx) }
        return WithdrawalDTO(found)
    }

    /// Dinari lists withdrawals and their requests "sorted by most recent": newest first
    /// unless the caller sends `order`.
    static func newestFirst(_ query: QueryParameters) throws -> PageRequest {
        var page = try query.page()
        if try query.string("order") == nil { page.order = .desc }
        return page
    }
}
