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
    /// Carries a split of `symbol` into the broker's book, once per `splitID` (a repeat
    /// changes nothing): our position becomes floor(position × to ÷ from) in ledger units,
    /// what `SplitApplier` does to custody in our ledger, so reconciliation agrees after it.
    /// A real broker applies splits itself; its adapter only has to agree (see AlpacaBroker).
    func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws
    /// What this broker accepts, and when: Core's own rules apply only where both agree.
    var capabilities: BrokerCapabilities { get }
    /// Ids of orders the broker reports changed as they change (a push feed, e.g. Alpaca's
    /// `trade_updates`), and `.resynchronize` when the feed was interrupted and may have
    /// missed some. A hint to look sooner: polling remains the source of truth.
    func orderUpdates() -> AsyncStream<BrokerOrderUpdate>
}

extension BrokerAdapter {
    public var capabilities: BrokerCapabilities { .everything }
    public func orderUpdates() -> AsyncStream<BrokerOrderUpdate> { AsyncStream { $0.finish() } }
}

/// A change a broker pushed: one order to look at now, or everything open (the feed was
/// down and may have missed changes).
public enum BrokerOrderUpdate: Sendable, Equatable {
    case order(brokerOrderID: String)
    case resynchronize
}

/// What a broker accepts: order types, times in force, which of them it routes outside the
/// regular session, and which may carry fractional quantities (market buys by amount are
/// fractional). `SessionRules` combines them with our own rules: an order the broker can
/// never take is refused when placed; one it cannot take now waits.
public struct BrokerCapabilities: Sendable, Equatable {
    public var orderTypes: Set<OrderType>
    public var timesInForce: Set<OrderTIF>
    /// Times in force a limit order may have in the pre-market and after-hours sessions.
    public var extendedHoursTimesInForce: Set<OrderTIF>
    /// Whether limit orders route in the overnight session (20:00-04:00 ET).
    public var overnight: Bool
    /// Times in force a fractional order (or one by amount) may have.
    public var fractionalTimesInForce: Set<OrderTIF>

    public init(
        orderTypes: Set<OrderType>, timesInForce: Set<OrderTIF>, extendedHoursTimesInForce: Set<OrderTIF>, overnight: Bool,
        fractionalTimesInForce: Set<OrderTIF>
    ) {
        self.orderTypes = orderTypes
        self.timesInForce = timesInForce
        self.extendedHoursTimesInForce = extendedHoursTimesInForce
        self.overnight = overnight
        self.fractionalTimesInForce = fractionalTimesInForce
    }

    /// No restriction beyond our own rules: the simulated broker.
    public static let everything = BrokerCapabilities(
        orderTypes: Set(OrderType.allCases), timesInForce: Set(OrderTIF.allCases), extendedHoursTimesInForce: Set(OrderTIF.allCases),
        overnight: true, fractionalTimesInForce: Set(OrderTIF.allCases))

    /// Whether the broker routes an order of `type` and `tif` in `session` (our rules aside).
    public func routes(_ type: OrderType, tif: OrderTIF, in session: MarketSession) -> Bool {
        switch session {
        case .closed: false
        case .regular: true
        case .preMarket, .afterHours: type == .limit && extendedHoursTimesInForce.contains(tif)
        case .overnight: type == .limit && overnight && extendedHoursTimesInForce.contains(tif)
        }
    }

    /// Refuses, at placement, an order this broker can never take, saying what it takes.
    public func requireSupported(type: OrderType, tif: OrderTIF, fractional: Bool) throws(DomainError) {
        guard orderTypes.contains(type) else {
            throw DomainError(
                .ruleViolation, code: "order_type_unsupported",
                message: "the broker does not take \(type.rawValue) orders; use \(Self.names(orderTypes))")
        }
        guard timesInForce.contains(tif) else {
            throw DomainError(
                .ruleViolation, code: "time_in_force_unsupported",
                message: "the broker does not take time_in_force \(tif.rawValue); use \(Self.names(timesInForce))")
        }
        guard !fractional || fractionalTimesInForce.contains(tif) else {
            throw DomainError(
                .ruleViolation, code: "fractional_time_in_force_unsupported",
                message:
                    "the broker takes fractional quantities and orders by amount only with time_in_force \(Self.names(fractionalTimesInForce)); send a whole number of shares or use \(Self.names(fractionalTimesInForce))"
            )
        }
    }

    static func names<T: RawRepresentable<String>>(_ values: Set<T>) -> String {
        values.map(\.rawValue).sorted().joined(separator: " or ")
    }
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
    /// The sessions it may execute in, when narrower than our rules allow (an Alpaca limit
    /// order without `extended_hours` trades in the regular session only); nil: any.
    public var sessions: Set<MarketSession>? = nil

    public init(
        brokerOrderID: String, symbol: String, side: OrderSide, type: OrderType, tif: OrderTIF, notionalUnits: Int64?,
        quantityUnits: Int64?, limitPrice: Amount?, collarPrice: Amount?, sessions: Set<MarketSession>? = nil
    ) {
        self.sessions = sessions
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

/// What a broker that reports running totals instead of single executions (Alpaca's
/// order: `filled_qty`, `filled_avg_price`) has executed of an order so far.
public struct BrokerFillTotals: Sendable, Codable, Equatable {
    public let quantityUnits: Int64
    public let cashUnits: Int64
    /// When the latest execution counted here happened.
    public let at: Date

    public init(quantityUnits: Int64, cashUnits: Int64, at: Date) {
        self.quantityUnits = quantityUnits
        self.cashUnits = cashUnits
        self.at = at
    }
}

/// An order at the broker: its status, what it executed (every fill in order, or the
/// running totals), and why it ended when it did not fill.
public struct BrokerOrderState: Sendable, Codable, Equatable {
    public let brokerOrderID: String
    public var status: BrokerOrderStatus
    public var fills: [BrokerFill]
    /// Set by brokers that report only totals; `fills` is then empty.
    public var totals: BrokerFillTotals?
    public var reason: String?

    public init(
        brokerOrderID: String, status: BrokerOrderStatus, fills: [BrokerFill] = [], totals: BrokerFillTotals? = nil,
        reason: String? = nil
    ) {
        self.brokerOrderID = brokerOrderID
        self.status = status
        self.fills = fills
        self.totals = totals
        self.reason = reason
    }

    public var filledQuantityUnits: Int64 { totals?.quantityUnits ?? fills.reduce(0) { $0 + $1.quantityUnits } }

    /// The fills `order` has not settled yet. From single executions: those past the count
    /// it settled. From totals: one fill, the difference between the totals and what the
    /// order settled (its id names the total it brings the order to, so recording the same
    /// answer twice cannot settle it twice: the fulfillment's hash is unique).
    public func unsettledFills(of order: OrderRecord) -> [BrokerFill] {
        guard let totals else {
            let settled = order.settledFillCount ?? 0
            return fills.count > settled ? Array(fills[settled...]) : []
        }
        let quantity = totals.quantityUnits - order.filledQuantityUnits
        let cash = totals.cashUnits - order.paymentUnits
        guard quantity > 0, cash >= 0 else { return [] }
        let price = Amount(units: Int128(cash) * 1_000_000 / Int128(quantity), scale: 6)
        return [
            BrokerFill(
                id: "\(brokerOrderID)-q\(totals.quantityUnits)", quantityUnits: quantity, cashUnits: cash, price: price, at: totals.at)
        ]
    }
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

/// A broker that could not be reached or kept failing (timeouts, 5xx, 429) after the
/// adapter's own retries: the order stays as it was and is asked about again later.
/// Refusals are not errors: they come back as a `rejected` state with the broker's reason.
public struct BrokerUnavailable: Error, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "broker unavailable: \(reason)" }
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
    /// A chain intent is committed with its ledger move; no transaction is signed yet.
    case beforeChainSign = "before_chain_sign"
    /// The chain node has the signed transaction; the outbox has not seen it mined.
    case afterChainBroadcast = "after_chain_broadcast"
    /// A self-custody order's on-chain event became an order; the engine has not routed it.
    case afterChainOrderRecorded = "after_chain_order_recorded"

    /// The points on an order's way through the engine and the broker (not the chain's).
    public static let orderEngine: [OrderFaultPoint] = [.beforeBrokerSubmit, .afterBrokerSubmit, .beforeSettlement]
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
