import Foundation

/// What the order engine asks of a broker, and what reconciliation reads from it. The
/// simulated broker implements it over its own books; a real broker (e.g. Alpaca)
/// implements the same calls over its API.
///
/// Every call is idempotent by broker order id, which is our order id: the engine delivers
/// at least once (after a crash it asks again), and a repeated `submit` returns the order
/// the broker already has instead of executing it twice. `cancel` of an id the broker has
/// never seen records the cancellation, so an instruction still in flight can no longer
/// open it.
public protocol BrokerAdapter: Sendable {
    /// Places an order (or returns the one already placed under the same id). An order
    /// the broker will not take (halted or untradable symbol, a session that does not
    /// allow it) comes back `rejected` with the reason.
    func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState
    /// The order as the broker sees it now, with every fill so far (the fill feed the
    /// engine settles from); nil when the broker has never seen the id.
    func query(_ brokerOrderID: String) async throws -> BrokerOrderState?
    /// Cancels what is left of an order. Fills already made stand and are returned.
    func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState
    /// The broker's own book for our omnibus account: shares in custody per symbol and the
    /// net cash we have paid it, for reconciliation against our ledger.
    func book() async throws -> BrokerBook
}

/// One order as sent to the broker: everything it needs to execute, nothing about the
/// customer.
public struct BrokerInstruction: Sendable, Codable, Equatable {
    public let brokerOrderID: String
    public let symbol: String
    public let side: OrderSide
    public let type: OrderType
    public let tif: OrderTIF
    /// Market buys by amount: the cash to spend (ledger units, 6 dp).
    public let notionalUnits: Int64?
    /// Every other order: the shares (ledger units, 6 dp).
    public let quantityUnits: Int64?
    public let limitPrice: Amount?
    /// A collared market order (issuance) executes only at this price or better.
    public let collarPrice: Amount?

    public init(
        brokerOrderID: String, symbol: String, side: OrderSide, type: OrderType, tif: OrderTIF, notionalUnits: Int64?,
        quantityUnits: Int64?, limitPrice: Amount?, collarPrice: Amount?
    ) {
        self.brokerOrderID = brokerOrderID
        self.symbol = symbol
        self.side = side
        self.type = type
        self.tif = tif
        self.notionalUnits = notionalUnits
        self.quantityUnits = quantityUnits
        self.limitPrice = limitPrice
        self.collarPrice = collarPrice
    }

    /// The instruction for one of our orders; its id is the broker order id.
    public init(_ order: OrderRecord) throws {
        let byAmount = order.side == .buy && order.type == .market && order.paymentAmount != nil
        self.init(
            brokerOrderID: order.id.rawValue, symbol: order.symbol, side: order.side, type: order.type, tif: order.tif,
            notionalUnits: byAmount ? try OrderPricing.units(order.paymentAmount ?? .zero(scale: 2)) : nil,
            quantityUnits: byAmount ? nil : try OrderPricing.units(order.assetQuantity ?? .zero(scale: 6)),
            limitPrice: order.limitPrice, collarPrice: order.collarPrice)
    }
}

/// Where an order stands at the broker.
public enum BrokerOrderStatus: String, Sendable, Codable, CaseIterable {
    case working = "WORKING", filled = "FILLED", cancelled = "CANCELLED", rejected = "REJECTED"

    public var isTerminal: Bool { self != .working }
}

/// One execution: shares and the cash they cost (buy) or brought (sell), at a price.
public struct BrokerFill: Sendable, Codable, Equatable {
    /// Unique at the broker: `<broker order id>-<sequence>`.
    public let id: String
    public let quantityUnits: Int64
    public let cashUnits: Int64
    public let price: Amount
    public let at: Date

    public init(id: String, quantityUnits: Int64, cashUnits: Int64, price: Amount, at: Date) {
        self.id = id
        self.quantityUnits = quantityUnits
        self.cashUnits = cashUnits
        self.price = price
        self.at = at
    }
}

/// An order at the broker: its status, every fill in order, and why it ended when it
/// did not fill.
public struct BrokerOrderState: Sendable, Codable, Equatable {
    public let brokerOrderID: String
    public var status: BrokerOrderStatus
    public var fills: [BrokerFill]
    public var reason: String?

    public init(brokerOrderID: String, status: BrokerOrderStatus, fills: [BrokerFill] = [], reason: String? = nil) {
        self.brokerOrderID = brokerOrderID
        self.status = status
        self.fills = fills
        self.reason = reason
    }

    public var filledQuantityUnits: Int64 { fills.reduce(0) { $0 + $1.quantityUnits } }
}

/// The broker's book for our omnibus account.
public struct BrokerBook: Sendable, Equatable {
    /// Shares held in custody per symbol (ledger units).
    public var positions: [String: Int64]
    /// Net cash paid to the broker: bought − sold (ledger units of USD).
    public var netCashUnits: Int64

    public init(positions: [String: Int64], netCashUnits: Int64) {
        self.positions = positions
        self.netCashUnits = netCashUnits
    }
}

/// Named moments of the order path where a crash test may kill the process (sandbox
/// only): the engine calls the injector at each, and the default does nothing.
public enum OrderFaultPoint: String, Sendable, CaseIterable {
    /// The order is committed; the broker has not been called.
    case beforeBrokerSubmit = "before_broker_submit"
    /// The broker has the order; our books do not know it yet.
    case afterBrokerSubmit = "after_broker_submit"
    /// The broker reported fills; they are not settled in our books yet.
    case beforeSettlement = "before_settlement"
}

/// Called at every `OrderFaultPoint`; a crash test's injector ends the process there.
/// In-process tests throw instead, which leaves the store exactly as a crash would.
public struct OrderFaultInjector: Sendable {
    let hit: @Sendable (OrderFaultPoint) throws -> Void

    public init(_ hit: @escaping @Sendable (OrderFaultPoint) throws -> Void) {
        self.hit = hit
    }

    public static let none = OrderFaultInjector { _ in }
}
