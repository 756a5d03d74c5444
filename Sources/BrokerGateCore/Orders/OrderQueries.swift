import Foundation

/// The filters of Dinari's order and order-request lists. Every filter but `chainID` names
/// at most one order (ids, `client_order_id` and transaction hashes are unique), so a list
/// with any of them is a lookup, not a scan; `chainID` narrows.
public struct OrderFilter: Sendable, Equatable {
    public var orderID: String?
    public var requestID: String?
    /// Only in an account's lists: unique per entity, and the account names the entity.
    public var clientOrderID: String?
    public var orderTransactionHash: String?
    public var fulfillmentTransactionHash: String?
    public var chainID: String?

    public init(
        orderID: String? = nil, requestID: String? = nil, clientOrderID: String? = nil, orderTransactionHash: String? = nil,
        fulfillmentTransactionHash: String? = nil, chainID: String? = nil
    ) {
        self.orderID = orderID
        self.requestID = requestID
        self.clientOrderID = clientOrderID
        self.orderTransactionHash = orderTransactionHash
        self.fulfillmentTransactionHash = fulfillmentTransactionHash
        self.chainID = chainID
    }

    var isIdentifying: Bool {
        orderID != nil || requestID != nil || clientOrderID != nil || orderTransactionHash != nil || fulfillmentTransactionHash != nil
    }
}

/// An order with the chain it settles on (its account's wallet's).
public struct OrderView: Sendable, Codable, Equatable {
    public let order: OrderRecord
    public let chainID: String
}

/// A fulfillment with the chain it settled on.
public struct FulfillmentView: Sendable, Codable, Equatable {
    public let fulfillment: FulfillmentRecord
    public let chainID: String
}

/// Reading orders and fulfillments the way Dinari's list and retrieve calls ask for them,
/// always inside the caller's organization (a foreign id is a 404, never someone's data).
public struct OrderQueries: Sendable {
    /// Most `order_ids` one fulfillment query may name.
    public static let orderIDsMax = 100

    public init() {}

    /// The caller's order by id, within the account.
    public func order(_ id: OrderID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> OrderView
    {
        var chains = AccountChains()
        return try await chains.view(try await Self.record(id, accountID: accountID, for: principal, in: tx), in: tx)
    }

    /// The caller's order by its request's id, within the account.
    public func order(
        requestID: OrderRequestID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> OrderView {
        var chains = AccountChains()
        return try await chains.view(try await Self.record(requestID: requestID, accountID: accountID, for: principal, in: tx), in: tx)
    }

    /// A page of one account's orders, or (`accountID` nil) of the whole organization's.
    /// With an identifying filter the page holds the one matching order or none. A
    /// `chainID` filter over an organization's orders is applied to each stored page, so a
    /// page may hold fewer than `limit` orders while `next` still leads on.
    public func orders(
        accountID: AccountID?, filter: OrderFilter, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    )
        async throws -> Page<OrderView>
    {
        let account = try await accountID.asyncMap { id in try await tx.account(id, for: principal) }
        var chains = AccountChains()
        let found: Page<OrderRecord>
        if filter.isIdentifying {
            let order = try await pinned(filter, account: account, for: principal, in: tx)
            found = Page(items: order.map { [$0] } ?? [], next: nil, previous: nil)
        } else {
            found = try await tx.page(
                OrderRecord.self, query: DocumentQuery(owner: principal.organizationID, parentID: accountID?.rawValue, page: page))
        }
        var views: [OrderView] = []
        for order in found.items { views.append(try await chains.view(order, in: tx)) }
        if let chain = filter.chainID { views = views.filter { $0.chainID == chain } }
        return Page(items: views, next: found.next, previous: found.previous)
    }

    /// The one order every identifying filter names, or nil when they disagree or name none.
    /// Malformed values name nothing, like a malformed id in a path.
    func pinned(
        _ filter: OrderFilter, account: Account?, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> OrderRecord? {
        let owner = principal.organizationID
        var named: [OrderID?] = []
        if let text = filter.orderID { named.append(OrderID(parsing: text)) }
        if let text = filter.orderTransactionHash { named.append(OrderOnChain.orderID(fromTransactionHash: text, .create)) }
        if let text = filter.fulfillmentTransactionHash {
            let fill = try await tx.document(FulfillmentRecord.self, owner: owner, uniqueKey: text.lowercased())
            named.append(fill?.orderID)
        }
        if let text = filter.requestID {
            let query = OrderRequestID(parsing: text).map {
                DocumentQuery(owner: owner, parentID: account?.id.rawValue, lookupKey: $0.rawValue)
            }
            named.append(try await query.asyncMap { try await tx.page(OrderRecord.self, query: $0).items.first?.id } ?? nil)
        }
        if let text = filter.clientOrderID {
            let key = account.map { "\($0.entityID.rawValue):\(text)" }
            named.append(try await key.asyncMap { try await tx.document(OrderRecord.self, owner: owner, uniqueKey: $0)?.id } ?? nil)
        }
        guard let first = named.first, let id = first, named.allSatisfy({ $0 == id }) else { return nil }
        guard let order = try await tx.document(OrderRecord.self, id: id.rawValue), order.organizationID == owner else { return nil }
        if let account, order.accountID != account.id { return nil }
        return order
    }

    /// The caller's order by order id, or 404.
    static func record(
        _ id: OrderID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> OrderRecord {
        try await tx.owned(OrderRecord.self, id: id.rawValue, in: accountID, account: \.accountID, by: principal, name: "order")
    }

    /// The caller's order by order-request id, or 404.
    static func record(
        requestID: OrderRequestID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> OrderRecord {
        let found = try await tx.page(
            OrderRecord.self,
            query: DocumentQuery(owner: principal.organizationID, parentID: accountID.rawValue, lookupKey: requestID.rawValue))
        guard let order = found.items.first else { throw DomainError.notFound("order request") }
        return order
    }

    // MARK: - Fulfillments

    /// A page of one order's fulfillments.
    public func fulfillments(
        ofOrder id: OrderID, accountID: AccountID, page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    )
        async throws -> Page<FulfillmentView>
    {
        let order = try await Self.record(id, accountID: accountID, for: principal, in: tx)
        let found = try await tx.page(
            FulfillmentRecord.self, query: DocumentQuery(owner: principal.organizationID, parentID: order.id.rawValue, page: page))
        var chains = AccountChains()
        return try await chains.views(found, in: tx)
    }

    /// A page of an account's fulfillments, of every order or only of `orderIDs` (ids of
    /// other accounts' orders, or malformed ones, match nothing).
    public func fulfillments(
        accountID: AccountID, orderIDs: [String], page: PageRequest, for principal: Principal, in tx: any StoreTransaction
    )
        async throws -> Page<FulfillmentView>
    {
        _ = try await tx.account(accountID, for: principal)
        guard orderIDs.count <= Self.orderIDsMax else {
            throw DomainError.invalidField("order_ids", "at most \(Self.orderIDsMax) order ids per query (got \(orderIDs.count))")
        }
        // Fulfillments carry their account as lookup key and their order as parent: both
        // filters and the page cut run in the store, over one index.
        let parents = orderIDs.isEmpty ? nil : Set(orderIDs.compactMap(OrderID.init(parsing:))).map(\.rawValue).sorted()
        let found = try await tx.page(
            FulfillmentRecord.self,
            query: DocumentQuery(owner: principal.organizationID, parentIDs: parents, lookupKey: accountID.rawValue, page: page))
        var chains = AccountChains()
        return try await chains.views(found, in: tx)
    }

    /// The caller's fulfillment by id, within the account.
    public func fulfillment(
        _ id: FulfillmentID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws
        -> FulfillmentView
    {
        let fill = try await tx.owned(FulfillmentRecord.self, id: id.rawValue, by: principal, name: "order fulfillment")
        guard fill.accountID == accountID else { throw DomainError.notFound("order fulfillment") }
        var chains = AccountChains()
        return FulfillmentView(fulfillment: fill, chainID: try await chains.chain(of: accountID, in: tx))
    }
}

/// Each account's order chain, read once per request however many of its orders a page holds.
struct AccountChains {
    private var known: [AccountID: String] = [:]

    mutating func chain(of account: AccountID, in tx: any StoreTransaction) async throws -> String {
        if let chain = known[account] { return chain }
        let chain = OrderOnChain.chain(of: try await tx.document(WalletRecord.self, id: account.rawValue))
        known[account] = chain
        return chain
    }

    mutating func view(_ order: OrderRecord, in tx: any StoreTransaction) async throws -> OrderView {
        OrderView(order: order, chainID: try await chain(of: order.accountID, in: tx))
    }

    mutating func views(_ page: Page<FulfillmentRecord>, in tx: any StoreTransaction) async throws -> Page<FulfillmentView> {
        var views: [FulfillmentView] = []
        for fill in page.items { views.append(FulfillmentView(fulfillment: fill, chainID: try await chain(of: fill.accountID, in: tx))) }
        return Page(items: views, next: page.next, previous: page.previous)
    }
}
