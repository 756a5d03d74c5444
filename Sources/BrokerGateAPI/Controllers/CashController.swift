import BrokerGateCore
import Hummingbird

/// `GET /api/v2/accounts/{id}/cash` and `GET …/interest_payments`: what an account holds in
/// USD+ and the interest it was paid.
struct CashController {
    let store: any Store
    let funding: FundingService
    let interest: InterestPayer

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/cash", .partner, cash),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/interest_payments", .partner, interestPayments),
        ]
    }

    /// One line: USD+ on the account's reporting chain (the wallet's, else Arbitrum One).
    @Sendable func cash(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let principal = try context.caller()
        let balance = try await store.read { tx in try await funding.cash(id, for: principal, in: tx) }
        return [CashBalanceDTO(balance)]
    }

    /// Payments with `payment_date` in `start_date..<end_date` (New York dates), paginated.
    @Sendable func interestPayments(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let query = QueryParameters(request: request)
        let start = try Self.date(query, "start_date")
        let end = try Self.date(query, "end_date")
        guard start < end else { throw DomainError.invalidField("end_date", "must be after start_date (end_date is exclusive)") }
        let page = try query.page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await interest.list(id, start: start, end: end, page: page, for: principal, in: tx)
        }
        return PaginatedDTO(found, InterestPaymentDTO.init)
    }

    /// A required `YYYY-MM-DD` query parameter within 1970…2999 (a limit on everything).
    static func date(_ query: QueryParameters, _ name: String) throws -> CalendarDate {
        guard let text = try query.string(name, lengthMax: 10) else { throw DomainError.invalidField(name, "is required (YYYY-MM-DD)") }
        guard let date = try? CalendarDate(parsing: text), (1970...2999).contains(date.year) else {
            throw DomainError.invalidField(name, "must be a date YYYY-MM-DD between 1970-01-01 and 2999-12-31")
        }
        return date
    }
}
