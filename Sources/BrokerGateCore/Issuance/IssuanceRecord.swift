import Foundation

/// Mint (buy shares into custody, mint tokens) or redeem (burn tokens, sell shares).
public enum IssuanceDirection: String, Sendable, Codable, CaseIterable {
    case mint = "MINT"
    case redeem = "REDEEM"

    var side: OrderSide { self == .mint ? .buy : .sell }
}

/// An issuer's mint or redeem request. The work is done by an ordinary order (same id,
/// `origin: .issuance`), so routing, sessions, the outbox, fills and settlement are the
/// order engine's; this document only marks the order as issuance and keeps the request
/// as the issuer made it, so issuance lists show nothing else.
public struct IssuanceRecord: StoredDocument, Equatable {
    public static let kind = "issuance_order"

    /// Equal to the order's id.
    public let id: OrderID
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let direction: IssuanceDirection
    public let stockID: StockID
    public let symbol: String
    /// Exactly this many tokens are minted (or burned).
    public let quantityUnits: Int64
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
}

/// An issuance request with the order doing its work.
public struct IssuanceView: Sendable, Equatable {
    public let record: IssuanceRecord
    public let order: OrderRecord

    public init(record: IssuanceRecord, order: OrderRecord) {
        self.record = record
        self.order = order
    }
}

/// The issuer's request, as the API decodes it.
public struct IssuanceInput: Sendable {
    public var stockID: String?
    /// Tokens to mint or redeem (≤ 4 decimals; whole shares for non-fractionable stocks).
    public var quantity: Amount?
    public var clientOrderID: String?

    public init(stockID: String?, quantity: Amount?, clientOrderID: String? = nil) {
        self.stockID = stockID
        self.quantity = quantity
        self.clientOrderID = clientOrderID
    }
}

/// The rules of issuance orders, in one place.
///
/// - Execution: a market order of the exact quantity, routed only in the regular session
///   (`SessionRules.mayRoute(.market, …)`): primary-session liquidity, as issuers of
///   tokenized stock do. Unlike a partner's market order it is accepted while the market
///   is closed and waits as a market-on-open order for the next regular session.
/// - Price protection: the order carries a collar of `collarBps` around the price at
///   acceptance (above it for a mint, below for a redeem) and executes only inside it; a
///   mint's USD+ hold is sized on the collar, so the hold always covers the cost and fee.
/// - Expiry: at the regular close of the session it waits for; an order the collar kept
///   from executing is then cancelled (request status EXPIRED) and its hold released.
public enum IssuancePolicy {
    /// 10 %: wide enough for a weekend gap of the price model, narrow enough to bound the
    /// USD+ an issuer has tied up.
    public static let collarBps: Int128 = 1_000

    /// The collar price for `direction` around `price`, rounded outward to the cent (in
    /// the issuer's favour: a mint may execute up to it, so it rounds up; a redeem's floor
    /// rounds down).
    static func collar(_ direction: IssuanceDirection, around price: Amount) throws -> Amount {
        let factor = Amount(units: direction == .mint ? 10_000 + collarBps : 10_000 - collarBps, scale: 4)
        return try price.multiplied(by: factor, scale: 2, rounding: direction == .mint ? .up : .down)
    }

    /// The regular close of the session the order may execute in: today's while the
    /// regular session is open, else that of the next regular open.
    static func expiry(_ state: MarketState) -> Date {
        if state.isRegularOpen, let today = state.tradingDay { return today.regularClose }
        return state.nextRegularOpenDay.regularClose
    }
}
