import BrokerGateCore
import BrokerGateStores
import BrokerGateTesting
import Foundation
import Synchronization
import Testing

@testable import BrokerGateBroker

/// A whole trading day in milliseconds: the order engine with a fixed business clock, the
/// memory store and the simulated broker.
struct OrderEngineTests {
    /// Monday 2026-11-30 10:00 ET, regular session.
    static let mondayMorning = Date(timeIntervalSince1970: 1_796_050_800)
    /// Saturday 2026-11-28 10:00 ET.
    static let saturday = Date(timeIntervalSince1970: 1_795_878_000)

    let fixture = TradingFixture(now: Self.mondayMorning)
    var clock: FixedClock { fixture.clock }
    var store: any Store { fixture.store }
    var principal: Principal { fixture.principal }

    var market: MarketDataService { MarketDataService(clock: clock) }
    var service: OrderCommands { OrderCommands(clock: clock, market: market) }
    var broker: SimulatedBroker { SimulatedBroker(store: store, clock: clock) }
    var engine: OrderEngine { OrderEngine(clock: clock, broker: broker) }
    var aapl: Stock { StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }! }

    /// A KYC-passed customer with a wallet and `dollars` of USD+.
    func customer(dollars: Int64 = 10_000) async throws -> AccountID {
        try await fixture.customer(dollars: dollars)
    }

    func place(_ input: OrderRequestInput, _ account: AccountID) async throws -> OrderRecord {
        let service = service, principal = principal
        return try await store.transaction { tx in try await service.create(input, accountID: account, for: principal, in: tx) }
    }

    func reload(_ order: OrderRecord) async throws -> OrderRecord {
        try #require(try await fixture.reload(order))
    }

    func balance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        try await fixture.balance(id)
    }

    /// Tokens outstanding equal shares in custody, and every asset sums to zero.
    func assertBacked(_ symbol: String) async throws {
        let backing = try await fixture.backing(symbol)
        #expect(backing.issued == backing.custody)
        #expect(backing.balanced)
    }

    @Test func test_marketBuy_inRegularSession_fillsAndMintsTokensEqualToCustody() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 100_000, scale: 2)),
            account)
        #expect(order.status == .pendingSubmit)
        #expect(try await engine.advance(order.id, store: store))
        let filled = try await reload(order)
        #expect(filled.status == .filled)
        #expect(filled.paymentUnits == 1_000_000_000)
        #expect(filled.feeUnits == 2_500_000)
        let tokens = try #require(try await balance(.customer(account, .stock("AAPL"))))
        #expect(tokens.balanceUnits == filled.filledQuantityUnits)
        let cash = try #require(try await balance(.customer(account, .usdPlus)))
        #expect(cash.balanceUnits == 10_000_000_000 - 1_000_000_000 - 2_500_000)
        #expect(cash.heldUnits == 0)
        // Bought at the ask; the customer never gets fewer shares than the payment buys there.
        let quote = try PriceModel.standard.quote(symbol: "AAPL", at: Self.mondayMorning)
        let fills = try await store.transaction { tx in
            try await tx.page(FulfillmentRecord.self, query: DocumentQuery(owner: nil, parentID: order.id.rawValue))
        }
        #expect(fills.items.map(\.price) == [quote.ask])
        #expect(try OrderPricing.notionalUnits(quantityUnits: filled.filledQuantityUnits, price: quote.ask, rounding: .up) >= 1_000_000_000)
        // The broker's own book holds exactly the shares we minted tokens for.
        #expect(try await broker.book().positions["AAPL"] == filled.filledQuantityUnits)
        try await assertBacked("AAPL")
    }

    @Test func test_marketOrder_onSaturday_isRejectedWithNextOpen() async throws {
        let account = try await customer()
        clock.set(Self.saturday)
        do {
            _ = try await place(
                OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)),
                account)
            Issue.record("a market order was accepted on a Saturday")
        } catch let error as DomainError {
            #expect(error.code == "market_closed")
            #expect(error.message.contains("2026-11-30T14:30:00Z"))
        }
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits == 0)
    }

    @Test func test_limitOrder_onSaturday_waitsForMonday_thenRoutes() async throws {
        let account = try await customer()
        clock.set(Self.saturday)
        let high = Amount(units: 100_000, scale: 2)  // $1,000, far above the price: marketable as soon as it routes
        let order = try await place(
            OrderRequestInput(
                side: .buy, type: .limit, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 10_000, scale: 4), limitPrice: high),
            account)
        #expect(try await engine.advance(order.id, store: store) == false)
        #expect(try await reload(order).status == .pendingSubmit)
        clock.set(Self.mondayMorning.addingTimeInterval(-5 * 3600))  // Monday 05:00 ET, pre-market: limit orders route
        try await engine.advance(order.id, store: store)
        let routed = try await reload(order)
        #expect(routed.status == .filled)
        #expect(routed.filledQuantityUnits == 1_000_000)
        // Paid at the model price, not the limit: the improvement is the customer's.
        #expect(routed.paymentUnits < 1_000 * 1_000_000)
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits == 0)
        try await assertBacked("AAPL")
    }

    @Test func test_dayLimitOrder_expiresAfterAfterHours_andReleasesItsHold() async throws {
        let account = try await customer()
        let low = Amount(units: 100, scale: 2)  // $1: never marketable
        let order = try await place(
            OrderRequestInput(
                side: .buy, type: .limit, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 20_000, scale: 4), limitPrice: low),
            account)
        try await engine.advance(order.id, store: store)
        #expect(try await reload(order).status == .submitted)
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits ?? 0 > 0)
        clock.set(Self.mondayMorning.addingTimeInterval(10 * 3600 + 1))  // 20:00:01 ET
        try await engine.runDue(store: store)
        let expired = try await reload(order)
        #expect(expired.status == .cancelled)
        #expect(expired.requestStatus == .expired)
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits == 0)
    }

    @Test func test_iocLimitOrder_notMarketable_isCancelledAtOnce() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(
                side: .buy, type: .limit, tif: .ioc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 20_000, scale: 4),
                limitPrice: Amount(units: 100, scale: 2)),
            account)
        try await engine.advance(order.id, store: store)
        #expect(try await reload(order).status == .cancelled)
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits == 0)
    }

    @Test func test_sellAfterBuy_burnsTokens_creditsProceeds_andCustodyFollows() async throws {
        let account = try await customer()
        let buy = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 50_000, scale: 2)), account
        )
        try await engine.advance(buy.id, store: store)
        let bought = try await reload(buy).filledQuantityUnits
        let sell = try await place(
            OrderRequestInput(
                side: .sell, type: .market, stockID: aapl.id.rawValue, assetQuantity: Amount(units: Int128(bought), scale: 6)), account)
        try await engine.advance(sell.id, store: store)
        let sold = try await reload(sell)
        #expect(sold.status == .filled)
        #expect(try await balance(.customer(account, .stock("AAPL")))?.balanceUnits == 0)
        #expect(try await balance(.house(.brokerCustody, .stock("AAPL")))?.balanceUnits == 0)
        try await assertBacked("AAPL")
    }

    @Test func test_sellingMoreThanHeld_isInsufficientFunds() async throws {
        let account = try await customer()
        do {
            _ = try await place(
                OrderRequestInput(side: .sell, type: .market, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0)), account
            )
            Issue.record("a sell without tokens was accepted")
        } catch let error as DomainError {
            #expect(error.code == "insufficient_funds")
        }
    }

    @Test func test_cancel_voidsTheHold_andTerminalOrdersCannotChange() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(
                side: .buy, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 20_000, scale: 4),
                limitPrice: Amount(units: 100, scale: 2)),
            account)
        let service = service, principal = principal
        let asked = try await store.transaction { tx in try await service.cancel(order.id, accountID: account, for: principal, in: tx) }
        #expect(asked.status == .pendingCancel)
        // Asking twice is harmless; the engine then ends it with the broker's answer.
        #expect(
            try await store.transaction { tx in try await service.cancel(order.id, accountID: account, for: principal, in: tx) }.status
                == .pendingCancel)
        #expect(try await engine.advance(order.id, store: store))
        let cancelled = try await reload(order)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.requestStatus == .cancelled)
        #expect(try await balance(.customer(account, .usdPlus))?.heldUnits == 0)
        await #expect(throws: DomainError.self) {
            _ = try await store.transaction { tx in try await service.cancel(order.id, accountID: account, for: principal, in: tx) }
        }
    }

    @Test func test_checks_eachHaveTheirCode() async throws {
        let account = try await customer(dollars: 1)
        func code(_ input: OrderRequestInput) async -> String? {
            do {
                _ = try await place(input, account)
                return nil
            } catch let error as DomainError {
                return error.code
            } catch {
                return "\(error)"
            }
        }
        #expect(
            await code(
                OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 10_001, scale: 3)))
                == "amount_too_precise")
        #expect(
            await code(OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 50, scale: 2)))
                == "below_minimum_notional")
        #expect(
            await code(OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 500, scale: 2)))
                == "insufficient_funds")
        #expect(
            await code(OrderRequestInput(side: .buy, type: .market, stockID: "nope", paymentAmount: Amount(units: 500, scale: 2)))
                == "unknown_stock")
        #expect(
            await code(
                OrderRequestInput(
                    side: .buy, type: .limit, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 123_456, scale: 5),
                    limitPrice: Amount(units: 100, scale: 0))) == "amount_too_precise")
    }

    @Test func test_stateMachine_refusesIllegalTransitions() throws {
        #expect(throws: DomainError.self) { try OrderStateMachine.transition(from: .filled, to: .cancelled) }
        #expect(throws: DomainError.self) { try OrderStateMachine.transition(from: .cancelled, to: .submitted) }
        #expect(throws: DomainError.self) { try OrderStateMachine.transition(from: .submitted, to: .pendingSubmit) }
        #expect(throws: DomainError.self) { try OrderStateMachine.transition(from: .partiallyFilled, to: .rejected) }
        #expect(try OrderStateMachine.transition(from: .partiallyFilled, to: .pendingCancel) == .pendingCancel)
        #expect(try OrderStateMachine.transition(from: .submitted, to: .filled) == .filled)
    }

    @Test func test_sessionRules_marketOnlyInRegular_limitInAnyOpenSession() {
        #expect(SessionRules.mayRoute(.market, in: .regular))
        for session in [MarketSession.preMarket, .afterHours, .overnight, .closed] {
            #expect(!SessionRules.mayRoute(.market, in: session))
        }
        for session in [MarketSession.preMarket, .regular, .afterHours, .overnight] {
            #expect(SessionRules.mayRoute(.limit, in: session))
        }
        #expect(!SessionRules.mayRoute(.limit, in: .closed))
    }
}

/// A broker that fails for one symbol: the engine must still move every other order.
struct FailingBroker: BrokerAdapter {
    struct BrokerDown: Error {}
    let failing: String
    let working: SimulatedBroker

    func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState {
        if instruction.symbol == failing { throw BrokerDown() }
        return try await working.submit(instruction)
    }
    func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { try await working.query(brokerOrderID) }
    func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { try await working.cancel(brokerOrderID) }
    func book() async throws -> BrokerBook { try await working.book() }
    func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
        try await working.applySplit(symbol: symbol, ratio: ratio, splitID: splitID)
    }
}

extension OrderEngineTests {
    @Test func test_oneFailingOrder_doesNotStallTheOthers() async throws {
        let account = try await customer()
        let msft = StockUniverse.standard.stocks.first { $0.symbol == "MSFT" }!
        let stuck = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let moving = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: msft.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let engine = OrderEngine(clock: clock, broker: FailingBroker(failing: "AAPL", working: broker))
        await #expect(throws: OrderEngineFailure.self) { try await engine.runDue(store: store) }
        #expect(try await reload(moving).status == .filled)
        #expect(try await reload(stuck).status == .pendingSubmit)
    }
}

/// A broker reporting executions only as running totals (as Alpaca's order does), from a
/// script the test advances, or unreachable.
final class TotalsBroker: BrokerAdapter {
    let answer = Mutex<BrokerOrderState?>(nil)
    let unreachable = Mutex(false)

    func set(_ status: BrokerOrderStatus, quantity: Int64, cash: Int64, id: String) {
        answer.withLock {
            $0 = BrokerOrderState(
                brokerOrderID: id, status: status,
                totals: BrokerFillTotals(quantityUnits: quantity, cashUnits: cash, at: TradingFixture.mondayMorning))
        }
    }

    func current(_ id: String) throws -> BrokerOrderState {
        if unreachable.withLock({ $0 }) { throw BrokerUnavailable("HTTP 503 (test)") }
        return answer.withLock { $0 }
            ?? BrokerOrderState(brokerOrderID: id, status: .working, totals: .init(quantityUnits: 0, cashUnits: 0, at: .distantPast))
    }

    func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState { try current(instruction.brokerOrderID) }
    func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { try current(brokerOrderID) }
    func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { try current(brokerOrderID) }
    func book() async throws -> BrokerBook { BrokerBook(positions: [:], netCashUnits: 0) }
    func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {}
}

extension OrderEngineTests {
    func fulfillments(of order: OrderRecord) async throws -> [FulfillmentRecord] {
        try await store.read { tx in
            try await tx.allDocuments(FulfillmentRecord.self, query: DocumentQuery(owner: nil, parentID: order.id.rawValue))
        }
    }

    @Test func test_runningTotals_areSettledByDifference_andARepeatedAnswerSettlesNothing() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 30_000, scale: 2)), account
        )
        let broker = TotalsBroker()
        let engine = OrderEngine(clock: clock, broker: broker)
        let id = order.id.rawValue
        broker.set(.working, quantity: 1_000_000, cash: 100_000_000, id: id)
        #expect(try await engine.advance(order.id, store: store))
        #expect(try await reload(order).status == .partiallyFilled)
        #expect(try await !engine.advance(order.id, store: store), "the same totals again change nothing")
        broker.set(.filled, quantity: 3_000_000, cash: 299_500_000, id: id)
        #expect(try await engine.advance(order.id, store: store))
        let filled = try await reload(order)
        #expect(filled.status == .filled && filled.filledQuantityUnits == 3_000_000 && filled.paymentUnits == 299_500_000)
        let fills = try await fulfillments(of: order).sorted { $0.quantityUnits < $1.quantityUnits }
        #expect(fills.map(\.quantityUnits) == [1_000_000, 2_000_000])
        #expect(fills.map(\.paymentUnits) == [100_000_000, 199_500_000])
        #expect(fills.last?.price == Amount(units: 99_750_000, scale: 6))
        let tokens = try #require(try await balance(.customer(account, .stock("AAPL"))))
        #expect(tokens.balanceUnits == 3_000_000)
    }

    @Test func test_anOrderTheBrokerNeverReached_endsInError_afterTheLimit_withItsHoldReleased() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let broker = TotalsBroker()
        broker.unreachable.withLock { $0 = true }
        let engine = OrderEngine(clock: clock, broker: broker, unreachableLimit: 60)
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        let troubled = try await reload(order)
        #expect(troubled.status == .pendingSubmit && troubled.brokerTrouble == "HTTP 503 (test)")
        #expect(troubled.brokerTroubleSince == OrderEngineTests.mondayMorning)
        clock.set(OrderEngineTests.mondayMorning.addingTimeInterval(61))
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        let failed = try await reload(order)
        #expect(failed.status == .error && failed.requestStatus == .error)
        #expect(failed.cancelMessage == "the broker could not be reached (2 attempts over 61 s): HTTP 503 (test)")
        let cash = try #require(try await balance(.customer(account, .usdPlus)))
        #expect(cash.heldUnits == 0 && cash.balanceUnits == 10_000_000_000)
        let events = try await store.transaction { tx in
            _ = try await tx.sequenceEvents(limit: 1_000)
            return try await tx.events(owner: nil, after: 0, types: ["order.error"], limit: 10)
        }
        #expect(events.count == 1, "the partner learns of it")
    }

    @Test func test_anOrderAtTheBroker_isNeverGivenUp_whileTheBrokerIsDown() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let broker = TotalsBroker()
        let engine = OrderEngine(clock: clock, broker: broker, unreachableLimit: 60)
        #expect(try await engine.advance(order.id, store: store))
        #expect(try await reload(order).status == .submitted)
        broker.unreachable.withLock { $0 = true }
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        clock.set(OrderEngineTests.mondayMorning.addingTimeInterval(3_600))
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        let waiting = try await reload(order)
        #expect(waiting.status == .submitted && waiting.brokerTrouble != nil && waiting.brokerAttempts == 2)
        broker.unreachable.withLock { $0 = false }
        broker.set(.filled, quantity: 200_000, cash: 50_000_000, id: order.id.rawValue)
        #expect(try await !engine.advance(order.id, store: store), "backing off: 2 s after the second failure")
        clock.set(OrderEngineTests.mondayMorning.addingTimeInterval(3_602))
        #expect(try await engine.advance(order.id, store: store))
        let filled = try await reload(order)
        #expect(filled.status == .filled && filled.brokerTrouble == nil && filled.brokerTroubleSince == nil)
        #expect(filled.brokerAttempts == nil && filled.brokerRetryAt == nil)
    }

    @Test func test_backoff_doublesUpToAMinute() {
        #expect((1...9).map { OrderEngine.backoff(afterAttempts: $0) } == [1, 2, 4, 8, 16, 32, 60, 60, 60])
    }

    /// A broker answering 5xx forever: calls back off, the order ends in ERROR after the
    /// attempts bound with its hold released, the desk lists it, and the operator's retry
    /// (once the broker is back) reopens it under the same id and it fills.
    @Test func test_aBrokerFailingForever_endsTheOrderInError_afterTheBound_theDeskRetriesIt() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let broker = TotalsBroker()
        broker.unreachable.withLock { $0 = true }
        let engine = OrderEngine(clock: clock, broker: broker, unreachableLimit: 3_600, attemptsMax: 3)
        let start = OrderEngineTests.mondayMorning
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        #expect(try await !engine.advance(order.id, store: store), "no call before the backoff ends")
        #expect(try await reload(order).brokerRetryAt == start.addingTimeInterval(1))
        clock.set(start.addingTimeInterval(1))
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        clock.set(start.addingTimeInterval(3))
        await #expect(throws: BrokerUnavailable.self) { try await engine.advance(order.id, store: store) }
        let failed = try await reload(order)
        #expect(failed.status == .error && failed.brokerAttempts == 3)
        #expect(failed.cancelMessage == "the broker could not be reached (3 attempts over 3 s): HTTP 503 (test)")
        #expect(try #require(try await balance(.customer(account, .usdPlus))).heldUnits == 0, "hold released")

        let desk = OrderDesk(broker: broker, clock: clock)
        let listed = try await desk.status(store: store).attention
        #expect(listed.map(\.id) == [order.id])
        broker.unreachable.withLock { $0 = false }
        broker.set(.filled, quantity: 200_000, cash: 50_000_000, id: order.id.rawValue)
        let reopened = try await store.transaction { tx in try await desk.retry(order.id, in: tx) }
        #expect(reopened.status == .pendingSubmit && reopened.holdID != failed.holdID && reopened.brokerAttempts == nil)
        #expect(try #require(try await balance(.customer(account, .usdPlus))).heldUnits > 0, "held again")
        #expect(try await engine.advance(order.id, store: store))
        #expect(try await reload(order).status == .filled)
        await #expect(throws: DomainError.self) { try await store.transaction { tx in try await desk.retry(order.id, in: tx) } }
        await #expect(throws: DomainError.self) { try await store.transaction { tx in try await desk.cancel(order.id, in: tx) } }
    }

    @Test func test_theDeskCancelsAnOpenOrder_theBrokerConfirming() async throws {
        let account = try await customer()
        let order = try await place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)), account)
        let broker = TotalsBroker()
        let engine = OrderEngine(clock: clock, broker: broker)
        #expect(try await engine.advance(order.id, store: store))
        let desk = OrderDesk(broker: broker, clock: clock)
        let asked = try await store.transaction { tx in try await desk.cancel(order.id, in: tx) }
        #expect(asked.status == .pendingCancel && asked.cancelCause == .operator)
        broker.set(.cancelled, quantity: 0, cash: 0, id: order.id.rawValue)
        #expect(try await engine.advance(order.id, store: store))
        let cancelled = try await reload(order)
        #expect(cancelled.status == .cancelled && cancelled.requestStatus == .cancelled)
        #expect(cancelled.cancelMessage == "cancelled by the operator from the order desk")
        #expect(try #require(try await balance(.customer(account, .usdPlus))).heldUnits == 0)
    }

    @Test func test_placement_refusesWhatTheBrokerCanNeverTake() async throws {
        let account = try await customer()
        let alpaca = OrderCommands(clock: clock, market: market, broker: .alpaca)
        let principal = principal
        await #expect(throws: DomainError.self) {
            try await store.transaction { tx in
                try await alpaca.create(
                    OrderRequestInput(
                        side: .buy, type: .market, tif: .gtc, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 5_000, scale: 2)),
                    accountID: account, for: principal, in: tx)
            }
        }
        let cash = try #require(try await balance(.customer(account, .usdPlus)))
        #expect(cash.heldUnits == 0)
    }
}
