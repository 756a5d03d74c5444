import Foundation

/// A dividend paid to an account on a stock it held (Dinari's `DividendPayment`).
public struct DividendPayment: Sendable, Equatable {
    public let stockID: StockID
    public let amount: Amount
    public let currency: String
    public let paymentDate: CalendarDate
}

/// An account's brokerage activity and dividend payments, inside the caller's
/// organization (a foreign account is a 404).
public struct AccountActivity: Sendable {
    public let clock: any BusinessClock
    /// Most activities one page may hold (Dinari's default page size).
    public static let pageSizeMax = 100

    public init(clock: any BusinessClock) {
        self.clock = clock
    }

    /// The account's executions, newest first: every broker fill settled for it. A page
    /// continues after `pageToken`, the id of the last activity of the previous page; an
    /// id that is not one of the account's activities is a 404 naming the parameter.
    public func brokerage(
        _ accountID: AccountID, pageSize: Int, after pageToken: String?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> [FulfillmentView] {
        _ = try await tx.account(accountID, for: principal)
        var page = PageRequest(limit: pageSize, order: .desc)
        if let pageToken {
            let missing = DomainError(.notFound, code: "not_found", message: "page_token does not name an activity of this account")
            guard let id = FulfillmentID(parsing: pageToken),
                let last = try await tx.document(FulfillmentRecord.self, id: id.rawValue),
                last.ownerOrganizationID == principal.organizationID, last.accountID == accountID
            else { throw missing }
            page.direction = .after(.of(last))
        }
        let found = try await tx.page(
            FulfillmentRecord.self, query: DocumentQuery(owner: principal.organizationID, lookupKey: accountID.rawValue, page: page))
        var chains = AccountChains()
        return try await chains.views(found, in: tx).items
    }

    /// Dividend payments with a payment date in `start..<end` (New York dates), optionally
    /// of one stock: the account's paid entitlements (`DividendPayer`), net of withholding,
    /// ordered by payment date.
    public func dividends(
        _ accountID: AccountID, start: CalendarDate, end: CalendarDate, stockID: StockID?, page: PageRequest, for principal: Principal,
        in tx: any StoreTransaction
    ) async throws -> Page<DividendPayment> {
        _ = try await tx.account(accountID, for: principal)
        guard start < end else { throw DomainError.invalidField("end_date", "must be after start_date (end_date is exclusive)") }
        if let stockID, StockUniverse.standard.stock(id: stockID) == nil { throw DomainError.notFound("stock") }
        let paid = try await tx.allDocuments(
            DividendEntitlement.self,
            query: DocumentQuery(
                owner: principal.organizationID, parentID: accountID.rawValue, statusKey: DividendEntitlement.Status.paid.rawValue))
        let payments = paid.filter { $0.payDate >= start && $0.payDate < end && (stockID == nil || $0.stockID == stockID) }
            .sorted { ($0.payDate, $0.documentID) < ($1.payDate, $1.documentID) }
            .map {
                (
                    $0.documentID,
                    DividendPayment(stockID: $0.stockID, amount: CashAmount.amount($0.netUnits), currency: "USD", paymentDate: $0.payDate)
                )
            }
        let found = MarketDataService.page(payments, page, key: { "\($0.1.paymentDate):\($0.0)" })
        return Page(items: found.items.map(\.1), next: found.next, previous: found.previous)
    }
}
