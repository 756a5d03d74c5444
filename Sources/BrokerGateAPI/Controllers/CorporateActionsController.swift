import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/operator/corporate_actions…`: the corporate-action calendar for operators (our
/// extension): every stock's dividends and splits, whatever their source and status; creating
/// a dividend or a split; cancelling one before its ex (effective) date. Operator keys only;
/// writes are idempotent and audited like every command.
struct CorporateActionsController {
    let store: any Store
    let commands: Commands
    let calendar: CorporateActionCalendar

    static let path = "/api/v2/operator/corporate_actions"

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, Self.path, .operator, create),
            RouteDefinition(.get, Self.path, .operator, list),
            RouteDefinition(.post, "\(Self.path)/{corporate_action_id}/cancel", .operator, cancel),
            RouteDefinition(.get, "\(Self.path)/{corporate_action_id}/entitlements", .operator, entitlements),
        ]
    }

    /// The body of a new action. Amounts are exact (`Amount`), dates `YYYY-MM-DD` text so the
    /// calendar's rules name the field that is wrong.
    struct CreateInput: Decodable {
        let stock_id: String?
        let type: String?
        let cash_amount: Amount?
        let dividend_type: String?
        let declared_date: String?
        let ex_date: String?
        let record_date: String?
        let pay_date: String?
        /// Read exactly as numbers so `1.5` is refused by name, not as malformed JSON.
        let split_from: Amount?
        let split_to: Amount?
        let effective_date: String?

        var request: CorporateActionRequest {
            CorporateActionRequest(
                stockID: stock_id, type: type, cashAmount: cash_amount, dividendType: dividend_type, declaredDate: declared_date,
                exDate: ex_date, recordDate: record_date, payDate: pay_date, splitFrom: split_from, splitTo: split_to,
                effectiveDate: effective_date)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(CreateInput.self, from: body)
        let principal = try context.caller()
        let calendar = calendar
        return try await commands.run(request, context, body: body, status: .created, render: CorporateActionDTO.init) { tx in
            try await calendar.create(input.request, by: principal, in: tx)
        }
    }

    /// The calendar, by ex (effective) date; `stock_id` narrows it to one stock.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let page = try query.page()
        // `stock_id=` means "not given", as for every other list filter.
        let stockID = try query.string("stock_id", lengthMax: 60).flatMap { $0.isEmpty ? nil : $0 }
        let principal = try context.caller()
        let calendar = calendar
        let found = try await store.read { tx in try await calendar.list(stockID: stockID, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, CorporateActionDTO.init)
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("corporate_action_id", context: context, as: CorporateActionID.self, what: "corporate action")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let calendar = calendar
        return try await commands.run(request, context, body: body, status: .ok, render: CorporateActionDTO.init) { tx in
            try await calendar.cancel(id, by: principal, in: tx)
        }
    }

    /// A dividend's holders as snapshotted when its ex date began, with what each is paid.
    @Sendable func entitlements(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("corporate_action_id", context: context, as: CorporateActionID.self, what: "corporate action")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let calendar = calendar
        let found = try await store.read { tx in try await calendar.entitlements(id, page: page, for: principal, in: tx) }
        return PaginatedDTO(found, DividendEntitlementDTO.init)
    }
}

/// One calendar entry as operators see it. Fields of the other kind are null: a dividend has
/// no ratio, a split no amount. For a split, `ex_date` is the effective date and `pay_date`
/// the payable date, as in Dinari's `StockSplit`.
struct CorporateActionDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    let id: String
    let stock_id: String
    let symbol: String
    let type: String
    let source: String
    let status: String
    let declared_date: Nullable<CalendarDate>
    let ex_date: CalendarDate
    let record_date: CalendarDate
    let pay_date: CalendarDate
    let cash_amount: Nullable<Amount>
    let currency: Nullable<String>
    let dividend_type: Nullable<String>
    let split_from: Nullable<Int64>
    let split_to: Nullable<Int64>
    let created_dt: Nullable<Date>
    let cancelled_dt: Nullable<Date>

    init(_ action: CorporateAction) {
        id = action.id.rawValue
        stock_id = action.stockID.rawValue
        symbol = action.symbol
        source = action.source.rawValue
        status = action.status.rawValue
        let dividend = action.dividend
        let split = action.split
        type = (dividend != nil ? CorporateActionRequest.Kind.cashDividend : .split).rawValue
        declared_date = Nullable(dividend?.declaredDate)
        ex_date = action.exDate
        record_date = dividend?.recordDate ?? split?.recordDate ?? action.exDate
        pay_date = dividend?.payDate ?? split?.payableDate ?? action.exDate
        cash_amount = Nullable(dividend?.amountPerShare)
        currency = Nullable(dividend?.currency)
        dividend_type = Nullable(dividend?.kind.rawValue)
        split_from = Nullable(split?.ratio.from)
        split_to = Nullable(split?.ratio.to)
        created_dt = Nullable(action.created?.at)
        cancelled_dt = Nullable(action.cancelled?.at)
    }
}

/// One holder's dividend (our extension): shares at the ex date, gross, withholding, net.
struct DividendEntitlementDTO: ResponseEncodable, Sendable {
    let account_id: String
    let stock_id: String
    let shares: Amount
    let amount_per_share: Amount
    /// "US" for US persons, else the ISO country of residence; null without KYC.
    let tax_residence: Nullable<String>
    let withholding_rate_bps: Int
    let gross_amount: Amount
    let withholding_tax: Amount
    let net_amount: Amount
    let payment_date: String
    let status: String
    let paid_dt: Nullable<Date>

    init(_ entitlement: DividendEntitlement) {
        account_id = entitlement.accountID.rawValue
        stock_id = entitlement.stockID.rawValue
        shares = CashAmount.amount(entitlement.sharesUnits)
        amount_per_share = CashAmount.amount(entitlement.amountPerShareUnits)
        switch entitlement.residence {
        case .usPerson: tax_residence = Nullable("US")
        case .country(let code): tax_residence = Nullable(code)
        case nil: tax_residence = Nullable(nil)
        }
        withholding_rate_bps = entitlement.rateBps
        gross_amount = CashAmount.amount(entitlement.grossUnits)
        withholding_tax = CashAmount.amount(entitlement.taxUnits)
        net_amount = CashAmount.amount(entitlement.netUnits)
        payment_date = entitlement.payDate.description
        status = entitlement.status.rawValue
        paid_dt = Nullable(entitlement.paidAt)
    }
}
