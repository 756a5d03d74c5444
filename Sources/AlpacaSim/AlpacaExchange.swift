import BrokerGateBroker
import BrokerGateCore
import Crypto
import Foundation

/// Stable UUIDs for the simulator's names (asset ids, execution ids, the account id): the
/// first 16 bytes of SHA-256 of the name, marked version 8 (RFC 9562, custom).
enum NameBasedUUID {
    static func make(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x80
        bytes[8] = bytes[8] & 0x3F | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return uuid.uuidString.lowercased()
    }
}

/// A refusal in Alpaca's words: the HTTP status and Alpaca's `{"code", "message"}`.
public struct AlpacaRefusal: Error, Sendable {
    public let status: Int
    public let body: AlpacaWire.ErrorBody

    init(_ status: Int, _ code: Int, _ message: String) {
        self.status = status
        body = AlpacaWire.ErrorBody(code: code, message: message)
    }

    static func invalid(_ message: String) -> AlpacaRefusal { AlpacaRefusal(422, 40_010_001, message) }
    static let notFound = AlpacaRefusal(404, 40_410_000, "order not found")
}

/// The simulator's account: who may call it and what it was funded with.
public struct AlpacaSimAccount: Sendable {
    public var keyID: String
    public var secretKey: String
    /// Deposited at creation (one CSD activity); the account's cash starts here.
    public var initialCashUnits: Int64

    public init(keyID: String, secretKey: String, initialCashUnits: Int64) {
        self.keyID = keyID
        self.secretKey = secretKey
        self.initialCashUnits = initialCashUnits
    }
}

/// An order in the simulator's books, as Alpaca would keep it. Execution is the simulated
/// broker's (its quote, partial fills, halts, custody), under the Alpaca id.
struct AlpacaSimOrder: StoredDocument, Equatable {
    static let kind = "alpaca_sim_order"
    static let owner = OrganizationID(trusted: "00000000-0000-0000-0000-0000a19aca00")

    let id: String
    let clientOrderID: String
    let symbol: String
    let side: OrderSide
    let type: OrderType
    let tif: OrderTIF
    let quantityUnits: Int64?
    let notionalUnits: Int64?
    let limitPrice: Amount?
    let extendedHours: Bool
    let createdAt: Date
    var updatedAt: Date
    let expiresAt: Date?
    /// Alpaca's status name.
    var status: String
    /// Handed to the matching engine (it waits for a session its flags allow).
    var routed: Bool
    /// Accepted while the `never_fill` fault was on: it never executes.
    let neverFill: Bool
    var filledQuantityUnits: Int64
    /// The cash of the executions as the matching engine booked them (for the average price).
    var executedCashUnits: Int64
    var fillCount: Int
    var filledAt: Date?
    var canceledAt: Date?
    var expiredAt: Date?
    var failedAt: Date?

    var documentID: String { id }
    var ownerOrganizationID: OrganizationID { Self.owner }
    var lookupKey: String? { clientOrderID }
    var uniqueKey: String? { clientOrderID }
    var statusKey: String? { isOpen ? "open" : "closed" }
    var isOpen: Bool { !AlpacaWire.finalStatuses.contains(status) }

    /// The average price Alpaca reports: executed cash over quantity at 9 decimals, rounded
    /// in the customer's favour (as the cash derived from it is).
    var averagePrice: Amount? {
        guard filledQuantityUnits > 0 else { return nil }
        let numerator = Int128(executedCashUnits) * 1_000_000_000
        let quantity = Int128(filledQuantityUnits)
        var units = numerator / quantity
        if side == .sell, numerator % quantity != 0 { units += 1 }
        return Amount(units: units, scale: 9)
    }

    /// The cash the account paid (buy, positive) or received (sell, negative), by the rule
    /// `AlpacaBroker` reads it with.
    func signedCashUnits() throws -> Int64 {
        guard let price = averagePrice else { return 0 }
        let cash = try AlpacaWire.cashUnits(
            filledQuantityUnits: filledQuantityUnits, averagePrice: price, side: side, notionalUnits: notionalUnits)
        return side == .buy ? cash : -cash
    }

    var instruction: BrokerInstruction {
        let sessions: Set<MarketSession> = type == .limit && extendedHours ? [.preMarket, .regular, .afterHours] : [.regular]
        return BrokerInstruction(
            brokerOrderID: id, symbol: symbol, side: side, type: type, tif: tif, notionalUnits: notionalUnits,
            quantityUnits: quantityUnits, limitPrice: limitPrice, collarPrice: nil, sessions: sessions)
    }

    var wire: AlpacaWire.Order {
        let stamp = AlpacaWire.timestamp
        var order = AlpacaWire.Order(
            id: id, client_order_id: clientOrderID, created_at: stamp(createdAt), updated_at: stamp(updatedAt),
            submitted_at: stamp(createdAt), symbol: symbol, filled_qty: .units(filledQuantityUnits), type: AlpacaWire.name(type),
            side: AlpacaWire.name(side), time_in_force: AlpacaWire.name(tif), status: status, extended_hours: extendedHours)
        order.asset_id = AlpacaExchange.assetID(symbol)
        order.qty = quantityUnits.map(AlpacaWire.Decimal.units)
        order.notional = notionalUnits.map(AlpacaWire.Decimal.units)
        order.filled_avg_price = averagePrice.map(AlpacaWire.Decimal.init)
        order.limit_price = limitPrice.map(AlpacaWire.Decimal.init)
        order.filled_at = filledAt.map(stamp)
        order.canceled_at = canceledAt.map(stamp)
        order.expired_at = expiredAt.map(stamp)
        order.failed_at = failedAt.map(stamp)
        order.expires_at = expiresAt.map(stamp)
        return order
    }
}

/// The exchange behind the simulator's routes: accepts, matches, cancels and expires
/// orders, keeps the account's positions and cash, and tells the stream what changed.
/// One actor, so every change to an order is made by one caller at a time.
public actor AlpacaExchange {
    nonisolated public let store: any Store
    nonisolated public let clock: any SettableClock
    nonisolated public let account: AlpacaSimAccount
    let calendar: TradingCalendar
    let model: PriceModel
    let matching: SimulatedBroker
    nonisolated public let hub = TradeUpdateHub()
    /// While on, accepted orders never execute (the `never_fill` fault).
    public var neverFill = false

    public init(
        store: any Store, clock: any SettableClock, account: AlpacaSimAccount, halted: Set<String> = [], model: PriceModel = .standard,
        calendar: TradingCalendar = .nyse
    ) {
        self.store = store
        self.clock = clock
        self.account = account
        self.calendar = calendar
        self.model = model
        matching = SimulatedBroker(store: store, clock: clock, model: model, calendar: calendar, halted: halted)
    }

    public func setNeverFill(_ on: Bool) { neverFill = on }

    /// A stable asset id per symbol (Alpaca's are UUIDs).
    static func assetID(_ symbol: String) -> String {
        NameBasedUUID.make("alpaca-sim-asset:\(symbol)")
    }

    // MARK: Orders

    /// `POST /v2/orders`: checks the request as Alpaca does, stores it, and gives it its
    /// first look at the market.
    func place(_ request: AlpacaWire.OrderRequest) async throws -> AlpacaWire.Order {
        let now = clock.now()
        let symbol = request.symbol.uppercased()
        guard let stock = model.universe.stock(symbol: symbol) else { throw AlpacaRefusal.invalid("asset \(request.symbol) not found") }
        guard stock.isTradable else { throw AlpacaRefusal.invalid("asset \(symbol) is not tradable") }
        guard let side = OrderSide(rawValue: request.side.uppercased()) else { throw AlpacaRefusal.invalid("invalid side") }
        guard let type = OrderType(rawValue: request.type.uppercased()) else {
            throw AlpacaRefusal.invalid("order type \(request.type) is not supported by this simulator (market, limit)")
        }
        guard let tif = OrderTIF(rawValue: request.time_in_force.uppercased()) else {
            throw AlpacaRefusal.invalid("invalid time_in_force \(request.time_in_force) (day, gtc, ioc, fok)")
        }
        guard (request.qty == nil) != (request.notional == nil) else {
            throw AlpacaRefusal.invalid("qty or notional is required, not both")
        }
        let quantity = try request.qty.map { try Self.positiveUnits($0, field: "qty") }
        let notional = try request.notional.map { try Self.positiveUnits($0, field: "notional") }
        if notional != nil, side == .sell || type != .market { throw AlpacaRefusal.invalid("notional is only for market buys") }
        let fractional = notional != nil || (quantity.map { $0 % 1_000_000 != 0 } ?? false)
        if fractional, tif != .day { throw AlpacaRefusal.invalid("fractional orders must be DAY orders") }
        if type == .limit, request.limit_price == nil { throw AlpacaRefusal.invalid("limit_price is required for limit orders") }
        if type == .market, request.limit_price != nil { throw AlpacaRefusal.invalid("limit_price is only for limit orders") }
        let extendedHours = request.extended_hours ?? false
        if extendedHours, type != .limit || tif != .day {
            throw AlpacaRefusal.invalid("extended hours order must be DAY limit orders")
        }
        let clientOrderID = request.client_order_id ?? UUIDText.random()
        guard (1...128).contains(clientOrderID.count) else { throw AlpacaRefusal.invalid("client_order_id must be 1-128 characters") }
        guard try await stored(clientOrderID: clientOrderID) == nil else { throw AlpacaRefusal.invalid("client_order_id must be unique") }
        if side == .sell, let quantity {
            let held = try await positionUnits(symbol) - (try await openSellUnits(symbol))
            guard quantity <= held else {
                throw AlpacaRefusal(403, 40_310_000, "insufficient qty available for order (requested: \(quantity), available: \(held))")
            }
        }
        var order = AlpacaSimOrder(
            id: UUIDText.random(), clientOrderID: clientOrderID, symbol: symbol, side: side, type: type, tif: tif,
            quantityUnits: quantity, notionalUnits: notional, limitPrice: request.limit_price?.amount, extendedHours: extendedHours,
            createdAt: now, updatedAt: now, expiresAt: try expiry(tif: tif, type: type, extendedHours: extendedHours, at: now),
            status: "accepted", routed: false, neverFill: neverFill, filledQuantityUnits: 0, executedCashUnits: 0, fillCount: 0)
        if side == .buy {
            let cost =
                try notional
                ?? OrderPricing.notionalUnits(
                    quantityUnits: quantity ?? 0, price: request.limit_price?.amount ?? model.quote(symbol: symbol, at: now).ask,
                    rounding: .up)
            guard cost <= (try await cashUnits()) else {
                throw AlpacaRefusal(403, 40_310_000, "insufficient buying power")
            }
        }
        try await store.transaction { [order] tx in try await tx.insertDocument(order) }
        publish("accepted", order)
        order = try await advance(order)
        return order.wire
    }

    static func positiveUnits(_ value: AlpacaWire.Decimal, field: String) throws -> Int64 {
        guard let rescaled = try? value.amount.rescaled(to: 6, rounding: .exact), let units = Int64(exactly: rescaled.units), units > 0
        else { throw AlpacaRefusal.invalid("\(field) must be positive with at most 6 decimal places") }
        return units
    }

    /// When a DAY order expires: the close of the session it trades in (the after-hours
    /// close with extended hours, else the regular close) of the day it is for.
    func expiry(tif: OrderTIF, type: OrderType, extendedHours: Bool, at now: Date) throws -> Date? {
        guard tif == .day else { return nil }
        let state = try calendar.state(at: now)
        for day in [state.tradingDay, state.nextSession].compactMap({ $0 }) {
            let close = extendedHours ? day.afterHoursClose : day.regularClose
            if close > now { return close }
        }
        return nil
    }

    /// The stored order with Alpaca id `id`, or with our `clientOrderID`, else nil.
    func stored(id: String) async throws -> AlpacaSimOrder? {
        try await store.read { tx in try await tx.document(AlpacaSimOrder.self, id: id.lowercased()) }
    }

    func stored(clientOrderID: String) async throws -> AlpacaSimOrder? {
        try await store.read { tx in
            try await tx.allDocuments(AlpacaSimOrder.self, query: DocumentQuery(owner: AlpacaSimOrder.owner, lookupKey: clientOrderID))
        }.first
    }

    func order(id: String) async throws -> AlpacaWire.Order {
        guard let order = try await stored(id: id) else { throw AlpacaRefusal.notFound }
        return try await advance(order).wire
    }

    func order(clientOrderID: String) async throws -> AlpacaWire.Order {
        guard let order = try await stored(clientOrderID: clientOrderID) else { throw AlpacaRefusal.notFound }
        return try await advance(order).wire
    }

    /// `GET /v2/orders`: open, closed or all, newest first unless `ascending`.
    func orders(status: String, limit: Int, ascending: Bool, symbols: Set<String>?) async throws -> [AlpacaWire.Order] {
        try await advanceOpen()
        let keys: [String]? =
            switch status {
            case "open": ["open"]
            case "closed": ["closed"]
            default: nil
            }
        var all = try await store.read { tx in
            try await tx.allDocuments(AlpacaSimOrder.self, query: DocumentQuery(owner: AlpacaSimOrder.owner, statusKeys: keys))
        }
        if let symbols { all = all.filter { symbols.contains($0.symbol) } }
        all.sort { ascending ? $0.createdAt < $1.createdAt : $0.createdAt > $1.createdAt }
        return all.prefix(limit).map(\.wire)
    }

    /// `DELETE /v2/orders/{id}`: cancels what is left; an order already ended is not cancelable.
    func cancel(id: String) async throws {
        guard let order = try await stored(id: id) else { throw AlpacaRefusal.notFound }
        var current = try await advance(order)
        guard current.isOpen else { throw AlpacaRefusal(422, 42_210_000, "order is not cancelable") }
        if current.routed { try await apply(try await matching.cancel(current.id), to: &current) }
        if current.isOpen { try await end(&current, as: "canceled") }
        try await save(current)
    }

    /// `DELETE /v2/orders`: every open order; each one's result.
    func cancelAll() async throws -> [(id: String, status: Int)] {
        var results: [(String, Int)] = []
        for order in try await openOrders() {
            do {
                try await cancel(id: order.id)
                results.append((order.id, 200))
            } catch let refusal as AlpacaRefusal {
                results.append((order.id, refusal.status))
            }
        }
        return results
    }

    // MARK: Matching

    func openOrders() async throws -> [AlpacaSimOrder] {
        try await store.read { tx in
            try await tx.allDocuments(AlpacaSimOrder.self, query: DocumentQuery(owner: AlpacaSimOrder.owner, statusKey: "open"))
        }
    }

    /// Gives every open order its look at the market now (the ticker, and before reads of
    /// the account, so its cash and positions include every execution due).
    public func advanceOpen() async throws {
        for order in try await openOrders() { _ = try await advance(order) }
    }

    /// One look: routes the order when its session allows, records new executions, and
    /// expires it at the end of its day. Every change is stored and announced.
    func advance(_ order: AlpacaSimOrder) async throws -> AlpacaSimOrder {
        guard order.isOpen, !order.neverFill || order.expiresAt.map({ clock.now() >= $0 }) == true else { return order }
        var current = order
        let now = clock.now()
        if !current.routed {
            let session = try calendar.state(at: now).session
            if current.instruction.sessions?.contains(session) == true {
                current.routed = true
                current.status = "new"
                publish("new", current)
                try await apply(try await matching.submit(current.instruction), to: &current)
            }
        } else if !current.neverFill, let state = try await matching.query(current.id) {
            try await apply(state, to: &current)
        }
        if current.isOpen, let expiresAt = current.expiresAt, now >= expiresAt {
            if current.routed { try await apply(try await matching.cancel(current.id), to: &current) }
            if current.isOpen { try await end(&current, as: "expired") }
        }
        if current != order { try await save(current) }
        return current
    }

    /// Takes the matching engine's view: new fills (one `partial_fill`/`fill` each), and how
    /// it ended.
    func apply(_ state: BrokerOrderState, to order: inout AlpacaSimOrder) async throws {
        for fill in state.fills.dropFirst(order.fillCount) {
            order.fillCount += 1
            order.filledQuantityUnits += fill.quantityUnits
            order.executedCashUnits += fill.cashUnits
            order.filledAt = fill.at
            order.updatedAt = fill.at
            let done = state.status == .filled && order.fillCount == state.fills.count
            order.status = done ? "filled" : "partially_filled"
            var update = AlpacaWire.TradeUpdate(
                event: done ? "fill" : "partial_fill", order: order.wire, timestamp: AlpacaWire.timestamp(fill.at))
            update.execution_id = NameBasedUUID.make("alpaca-sim-execution:\(fill.id)")
            update.price = fill.price.trimmedDescription
            update.qty = AlpacaWire.Decimal.units(fill.quantityUnits).amount.trimmedDescription
            update.position_qty =
                AlpacaWire.Decimal.units(try await positionUnits(order.symbol, including: order)).amount.trimmedDescription
            hub.publish(update)
        }
        switch state.status {
        case .working, .filled: break
        case .cancelled: if order.isOpen { try await end(&order, as: "canceled") }
        case .rejected:
            if order.isOpen {
                order.failedAt = clock.now()
                try await end(&order, as: order.fillCount > 0 ? "canceled" : "rejected")
            }
        }
    }

    func end(_ order: inout AlpacaSimOrder, as status: String) async throws {
        let now = clock.now()
        order.status = status
        order.updatedAt = now
        switch status {
        case "canceled": order.canceledAt = now
        case "expired": order.expiredAt = now
        default: break
        }
        publish(status, order)
    }

    func save(_ order: AlpacaSimOrder) async throws {
        try await store.transaction { tx in try await tx.updateDocument(order) }
    }

    func publish(_ event: String, _ order: AlpacaSimOrder) {
        hub.publish(AlpacaWire.TradeUpdate(event: event, order: order.wire, timestamp: AlpacaWire.timestamp(order.updatedAt)))
    }

    // MARK: The account

    func allOrders() async throws -> [AlpacaSimOrder] {
        try await store.read { tx in try await tx.allDocuments(AlpacaSimOrder.self, query: DocumentQuery(owner: AlpacaSimOrder.owner)) }
    }

    /// Cash: the deposit less what executions cost, plus what they brought.
    func cashUnits() async throws -> Int64 {
        try await allOrders().reduce(account.initialCashUnits) { $0 - (try $1.signedCashUnits()) }
    }

    /// Shares held of `symbol`: bought less sold, over every order (`including` counts the
    /// given version of one order instead of its stored one).
    func positionUnits(_ symbol: String, including current: AlpacaSimOrder? = nil) async throws -> Int64 {
        try await allOrders().filter { $0.symbol == symbol }.reduce(0) { total, stored in
            let order = stored.id == current?.id ? current! : stored
            return total + (order.side == .buy ? order.filledQuantityUnits : -order.filledQuantityUnits)
        }
    }

    /// Shares already promised to open sells.
    func openSellUnits(_ symbol: String) async throws -> Int64 {
        try await openOrders().filter { $0.symbol == symbol && $0.side == .sell }.reduce(0) {
            $0 + ($1.quantityUnits ?? 0) - $1.filledQuantityUnits
        }
    }

    func positions() async throws -> [AlpacaWire.Position] {
        try await advanceOpen()
        var quantity: [String: Int64] = [:]
        var cost: [String: Int64] = [:]
        for order in try await allOrders() where order.filledQuantityUnits > 0 {
            let sign: Int64 = order.side == .buy ? 1 : -1
            quantity[order.symbol, default: 0] += sign * order.filledQuantityUnits
            cost[order.symbol, default: 0] += try order.signedCashUnits()
        }
        let now = clock.now()
        return try quantity.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { symbol, units in
            let basis = Amount(units: Int128(cost[symbol] ?? 0), scale: 6)
            let average = try basis.divided(by: Amount(units: Int128(units), scale: 6), scale: 6, rounding: .halfEven)
            let price = try model.quote(symbol: symbol, at: now).bid
            var position = AlpacaWire.Position(
                asset_id: Self.assetID(symbol), symbol: symbol, exchange: "NASDAQ", avg_entry_price: average.trimmedDescription,
                qty: .units(units), side: units > 0 ? "long" : "short", cost_basis: basis.trimmedDescription)
            position.qty_available = AlpacaWire.Decimal.units(units).amount.trimmedDescription
            position.current_price = price.trimmedDescription
            position.market_value = try Amount(
                units: Int128(OrderPricing.notionalUnits(quantityUnits: units, price: price, rounding: .down)), scale: 6
            ).trimmedDescription
            return position
        }
    }

    func accountView() async throws -> AlpacaWire.Account {
        let positions = try await positions()
        var longValue = Amount.zero(scale: 6)
        for position in positions {
            if let value = position.market_value, let amount = try? Amount(parsingAtNaturalScale: value) {
                longValue = try longValue.adding(amount)
            }
        }
        return AlpacaWire.Account(
            id: NameBasedUUID.make("alpaca-sim-account:\(account.keyID)"), account_number: "PA\(account.keyID.prefix(10).uppercased())",
            cash: .units(try await cashUnits()), longMarketValue: longValue,
            created_at: AlpacaWire.timestamp(Date(timeIntervalSince1970: 0))
        )
    }

    /// Cash activities: the one deposit that funded the account.
    func cashActivities() -> [AlpacaWire.CashActivity] {
        [
            AlpacaWire.CashActivity(
                id: "20000101000000000::\(NameBasedUUID.make("alpaca-sim-deposit:\(account.keyID)"))", activity_type: "CSD",
                date: "2000-01-01", net_amount: .units(account.initialCashUnits), description: "initial deposit")
        ]
    }
}
