import BrokerGateTesting
import Foundation
import Synchronization
import Testing

@testable import BrokerGateCore

/// `SplitApplier`: from the effective date's start, every holder's tokens and custody are
/// split exactly, fractions below 10⁻⁶ share are paid as cash in lieu (rounded up), open
/// orders of the stock are cancelled naming the split, and all of it once. Memory store,
/// fixed business clock, a fixed-price broker.
struct SplitApplierTests {
    let fixture = TradingFixture()
    let broker = try! FixedPriceBroker(price: Amount(units: 100, scale: 0))
    let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!
    var calendar: CorporateActionCalendar { CorporateActionCalendar(clock: fixture.clock) }
    /// Its own price model: applied splits adjust the model's prices, and `.standard` is shared.
    let model = PriceModel(universe: .standard)
    var applier: SplitApplier {
        SplitApplier(calendar: calendar, engine: OrderEngine(clock: fixture.clock, broker: broker), model: model)
    }

    @Test func test_cashInLieu_isTheFractionAtThePreviousClose_roundedUp() {
        let ratio = try! SplitRatio(from: 10, to: 1)
        #expect(SplitArithmetic.holding(1_234_567, ratio) == (123_456, 7))
        // 0.7 × 10⁻⁶ of a post-split share worth 10 × $250.01: 0.00175007 USD → 1_751 units.
        #expect(SplitArithmetic.cashInLieu(remainder: 7, ratio: ratio, closeUnits: 250_010_000) == 1_751)
        #expect(SplitArithmetic.cashInLieu(remainder: 5, ratio: ratio, closeUnits: 200_000_000) == 1_000, "exact: no rounding")
        #expect(SplitArithmetic.holding(2_500_000, try! SplitRatio(from: 2, to: 3)) == (3_750_000, 0))
        #expect(
            SplitArithmetic.adjustedPrice(Amount(units: 25_001, scale: 2), try! SplitRatio(from: 1, to: 4), roundingUp: true).units == 6_251
        )
    }

    @Test func test_aFourForOneSplit_multipliesEveryHolderAndCustody_valueUnchanged_openOrdersCancelled_once() async throws {
        let ada = try await fixture.customer()
        let bob = try await fixture.customer()
        try await buy(ada, dollars: 1_000)  // 10 shares at $100
        try await buy(bob, dollars: 123)  // 1.23 shares
        at("2026-12-05T15:00:00Z")  // Saturday: limit orders rest until Monday
        let sell = try await place(
            bob,
            OrderRequestInput(
                side: .sell, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0),
                limitPrice: Amount(units: 300, scale: 0)))
        let buyOrder = try await place(
            ada,
            OrderRequestInput(
                side: .buy, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 2, scale: 0),
                limitPrice: Amount(units: 50, scale: 0)))
        #expect(sell.status == .pendingSubmit && buyOrder.status == .pendingSubmit)
        let action = try await split(from: 1, to: 4, effective: "2026-12-07")
        let before = try await tokens([ada, bob])

        #expect(try await applier.pass(fixture.store).applied == 0, "the effective date has not begun")
        at("2026-12-07T05:30:00Z")  // 00:30 New York, Monday: before any session
        let report = try await applier.pass(fixture.store)
        #expect(report.applied == 1 && report.cancelledOrders == 2 && report.brokerApplied == 1)

        let after = try await tokens([ada, bob])
        #expect(after[ada] == 40_000_000 && after[bob] == before[bob]! * 4)
        let close = try closeUnits(before: "2026-12-07")
        for account in [ada, bob] {
            // Value at the previous close == value at the split-adjusted close (¼ of it), exactly.
            #expect(Int128(after[account]!) * Int128(close) == Int128(before[account]!) * Int128(close) * 4)
            #expect(try await fixture.balance(.customer(account, .stock("AAPL")))?.heldUnits == 0, "holds released")
        }
        try await expectBooksBalanced(custody: (before[ada]! + before[bob]!) * 4)
        for order in [sell, buyOrder] {
            let closed = try #require(try await fixture.reload(order))
            #expect(closed.status == .cancelled && closed.cancelCause == .corporateAction)
            #expect(closed.cancelMessage?.contains("AAPL split 1:4 effective 2026-12-07") == true)
        }
        #expect(try await stored(action)?.status == .processed)

        // Prices from the effective date are split-adjusted, history included (as vendors do).
        let now = fixture.clock.now()
        let summary = try model.summary(of: aapl, at: now)
        let fridayClose = Amount(units: Int128(close / 10_000), scale: 2)
        #expect(summary.previousClose == Amount(units: (fridayClose.units * 2 + 4) / 8, scale: 2), "¼ of Friday's close, to the cent")
        let raw = try PriceModel.standard.bars(of: aapl, timespan: .month, endingAt: now)
        let adjusted = try model.bars(of: aapl, timespan: .month, endingAt: now)
        #expect(adjusted.map(\.close.units) == raw.map { max(1, ($0.close.units * 2 + 4) / 8) })
        #expect(adjusted.map(\.volumeShares) == raw.map { $0.volumeShares * 4 })
        #expect(
            try model.price(of: aapl, at: KYCFixtures.instant("2026-12-04T20:00:00Z"))
                == PriceModel.standard.price(of: aapl, at: KYCFixtures.instant("2026-12-04T20:00:00Z")),
            "an instant before the split reads as it was")
        for account in [ada, bob] {
            // Value at the adjusted close is within the close's rounding (half a cent a new share).
            let valueBefore = Int128(before[account]!) * fridayClose.units
            let valueAfter = Int128(after[account]!) * summary.previousClose!.units
            #expect(abs(valueAfter - valueBefore) * 2 <= Int128(after[account]!))
        }

        // Again, and with the clock moved back and forth: nothing is applied twice.
        #expect(try await applier.pass(fixture.store) == .init())
        at("2026-12-06T15:00:00Z")
        _ = try await applier.pass(fixture.store)
        at("2026-12-08T15:00:00Z")
        #expect(try await applier.pass(fixture.store) == .init())
        #expect(try await tokens([ada, bob]) == after)
    }

    @Test func test_aOneForTenReverseSplit_paysFractionsAsCashInLieu_roundedUp_andTheHouseKeepsTheBoughtBackShares() async throws {
        let ada = try await fixture.customer()
        let bob = try await fixture.customer()
        try await hold(ada, units: 1_234_567)
        try await hold(bob, units: 2_000_005)
        at("2026-12-05T15:00:00Z")
        let sell = try await place(
            ada,
            OrderRequestInput(
                side: .sell, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0),
                limitPrice: Amount(units: 900, scale: 0)))
        _ = try await split(from: 10, to: 1, effective: "2026-12-08")
        let cash = (ada: try await usd(ada), bob: try await usd(bob))
        let reserve = try await houseBalances()

        at("2026-12-08T05:00:00Z")  // 00:00 New York, Tuesday
        #expect(try await applier.pass(fixture.store).applied == 1)

        let close = try closeUnits(before: "2026-12-08")
        #expect(try await tokens([ada, bob]) == [ada: 123_456, bob: 200_000])
        let adaCash = try await usd(ada) - cash.ada
        let bobCash = try await usd(bob) - cash.bob
        // 0.7 and 0.5 of a post-split 10⁻⁶ share, each worth 10 × the previous close.
        #expect(adaCash == (7 * close + 999_999) / 1_000_000 && bobCash == (5 * close + 999_999) / 1_000_000)
        #expect(Int128(adaCash) * 1_000_000 >= 7 * Int128(close), "never below the exact value")
        #expect(Int128(adaCash - 1) * 1_000_000 < 7 * Int128(close), "and above it by less than one unit")
        // Custody 3_234_572 → 323_457; holders keep 323_456; the house the one unit left.
        try await expectBooksBalanced(custody: 323_457)
        #expect(try await fixture.balance(.house(.splitFractions, .stock("AAPL")))?.balanceUnits == 1)
        let house = try await houseBalances()
        #expect(house.reserve - reserve.reserve == adaCash + bobCash, "cash in lieu is swept into the reserve")
        #expect(house.issued - reserve.issued == house.reserve - reserve.reserve, "USD+ issued stays backed")
        #expect(try await fixture.reload(sell)?.status == .cancelled)
    }

    @Test func test_anOrderThatCannotBeCancelledYet_holdsTheSplitBack_untilItIs() async throws {
        let ada = try await fixture.customer()
        try await hold(ada, units: 5_000_000)
        at("2026-12-05T15:00:00Z")
        let sell = try await place(
            ada,
            OrderRequestInput(
                side: .sell, type: .limit, tif: .gtc, stockID: aapl.id.rawValue, assetQuantity: Amount(units: 1, scale: 0),
                limitPrice: Amount(units: 900, scale: 0)))
        _ = try await split(from: 1, to: 2, effective: "2026-12-07")
        at("2026-12-07T05:30:00Z")
        let down = SplitApplier(
            calendar: calendar, engine: OrderEngine(clock: fixture.clock, broker: try FixedPriceBroker(price: .cents(100), failing: true)),
            model: model)
        let stalled = try await down.pass(fixture.store)
        #expect(stalled.applied == 0 && stalled.waiting == 1)
        #expect(try await tokens([ada]) == [ada: 5_000_000], "nothing moved while the order is open")
        #expect(try await fixture.reload(sell)?.status == .pendingCancel)
        #expect(try await applier.pass(fixture.store).applied == 1, "the next pass, with the broker back")
        #expect(try await tokens([ada]) == [ada: 10_000_000])
    }

    @Test func test_onChain_eachHoldersSplitIsAMintOrBurnOnTheirWallet() async throws {
        let ada = try await fixture.customer()
        try await hold(ada, units: 3_000_000)
        let forward = try await split(from: 1, to: 3, effective: "2026-12-07")
        let onChain = SplitApplier(
            calendar: calendar, engine: OrderEngine(clock: fixture.clock, broker: broker), model: model,
            chain: ChainRecorder(chainID: "eip155:1", wallClock: fixture.clock))
        at("2026-12-07T05:30:00Z")
        #expect(try await onChain.pass(fixture.store).applied == 1)
        let reverse = try await split(from: 2, to: 1, effective: "2026-12-09")
        at("2026-12-09T05:30:00Z")
        #expect(try await onChain.pass(fixture.store).applied == 1)
        let intents = try await fixture.store.read { tx in try await tx.allDocuments(ChainIntent.self, query: DocumentQuery(owner: .house))
        }
        let mints = intents.filter { $0.causeID == forward.id.rawValue }.compactMap { intent -> String? in
            if case .mint(let token, _, let amount) = intent.operation, token == "AAPL" { amount } else { nil }
        }
        let burns = intents.filter { $0.causeID == reverse.id.rawValue }.compactMap { intent -> String? in
            if case .burn(let token, _, let amount) = intent.operation, token == "AAPL" { amount } else { nil }
        }
        // 3 shares become 9 (6 minted), then 4.5 (4.5 burned), in 18-decimal base units.
        #expect(mints == ["6000000000000000000"] && burns == ["4500000000000000000"])
    }
}

// MARK: Fixture

extension SplitApplierTests {
    func at(_ instant: String) { fixture.clock.set(KYCFixtures.instant(instant)) }

    func place(_ account: AccountID, _ input: OrderRequestInput) async throws -> OrderRecord {
        let placement = fixture.placement(broker: broker)
        let command = TradingFixture.orderCommand()
        guard case .placed(let order, _) = try await placement.place(input, accountID: account, for: fixture.principal, command: command)
        else { throw DomainError.notFound("order") }
        return order
    }

    /// A market buy for `dollars`, filled at the broker's $100.
    func buy(_ account: AccountID, dollars: Int64) async throws {
        let order = try await place(
            account,
            OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: Int128(dollars), scale: 0))
        )
        #expect(order.status == .filled)
    }

    /// `units` of AAPL bought and settled: tokens minted to the holder, custody from the market.
    func hold(_ account: AccountID, units: Int64) async throws {
        try await SplitInvariants.trade(account, units: units, ledger: Ledger(clock: fixture.clock), store: fixture.store)
    }

    func split(from: Int64, to: Int64, effective: String) async throws -> CorporateAction {
        let request = CorporateActionRequest(
            stockID: aapl.id.rawValue, type: "SPLIT", splitFrom: Amount(units: Int128(from), scale: 0),
            splitTo: Amount(units: Int128(to), scale: 0), effectiveDate: effective)
        let calendar = calendar, principal = SplitInvariants.operatorPrincipal
        return try await fixture.store.transaction { tx in try await calendar.create(request, by: principal, in: tx) }
    }

    func stored(_ action: CorporateAction) async throws -> CorporateAction? {
        try await fixture.store.read { tx in try await tx.document(CorporateAction.self, id: action.id.rawValue) }
    }

    func tokens(_ accounts: [AccountID]) async throws -> [AccountID: Int64] {
        var found: [AccountID: Int64] = [:]
        for account in accounts { found[account] = try await fixture.balance(.customer(account, .stock("AAPL")))?.balanceUnits ?? 0 }
        return found
    }

    func usd(_ account: AccountID) async throws -> Int64 {
        try await fixture.balance(.customer(account, .usdPlus))?.balanceUnits ?? 0
    }

    /// AAPL's regular close on the trading day before `date`, in ledger units.
    func closeUnits(before date: String) throws -> Int64 {
        let day = try TradingCalendar.nyse.previousTradingDay(before: try CalendarDate(parsing: date))
        return try OrderPricing.units(try PriceModel.standard.price(of: aapl, at: day.regularClose).price)
    }

    func houseBalances() async throws -> (reserve: Int64, issued: Int64) {
        try await fixture.store.read { tx in
            let usd = try await AssetBalances.read(.usdPlus, in: tx), usdc = try await AssetBalances.read(.usdc, in: tx)
            return (usdc.house(.usdcReserve), -usd.house(.usdPlusIssuance))
        }
    }

    func expectBooksBalanced(custody: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let backing = try await fixture.backing("AAPL")
        #expect(backing.custody == custody && backing.issued == custody && backing.balanced, sourceLocation: sourceLocation)
        try await SplitInvariants.requireSound(fixture.store, symbols: ["AAPL"])
    }
}

extension SplitApplierTests {
    /// A fixed-price broker that notes the model's AAPL price when a split reaches its book.
    final class PriceAtBrokerSplit: BrokerAdapter {
        let base: FixedPriceBroker
        let model: PriceModel
        let clock: any BusinessClock
        let aapl: Stock
        let seen = Mutex<[Amount]>([])

        init(base: FixedPriceBroker, model: PriceModel, clock: any BusinessClock, aapl: Stock) {
            (self.base, self.model, self.clock, self.aapl) = (base, model, clock, aapl)
        }

        func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState { try await base.submit(instruction) }
        func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { try await base.query(brokerOrderID) }
        func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { try await base.cancel(brokerOrderID) }
        func book() async throws -> BrokerBook { try await base.book() }

        func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
            let price = try model.price(of: aapl, at: clock.now()).price
            seen.withLock { $0.append(price) }
            try await base.applySplit(symbol: symbol, ratio: ratio, splitID: splitID)
        }
    }

    /// Prices follow the holdings at once: by the time the split reaches the broker's book (a
    /// call out, which may take long), quotes are split-adjusted already, so no holder sees the
    /// split tokens at the unsplit price.
    @Test func test_pricesAreSplitAdjustedBeforeTheBrokerIsAsked() async throws {
        let ada = try await fixture.customer()
        try await buy(ada, dollars: 1_000)
        _ = try await split(from: 1, to: 4, effective: "2026-12-07")
        at("2026-12-07T05:30:00Z")
        let watching = PriceAtBrokerSplit(base: broker, model: model, clock: fixture.clock, aapl: aapl)
        let applier = SplitApplier(calendar: calendar, engine: OrderEngine(clock: fixture.clock, broker: watching), model: model)
        #expect(try await applier.pass(fixture.store).applied == 1)

        let now = fixture.clock.now()
        let adjusted = try model.price(of: aapl, at: now).price
        #expect(adjusted != (try PriceModel(universe: .standard).price(of: aapl, at: now).price), "the model adjusted its prices")
        #expect(watching.seen.withLock { $0 } == [adjusted])
    }
}
