import BrokerGateCore
import BrokerGateStores
import Foundation
import Testing

@testable import BrokerGateBroker

/// The simulated broker on its own, and the order engine's delivery through crashes.
struct SimulatedBrokerTests {
    let base = OrderEngineTests()
    var aapl: Stock { base.aapl }

    func instruction(
        _ id: String = UUID().uuidString.lowercased(), side: OrderSide = .buy, type: OrderType = .market, tif: OrderTIF = .day,
        shares: Int64? = nil, notional: Int64? = nil, limit: Amount? = nil, symbol: String = "AAPL"
    ) -> BrokerInstruction {
        BrokerInstruction(
            brokerOrderID: id, symbol: symbol, side: side, type: type, tif: tif, notionalUnits: notional,
            quantityUnits: shares.map { $0 * 1_000_000 }, limitPrice: limit, collarPrice: nil)
    }

    @Test func test_marketBuy_fillsAtTheAsk_andSellAtTheBid_andTheBookFollows() async throws {
        let broker = base.broker
        let quote = try PriceModel.standard.quote(symbol: "AAPL", at: OrderEngineTests.mondayMorning)
        let bought = try await broker.submit(instruction(shares: 3))
        #expect(bought.status == .filled && bought.fills.map(\.price) == [quote.ask])
        let sold = try await broker.submit(instruction(side: .sell, shares: 1))
        #expect(sold.status == .filled && sold.fills.map(\.price) == [quote.bid])
        let book = try await broker.book()
        #expect(book.positions["AAPL"] == 2_000_000)
        #expect(book.netCashUnits == bought.fills[0].cashUnits - sold.fills[0].cashUnits)
    }

    @Test func test_submit_isIdempotentByBrokerOrderID() async throws {
        let broker = base.broker
        let order = instruction(shares: 1)
        let first = try await broker.submit(order)
        let again = try await broker.submit(order)
        #expect(first == again)
        #expect(try await broker.book().positions["AAPL"] == 1_000_000)
    }

    @Test func test_largeOrder_fillsInParts_ofTheDisplayedSize() async throws {
        let broker = base.broker
        let quote = try PriceModel.standard.quote(symbol: "AAPL", at: OrderEngineTests.mondayMorning)
        let shares = quote.askSizeShares * 2 + 7
        var state = try await broker.submit(instruction(shares: shares))
        #expect(state.status == .working && state.fills.count == 1)
        #expect(state.fills[0].quantityUnits == quote.askSizeShares * 1_000_000)
        while state.status == .working { state = try #require(try await broker.query(state.brokerOrderID)) }
        #expect(state.status == .filled && state.fills.count == 3)
        #expect(state.filledQuantityUnits == shares * 1_000_000)
    }

    @Test func test_rejects_outsideAllowedHours_haltedAndUntradable_andSellsBeyondCustody() async throws {
        base.clock.set(OrderEngineTests.saturday)
        let weekend = try await base.broker.submit(instruction(type: .limit, shares: 1, limit: Amount(units: 1_000, scale: 0)))
        #expect(weekend.status == .rejected && weekend.reason?.contains("CLOSED") == true)
        base.clock.set(OrderEngineTests.mondayMorning)
        let halted = SimulatedBroker(store: base.store, clock: base.clock, halted: ["AAPL"])
        let stopped = try await halted.submit(instruction(shares: 1))
        #expect(stopped.status == .rejected && stopped.reason?.contains("halted") == true)
        let unknown = try await base.broker.submit(instruction(shares: 1, symbol: "NOPE"))
        #expect(unknown.status == .rejected)
        let short = try await base.broker.submit(instruction(side: .sell, shares: 1))
        #expect(short.status == .rejected && short.reason?.contains("custody") == true)
        #expect(try await base.broker.book().positions.isEmpty)
    }

    @Test func test_limitWaitsUntilTheQuoteCrosses_andIOCCancelsTheRest() async throws {
        let broker = base.broker
        let resting = try await broker.submit(instruction(type: .limit, shares: 1, limit: Amount(units: 100, scale: 2)))
        #expect(resting.status == .working && resting.fills.isEmpty)
        let cancelled = try await broker.cancel(resting.brokerOrderID)
        #expect(cancelled.status == .cancelled)
        let quote = try PriceModel.standard.quote(symbol: "AAPL", at: OrderEngineTests.mondayMorning)
        let ioc = try await broker.submit(instruction(type: .limit, tif: .ioc, shares: quote.askSizeShares + 5, limit: quote.ask))
        #expect(ioc.status == .cancelled && ioc.filledQuantityUnits == quote.askSizeShares * 1_000_000)
        let fok = try await broker.submit(instruction(type: .limit, tif: .fok, shares: quote.askSizeShares + 5, limit: quote.ask))
        #expect(fok.status == .filled && fok.fills.count == 1)
    }

    @Test func test_cancelOfAnUnseenID_keepsALateSubmissionFromOpeningIt() async throws {
        let order = instruction(shares: 1)
        #expect(try await base.broker.cancel(order.brokerOrderID).status == .cancelled)
        #expect(try await base.broker.submit(order).status == .cancelled)
        #expect(try await base.broker.book().positions.isEmpty)
    }
}

/// A crash at each point of the order path, in process: the injector throws where the
/// executable's would kill, and a clean engine then resumes from the store alone.
extension SimulatedBrokerTests {
    struct Crash: Error {}

    @Test(arguments: OrderFaultPoint.orderEngine)
    func test_crashAtEveryPoint_resumes_andTheOrderCompletesOnce(point: OrderFaultPoint) async throws {
        let account = try await base.customer()
        let order = try await base.place(
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 25_000, scale: 2)), account
        )
        let crashing = OrderEngine(clock: base.clock, broker: base.broker, faults: OrderFaultInjector { if $0 == point { throw Crash() } })
        await #expect(throws: OrderEngineFailure.self) { try await crashing.runDue(store: base.store) }
        #expect(try await base.reload(order).status == .pendingSubmit)
        try await base.engine.runDue(store: base.store)
        try await base.engine.runDue(store: base.store)
        let done = try await base.reload(order)
        #expect(done.status == .filled && done.paymentUnits == 250_000_000)
        let fills = try await base.store.transaction { tx in
            try await tx.page(FulfillmentRecord.self, query: DocumentQuery(owner: nil, parentID: order.id.rawValue))
        }
        #expect(fills.items.count == 1)
        #expect(try await base.broker.book().positions["AAPL"] == done.filledQuantityUnits)
        try await base.assertBacked("AAPL")
        let result = try await Reconciliation.run(store: base.store, clock: base.clock, broker: base.broker)
        #expect(result.breaks.filter { $0.check.hasPrefix("broker") }.isEmpty, "\(result.breaks)")
    }

    @Test func test_partialFills_areSettledOneByOne_withTokensEqualToCustodyAfterEach() async throws {
        let account = try await base.customer(dollars: 10_000_000)
        let quote = try PriceModel.standard.quote(symbol: "AAPL", at: OrderEngineTests.mondayMorning)
        let shares = quote.askSizeShares * 2 + 1
        let order = try await base.place(
            OrderRequestInput(
                side: .buy, type: .limit, stockID: aapl.id.rawValue, assetQuantity: Amount(units: Int128(shares), scale: 0),
                limitPrice: Amount(units: 100_000, scale: 2)), account)
        var seen: [BrokerageOrderStatus] = []
        for _ in 0..<5 {
            try await base.engine.advance(order.id, store: base.store)
            let now = try await base.reload(order)
            seen.append(now.status)
            try await base.assertBacked("AAPL")
            #expect(try await base.broker.book().positions["AAPL"] == now.filledQuantityUnits)
            if now.status == .filled { break }
        }
        #expect(seen == [.partiallyFilled, .partiallyFilled, .filled])
        let done = try await base.reload(order)
        #expect(done.filledQuantityUnits == shares * 1_000_000)
        #expect(try await base.balance(.customer(account, .usdPlus))?.heldUnits == 0)
        // The fee is charged on the cumulative notional: slicing never changes it.
        #expect(done.feeUnits == OrderPricing.feeUnits(onNotionalUnits: done.paymentUnits))
    }
}
