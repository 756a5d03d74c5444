import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// Historical splits crossed by the business clock (a sandbox clock moved back before the
/// effective date, then forward) are applied like operator splits, once, and never registered
/// on the price model, which prices them as traded already; while any split is due and not
/// yet applied, new orders of its stock are refused.
extension SplitApplierTests {
    @Test func test_aHistoricalSplit_crossedByTheClock_isAppliedOnce_andNotRegisteredOnThePriceModel() async throws {
        let ada = try await fixture.customer()
        at("2020-08-27T16:00:00Z")  // Thursday, regular session: the job's cursor starts here
        #expect(try await applier.pass(fixture.store) == .init())
        try await hold(ada, units: 1_234_567)
        at("2020-08-29T15:00:00Z")  // Saturday: a limit order rests
        let resting = try await place(
            ada,
            OrderRequestInput(
                side: .sell, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0),
                limitPrice: Amount(units: 900, scale: 0)))
        #expect(try await progress("2020-08-31") == .pending)

        at("2020-08-31T04:30:00Z")  // 00:30 New York on the effective date, before the job's pass
        #expect(try await progress("2020-08-31") == .inProgress)
        await #expect(throws: DomainError.self) { _ = try await place(ada, restingBuy()) }
        let report = try await applier.pass(fixture.store)
        // AAPL's 4:1 and TSLA's 5:1 take effect that day; only AAPL has an order to cancel.
        #expect(report.applied == 2 && report.cancelledOrders == 1 && report.brokerApplied == 2, "\(report)")
        #expect(try await tokens([ada]) == [ada: 4_938_268])
        try await expectBooksBalanced(custody: 4_938_268)
        #expect(try await fixture.reload(resting)?.cancelMessage?.contains("AAPL split 1:4 effective 2020-08-31") == true)
        #expect(try await progress("2020-08-31") == .complete)
        #expect(model.appliedSplits.withLock { $0["AAPL"] } == nil, "the as-traded rule prices it already")
        #expect(try model.price(of: aapl, at: fixture.clock.now()) == PriceModel.standard.price(of: aapl, at: fixture.clock.now()))
        #expect(try await place(ada, restingBuy()).status == .pendingSubmit, "orders are taken again once it is applied")

        // Back before the split and forward again: it was applied once and stays so.
        at("2020-08-27T16:00:00Z")
        _ = try await applier.pass(fixture.store)
        at("2020-09-01T16:00:00Z")
        #expect(try await applier.pass(fixture.store).applied == 0)
        #expect(try await tokens([ada]) == [ada: 4_938_268])
    }

    @Test func test_historicalSplits_beforeTheGatewaysFirstRun_areNeverApplied_andReadComplete() async throws {
        let ada = try await fixture.customer()
        try await hold(ada, units: 2_000_000)
        #expect(try await applier.pass(fixture.store).applied == 0)
        #expect(try await tokens([ada]) == [ada: 2_000_000])
        #expect(try await progress("2020-08-31") == .complete)
        // A clock moved back onto the effective date from after it never was before it.
        at("2020-08-31T16:00:00Z")
        #expect(try await progress("2020-08-31") == .complete)
        #expect(try await applier.pass(fixture.store).applied == 0)
        #expect(try await tokens([ada]) == [ada: 2_000_000])
        at("2020-09-01T16:00:00Z")
        #expect(try await applier.pass(fixture.store).applied == 0)
    }

    @Test func test_aSandboxClockMovedBackAndForth_withinOneTick_stillCrossesTheSplit() async throws {
        let ada = try await fixture.customer()
        try await hold(ada, units: 1_000_000)
        #expect(try await applier.pass(fixture.store).applied == 0)  // the cursor is at today (2026)
        at("2020-08-27T16:00:00Z")
        try await SplitApplier.clockMoved(to: fixture.clock.now(), store: fixture.store)
        at("2020-08-31T16:00:00Z")  // no pass ran at 2020-08-27
        #expect(try await progress("2020-08-31") == .inProgress)
        #expect(try await applier.pass(fixture.store).applied == 2)
        #expect(try await tokens([ada]) == [ada: 4_000_000])
    }

    @Test func test_anOperatorSplitDueButNotApplied_refusesNewOrdersOfItsStock_changingNothing() async throws {
        let ada = try await fixture.customer()
        at("2026-12-05T15:00:00Z")
        _ = try await split(from: 1, to: 2, effective: "2026-12-07")
        at("2026-12-07T05:30:00Z")
        let cash = try await usd(ada)
        do {
            _ = try await place(ada, restingBuy())
            Issue.record("an order was accepted while the split is in progress")
        } catch let error as DomainError {
            #expect(error.code == "split_in_progress" && error.kind == .ruleViolation)
            #expect(error.message.contains("AAPL's split 1:2 effective 2026-12-07") && error.message.contains("retry"))
        }
        #expect(try await usd(ada) == cash)
        #expect(try await fixture.balance(.customer(ada, .usdPlus))?.heldUnits ?? 0 == 0, "no hold taken")
        #expect(try await applier.pass(fixture.store).applied == 1)
        #expect(try await place(ada, restingBuy()).status != .rejected)
    }
}

extension SplitApplierTests {
    /// A limit buy of one AAPL share at $1: it rests while the market is closed.
    func restingBuy() -> OrderRequestInput {
        OrderRequestInput(
            side: .buy, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0),
            limitPrice: Amount(units: 1, scale: 0))
    }

    /// Market data's progress of AAPL's split effective `date`.
    func progress(_ date: String) async throws -> SplitProgress? {
        let calendar = calendar, id = aapl.id.rawValue, effective = try CalendarDate(parsing: date)
        let page = try await fixture.store.read { tx in try await calendar.splits(stockID: id, page: .init(limit: 100), in: tx) }
        return page.items.first { $0.terms.effectiveDate == effective }?.progress
    }
}
