import BrokerGateCore
import Foundation

/// The simulated broker: an exchange and custodian in miniature behind `BrokerAdapter`.
///
/// - Books of its own: every order it accepted and every fill, and per symbol the shares
///   it holds in custody for BrokerGate and the net cash BrokerGate paid it, kept in the
///   gateway's store under kinds no partner route reads (a real broker keeps them on its
///   side). They survive restarts and are shared by every replica, as a real broker's are.
/// - Execution from the price model's two-sided quote: buys at the ask, sells at the bid;
///   a limit order when the quote crosses its limit (any improvement goes to the
///   customer); a collared market order (issuance) only inside its collar. One look
///   executes at most the displayed size, so large orders fill in parts. IOC fills what
///   one look allows and cancels the rest; FOK all at once or nothing.
/// - Its own session rules (`SessionRules.mayRoute`): an order that reaches it outside
///   the hours its type may trade is rejected, so a routing bug cannot hide; a working
///   order executes only while its session allows.
/// - Rejects untradable and halted symbols, and sells beyond the shares in custody.
///
/// The exchange matches lazily: an order executes when it is submitted or looked at
/// (`query`), at the business clock's instant.
public struct SimulatedBroker: BrokerAdapter {
    public let store: any Store
    public let clock: any BusinessClock
    public let model: PriceModel
    public let calendar: TradingCalendar
    /// Symbols whose trading is halted: submissions are rejected, working orders wait.
    public let halted: Set<String>

    /// Owner of the broker's documents: no organization's routes can reach them.
    static let bookOwner = OrganizationID(trusted: "00000000-0000-0000-0000-00000000b0c5")

    public init(
        store: any Store, clock: any BusinessClock, model: PriceModel = .standard, calendar: TradingCalendar = .nyse,
        halted: Set<String> = []
    ) {
        self.store = store
        self.clock = clock
        self.model = model
        self.calendar = calendar
        self.halted = halted
    }

    public func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState {
        let now = clock.now()
        return try await store.transaction { tx in
            // A new order that fills reads this transaction's position slot (`execute`).
            try await tx.prefetchDocuments([
                DocumentKey(SimBrokerOrder.self, id: instruction.brokerOrderID),
                DocumentKey(SimBrokerPosition.self, id: SimBrokerPosition.id(instruction.symbol, slot: tx.houseSlot)),
            ])
            if let existing = try await tx.document(SimBrokerOrder.self, id: instruction.brokerOrderID) { return existing.state }
            var order = SimBrokerOrder(
                instruction: instruction, state: .init(brokerOrderID: instruction.brokerOrderID, status: .working), createdAt: now)
            if let reason = try rejection(of: instruction, at: now) {
                order.state.status = .rejected
                order.state.reason = reason
            } else {
                try await execute(&order, at: now, in: tx)
            }
            try await tx.insertDocument(order)
            return order.state
        }
    }

    public func query(_ brokerOrderID: String) async throws -> BrokerOrderState? {
        let now = clock.now()
        return try await store.transaction { tx in
            guard var order = try await tx.document(SimBrokerOrder.self, id: brokerOrderID) else { return nil }
            let before = order
            try await execute(&order, at: now, in: tx)
            if order != before { try await tx.updateDocument(order) }
            return order.state
        }
    }

    public func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState {
        let now = clock.now()
        return try await store.transaction { tx in
            guard var order = try await tx.document(SimBrokerOrder.self, id: brokerOrderID) else {
                // Never seen: record the cancel, so a submission still in flight cannot open it.
                let tombstone = SimBrokerOrder(
                    instruction: nil,
                    state: .init(brokerOrderID: brokerOrderID, status: .cancelled, reason: "cancelled before it reached the broker"),
                    createdAt: now)
                try await tx.insertDocument(tombstone)
                return tombstone.state
            }
            guard order.state.status == .working else { return order.state }
            // Whatever is executable now executes first, as it would have at a real venue.
            try await execute(&order, at: now, in: tx)
            if order.state.status == .working {
                order.state.status = .cancelled
                order.state.reason = "cancelled"
            }
            try await tx.updateDocument(order)
            return order.state
        }
    }

    public func book() async throws -> BrokerBook {
        try await store.read { tx in
            var book = BrokerBook(positions: [:], netCashUnits: 0)
            for position in try await tx.allDocuments(SimBrokerPosition.self, query: DocumentQuery(owner: Self.bookOwner)) {
                book.positions[position.symbol, default: 0] += position.quantityUnits
                book.netCashUnits += position.netCashUnits
            }
            return book
        }
    }

    /// Splits the position of `symbol` (every slot together) to floor(units × to ÷ from), once
    /// per `splitID`: a marker stored in the same transaction makes a repeat change nothing.
    /// The change lands on slot 0; the book only ever reads the slots' sum.
    public func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
        let now = clock.now()
        try await store.transaction { tx in
            let marker = SimBrokerSplit(id: splitID, symbol: symbol, createdAt: now)
            if try await tx.document(SimBrokerSplit.self, id: marker.documentID) != nil { return }
            let units = try await SimBrokerPosition.totalUnits(of: symbol, in: tx)
            let delta = SplitArithmetic.split(units, ratio) - units
            let slotZero = SimBrokerPosition.id(symbol, slot: 0)
            if var position = try await tx.document(SimBrokerPosition.self, id: slotZero) {
                position.quantityUnits += delta
                try await tx.updateDocument(position)
            } else if delta != 0 {
                try await tx.insertDocument(
                    SimBrokerPosition(symbol: symbol, slot: 0, quantityUnits: delta, netCashUnits: 0, createdAt: now))
            }
            try await tx.insertDocument(marker)
        }
    }

    /// Why the broker refuses an order outright, or nil.
    func rejection(of instruction: BrokerInstruction, at now: Date) throws -> String? {
        guard let stock = model.universe.stock(symbol: instruction.symbol), stock.isTradable else {
            return "\(instruction.symbol) is not tradable at this broker"
        }
        if halted.contains(instruction.symbol) { return "trading in \(instruction.symbol) is halted" }
        let session = try calendar.state(at: now).session
        guard SessionRules.mayRoute(instruction.type, in: session) else {
            return "\(instruction.type.rawValue) orders are not accepted in the \(session.rawValue) session"
        }
        if instruction.type == .limit, instruction.limitPrice == nil { return "a limit order needs a limit price" }
        guard (instruction.notionalUnits ?? instruction.quantityUnits ?? 0) > 0 else { return "nothing to execute" }
        return nil
    }

    /// Executes what the quote allows now: at most the displayed size (all of it for FOK);
    /// IOC and FOK end after this one look.
    func execute(_ order: inout SimBrokerOrder, at now: Date, in tx: any StoreTransaction) async throws {
        guard order.state.status == .working, let instruction = order.instruction, !halted.contains(instruction.symbol) else { return }
        let session = try calendar.state(at: now).session
        guard SessionRules.mayRoute(instruction.type, in: session), instruction.sessions?.contains(session) ?? true else { return }
        let quote = try model.quote(symbol: instruction.symbol, at: now)
        let price = instruction.side == .buy ? quote.ask : quote.bid
        if Self.isMarketable(instruction, at: price) {
            let displayed = instruction.side == .buy ? quote.askSizeShares : quote.bidSizeShares
            try await fill(&order, instruction, price: price, displayedShares: displayed, at: now, in: tx)
        }
        if order.state.status == .working, instruction.tif == .ioc || instruction.tif == .fok {
            order.state.status = .cancelled
            order.state.reason =
                order.state.fills.isEmpty
                ? "\(instruction.tif.rawValue) order was not marketable" : "IOC order: the unfilled rest is cancelled"
        }
    }

    static func isMarketable(_ instruction: BrokerInstruction, at price: Amount) -> Bool {
        let bound = instruction.type == .limit ? instruction.limitPrice : instruction.collarPrice
        guard let bound else { return instruction.type == .market }
        return instruction.side == .buy ? price <= bound : price >= bound
    }

    /// One fill of up to `displayedShares` (FOK: the whole rest), booked in custody.
    func fill(
        _ order: inout SimBrokerOrder, _ instruction: BrokerInstruction, price: Amount, displayedShares: Int64, at now: Date,
        in tx: any StoreTransaction
    ) async throws {
        let sliceShares = displayedShares * 1_000_000
        let filledCash = order.state.fills.reduce(Int64(0)) { $0 + $1.cashUnits }
        let (quantity, cash): (Int64, Int64)
        if let notional = instruction.notionalUnits {
            let rest = notional - filledCash
            let sliceCash = try OrderPricing.notionalUnits(quantityUnits: sliceShares, price: price, rounding: .down)
            let amount = instruction.tif == .fok ? rest : min(rest, sliceCash)
            (quantity, cash) = (try OrderPricing.quantityUnits(forPaymentUnits: amount, at: price), amount)
        } else {
            let rest = (instruction.quantityUnits ?? 0) - order.state.filledQuantityUnits
            let shares = instruction.tif == .fok ? rest : min(rest, sliceShares)
            // The customer pays the smaller cost and receives the larger proceeds.
            let rounding: RoundingRule = instruction.side == .buy ? .down : .up
            (quantity, cash) = (shares, try OrderPricing.notionalUnits(quantityUnits: shares, price: price, rounding: rounding))
        }
        guard quantity > 0 else { return }
        if instruction.side == .sell {
            let held = try await SimBrokerPosition.totalUnits(of: instruction.symbol, in: tx)
            if held < quantity {
                order.state.status = .rejected
                order.state.reason =
                    "the broker holds \(held) units of \(instruction.symbol) in custody, fewer than the \(quantity) to sell"
                return
            }
        }
        // Only this transaction's slot is read and written: buys of one symbol running at
        // once never touch the same document.
        let slot = tx.houseSlot
        let stored = try await tx.document(SimBrokerPosition.self, id: SimBrokerPosition.id(instruction.symbol, slot: slot))
        var position =
            stored ?? SimBrokerPosition(symbol: instruction.symbol, slot: slot, quantityUnits: 0, netCashUnits: 0, createdAt: now)
        let sign: Int64 = instruction.side == .buy ? 1 : -1
        position.quantityUnits += sign * quantity
        position.netCashUnits += sign * cash
        if stored == nil { try await tx.insertDocument(position) } else { try await tx.updateDocument(position) }
        order.state.fills.append(
            BrokerFill(
                id: "\(instruction.brokerOrderID)-\(order.state.fills.count + 1)", quantityUnits: quantity, cashUnits: cash, price: price,
                at: now))
        let done =
            instruction.notionalUnits.map { filledCash + cash >= $0 }
            ?? (order.state.filledQuantityUnits >= (instruction.quantityUnits ?? 0))
        if done { order.state.status = .filled }
    }
}

/// An order in the simulated broker's books (a tombstone when cancelled before it arrived).
struct SimBrokerOrder: StoredDocument, Equatable {
    static let kind = "sim_broker_order"

    let instruction: BrokerInstruction?
    var state: BrokerOrderState
    let createdAt: Date

    var documentID: String { state.brokerOrderID }
    var ownerOrganizationID: OrganizationID { SimulatedBroker.bookOwner }
}

/// One slot of the broker's custody of one symbol for BrokerGate's omnibus account, and
/// the net cash BrokerGate paid for it. A symbol's position is the sum of its slots: the
/// same split as the house ledger accounts (`HouseSlots`), for the same reason (every buy
/// of a symbol would otherwise rewrite one document). A slot may go negative when a sell
/// lands on it; only the sum is checked.
struct SimBrokerPosition: StoredDocument, Equatable {
    static let kind = "sim_broker_position"

    let symbol: String
    /// Nil in documents written before slots existed: slot 0.
    let slot: Int?
    var quantityUnits: Int64
    var netCashUnits: Int64
    let createdAt: Date

    init(symbol: String, slot: Int, quantityUnits: Int64, netCashUnits: Int64, createdAt: Date) {
        self.symbol = symbol
        self.slot = slot
        self.quantityUnits = quantityUnits
        self.netCashUnits = netCashUnits
        self.createdAt = createdAt
    }

    /// Slot 0 keeps the id a symbol's single position document always had.
    static func id(_ symbol: String, slot: Int) -> String { slot == 0 ? "position-\(symbol)" : "position-\(symbol)-\(slot)" }
    var documentID: String { Self.id(symbol, slot: slot ?? 0) }
    var ownerOrganizationID: OrganizationID { SimulatedBroker.bookOwner }
    /// Finds every slot of a symbol in one query.
    var lookupKey: String? { symbol }

    /// Units of `symbol` held over all slots. Slot 0 is read by id as well, since one
    /// written before slots existed carries no lookup key.
    static func totalUnits(of symbol: String, in tx: any StoreTransaction) async throws -> Int64 {
        var slots = try await tx.allDocuments(Self.self, query: DocumentQuery(owner: SimulatedBroker.bookOwner, lookupKey: symbol))
        if !slots.contains(where: { ($0.slot ?? 0) == 0 }), let legacy = try await tx.document(Self.self, id: id(symbol, slot: 0)) {
            slots.append(legacy)
        }
        return slots.reduce(0) { $0 + $1.quantityUnits }
    }
}

/// A split the simulated broker has carried into its book (`applySplit` is idempotent by it).
struct SimBrokerSplit: StoredDocument, Equatable {
    static let kind = "sim_broker_split"
    let id: String
    let symbol: String
    let createdAt: Date

    var documentID: String { "split-\(id)" }
    var ownerOrganizationID: OrganizationID { SimulatedBroker.bookOwner }
}
