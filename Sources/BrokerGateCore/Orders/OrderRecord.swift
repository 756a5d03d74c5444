import Foundation

public enum OrderTag {}
public enum OrderRequestTag {}
public enum FulfillmentTag {}
public typealias OrderID = Identifier<OrderTag>
public typealias OrderRequestID = Identifier<OrderRequestTag>
public typealias FulfillmentID = Identifier<FulfillmentTag>

/// One order: the partner's request and the brokerage order it became, in one document.
/// Requests that fail a check are refused with a 422 and never stored, so every stored
/// request has its order. The status key is the order's own status; the open ones
/// (`openStatusKeys`) are the outbox the order engine drains on every replica and after
/// every restart.
public struct OrderRecord: StoredDocument, Equatable {
    public static let kind = "order"
    /// Status keys of orders the engine still has to act on: every non-terminal status.
    public static let openStatusKeys = BrokerageOrderStatus.allCases.filter { !$0.isTerminal }.map(\.rawValue)

    public let id: OrderID
    public let requestID: OrderRequestID
    public let accountID: AccountID
    public let entityID: EntityID
    public let organizationID: OrganizationID
    public let stockID: StockID
    public let symbol: String
    public let side: OrderSide
    public let type: OrderType
    public let tif: OrderTIF
    /// Market buys: USD to spend (2 dp).
    public let paymentAmount: Amount?
    /// Sells and limit buys: shares (≤ 6 dp for market sells, ≤ 4 dp for limits).
    public let assetQuantity: Amount?
    public let limitPrice: Amount?
    /// The fee quoted and held (USD+ units).
    public let quotedFeeUnits: Int64
    /// The order's hold; a new one when an operator retries an order that ended in ERROR.
    public var holdID: LedgerHoldID
    public let clientOrderID: String?
    public var status: BrokerageOrderStatus
    public var requestStatus: OrderRequestStatus
    public var filledQuantityUnits: Int64
    public var paymentUnits: Int64
    public var feeUnits: Int64
    public let expiresAt: Date?
    public var cancelMessage: String?
    public let createdAt: Date
    public var updatedAt: Date
    /// Who asked for the order: nil (documents stored before the field existed, and every
    /// partner order request) or `.partnerOrder`; `.issuance` for an issuer's mint/redeem.
    public var origin: OrderOrigin? = nil
    /// A market order of an exact quantity (issuance) executes only at this price or
    /// better: at most it for a buy (whose hold is sized on it), at least it for a sell.
    public var collarPrice: Amount? = nil
    /// How many of the broker's fills are settled in our books (nil: none yet). Fills are
    /// settled in the broker's order, each exactly once.
    public var settledFillCount: Int? = nil
    /// Why a cancel was asked (PENDING_CANCEL): it decides the request status at the end.
    public var cancelCause: OrderCancelCause? = nil
    /// Since when the broker could not be reached about this order (retries exhausted), and
    /// the last error; both nil once it answers again. Shown on the operator's order desk.
    public var brokerTroubleSince: Date? = nil
    public var brokerTrouble: String? = nil
    /// Broker calls about this order that failed in a row, and when the engine may call
    /// again (exponential backoff, `OrderEngine.backoff`); nil once the broker answers.
    public var brokerAttempts: Int? = nil
    public var brokerRetryAt: Date? = nil
    /// The alloy this order is a leg of (nil: a single-stock order). Legs of one alloy
    /// order share `basketID`, the order request id of their first leg.
    public var alloyID: AlloyID? = nil
    public var basketID: OrderRequestID? = nil

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    public var lookupKey: String? { requestID.rawValue }
    /// `client_order_id` is unique per entity.
    public var uniqueKey: String? { clientOrderID.map { "\(entityID.rawValue):\($0)" } }
    public var statusKey: String? { status.rawValue }
    /// An open order is read again by its settlement or the engine's next pass.
    public var isReadBackSoon: Bool { !status.isTerminal }

    /// Asks for the order to end (PENDING_CANCEL): the engine cancels it at the broker and
    /// closes it with the broker's answer, so fills the broker made first are settled, not
    /// lost. Asking again changes nothing; a closed order is a 422 `order_not_open`.
    public mutating func requestCancel(_ cause: OrderCancelCause, at instant: Date) throws(DomainError) {
        guard status != .pendingCancel else { return }
        try move(to: .pendingCancel, at: instant)
        cancelCause = cause
    }

    /// Moves the order through the state machine and records when.
    public mutating func move(to next: BrokerageOrderStatus, at instant: Date) throws(DomainError) {
        status = try OrderStateMachine.transition(from: status, to: next)
        updatedAt = instant
    }
}

extension DocumentQuery {
    /// Every organization's open orders, oldest first: the engine's outbox.
    public static func openOrders(page: PageRequest = .init()) -> DocumentQuery {
        DocumentQuery(owner: nil, statusKeys: OrderRecord.openStatusKeys, page: page)
    }
}

/// Who asked to end an open order.
public enum OrderCancelCause: String, Sendable, Codable {
    /// The partner cancelled it (request status CANCELLED).
    case partner = "PARTNER"
    /// Its time in force ran out (request status EXPIRED).
    case expiry = "EXPIRY"
    /// A corporate action ended it (a split of its stock, `SplitApplier`); `cancelMessage`
    /// names the action and is kept as the order's message when it closes.
    case corporateAction = "CORPORATE_ACTION"
    /// An operator cancelled it from the order desk (request status CANCELLED).
    case `operator` = "OPERATOR"
}

/// One fill of an order: what moved, at what price.
public struct FulfillmentRecord: StoredDocument, Equatable {
    public static let kind = "fulfillment"

    public let id: FulfillmentID
    public let orderID: OrderID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let stockID: StockID
    public let side: OrderSide
    public let quantityUnits: Int64
    public let paymentUnits: Int64
    public let feeUnits: Int64
    public let price: Amount
    /// The mint/burn's transaction on chain (`--chain evm:`) once signed; until then, and on
    /// the ledger-only chain, a deterministic stand-in.
    public var transactionHash: String
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { orderID.rawValue }
    public var lookupKey: String? { accountID.rawValue }
    /// Indexed so `GET /api/v2/orders/?order_fulfillment_transaction_hash=` is one lookup.
    public var uniqueKey: String? { transactionHash }
    /// A mint's or burn's hash, never a caller's choice.
    public static var uniqueKeyIsSystemMade: Bool { true }
}
