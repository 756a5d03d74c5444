import BrokerGateCore
import Hummingbird

/// `GET /api/v2/operator/accounts/{account_id}/ledger`: any organization's account, its
/// balances and every transfer that touched it in journal order. Operator keys only.
struct OperatorLedgerController {
    let store: any Store
    let history: LedgerHistory

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/operator/accounts/{account_id}/ledger", .operator, ledger)]
    }

    /// Query: `asset` (USD+ or a stock symbol; all when absent), `after_sequence` (the
    /// previous page's `next_after_sequence`), `limit` (1…200, default 50).
    @Sendable func ledger(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let asset = try history.asset(named: try query.string("asset", lengthMax: 20))
        let after = try query.integer("after_sequence", range: 0...Int(Int64.max)) ?? 0
        let limit = try query.integer("limit", range: 1...LedgerHistory.limitMax) ?? LedgerHistory.limitDefault
        let found = try await store.read { tx in
            try await history.page(of: id, asset: asset, afterSequence: Int64(after), limit: limit, in: tx)
        }
        return LedgerHistoryDTO(found)
    }
}
