import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// The accumulating wrapper (`Wrapper`, `WrapperService`, `WrapperReinvestor`): wrapped
/// tokens are a fixed claim on a vault whose shares grow when its dividends (net of 30 %)
/// are reinvested through the broker, and multiply at splits; the books stay 1:1 in shares.
/// Memory store, fixed business clock, a broker filling at $100.
struct WrapperTests {
    let fixture = TradingFixture()
    let broker = try! FixedPriceBroker(price: Amount(units: 100, scale: 0))
    let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!
    var calendar: CorporateActionCalendar { CorporateActionCalendar(clock: fixture.clock) }
    var engine: OrderEngine { OrderEngine(clock: fixture.clock, broker: broker) }
    var service: WrapperService { WrapperService(clock: fixture.clock, market: MarketDataService(clock: fixture.clock)) }
    var reinvestor: WrapperReinvestor {
        WrapperReinvestor(orders: OrderCommands(clock: fixture.clock, market: MarketDataService(clock: fixture.clock)), engine: engine)
    }

    @Test func test_theRate_isVaultSharesOverSupply_roundedForTheHoldersWhoStay() {
        let first = WrapperState(symbol: "AAPL", supplyUnits: 0, vaultSharesUnits: 0, vaultCashUnits: 0)
        #expect(first.wrappedUnits(forShares: 2_500_000) == 2_500_000, "the first wrap is 1:1")
        #expect(first.sharesPerToken() == Amount(units: 1, scale: 0))
        let grown = WrapperState(symbol: "AAPL", supplyUnits: 10_000_000, vaultSharesUnits: 10_500_000, vaultCashUnits: 700_000)
        #expect(grown.sharesPerToken().description == "1.050000000000")
        // 1 share buys 0.952380952… wrapped tokens, rounded down; unwrapping them returns less than 1 share.
        #expect(grown.wrappedUnits(forShares: 1_000_000) == 952_380)
        #expect(grown.redemption(ofWrapped: 952_380) == (sharesUnits: 999_999, cashUnits: 66_666))
        #expect(grown.redemption(ofWrapped: 10_000_000) == (sharesUnits: 10_500_000, cashUnits: 700_000), "the last holder takes all")
    }

    @Test func test_dividendsReinvested_raiseTheSharesPerToken_splitsMultiplyIt_andTheBooksStayOneToOne() async throws {
        let ada = try await fixture.customer(), bob = try await fixture.customer()
        try await buy(ada, dollars: 1_200)  // 12 shares at $100
        try await buy(bob, dollars: 500)
        #expect(try await wrap(ada, units: 10_000_000).wrappedUnits == 10_000_000)
        #expect(try await wrap(bob, units: 5_000_000).wrappedUnits == 5_000_000)

        // $1 a share, ex Wednesday 2026-12-02, paid Friday 12-04: the vault's 15 shares get
        // $15 less 30 % = $10.50, reinvested in the Friday session at $100: 0.105 shares.
        let payer = DividendPayer(calendar: calendar)
        _ = try await dividend(ex: "2026-12-02", pay: "2026-12-04", amount: "1")
        at("2026-12-02T07:00:00Z")
        #expect(try await payer.pass(fixture.store).snapshots == 1)
        at("2026-12-04T07:00:00Z")
        #expect(try await payer.pass(fixture.store).payments == 2, "Ada's 2 unwrapped shares and the vault; Bob wrapped all")
        #expect(try await reinvestor.pass(fixture.store).isEmpty, "no session at 02:00 New York")
        at("2026-12-04T15:00:00Z")
        let placed = try await reinvestor.pass(fixture.store)
        #expect(placed.count == 1 && placed.first?.accountID == Wrapper.vaultAccountID("AAPL"))
        #expect(try await fixture.reload(placed[0])?.status == .filled)
        #expect(try await reinvestor.pass(fixture.store).isEmpty, "nothing left to reinvest")
        var state = try await wrapper()
        #expect(state.vaultSharesUnits == 15_105_000 && state.supplyUnits == 15_000_000 && state.vaultCashUnits == 0)
        #expect(state.sharesPerToken().description == "1.007000000000")
        try await expectOneToOne(custody: 17_105_000)

        // A 1:4 split multiplies the vault's shares, not the wrapped supply.
        _ = try await split(from: 1, to: 4, effective: "2026-12-07")
        at("2026-12-07T05:30:00Z")
        let applier = SplitApplier(calendar: calendar, engine: engine, model: PriceModel(universe: .standard))
        #expect(try await applier.pass(fixture.store).applied == 1)
        state = try await wrapper()
        #expect(state.vaultSharesUnits == 60_420_000 && state.sharesPerToken().description == "4.028000000000")
        try await expectOneToOne(custody: 68_420_000)

        // Ada unwraps everything: 10 × 4.028 shares; Bob's claim is untouched.
        let unwrapped = try await unwrap(ada, units: 10_000_000)
        #expect(unwrapped.sharesUnits == 40_280_000 && unwrapped.cashUnits == 0)
        #expect(try await fixture.balance(.customer(ada, .stock("AAPL")))?.balanceUnits == 8_000_000 + 40_280_000)
        #expect(try await wrapper().sharesPerToken().description == "4.028000000000")
        try await expectOneToOne(custody: 68_420_000)
    }

    @Test func test_refusals_changeNothing() async throws {
        let ada = try await fixture.customer(), eve = try await fixture.customer()
        try await buy(ada, dollars: 300)
        await #expect(throws: DomainError.self) { try await wrap(ada, units: 3_000_001) }  // more than held
        await #expect(throws: DomainError.self) { try await unwrap(ada, units: 1) }  // nothing wrapped
        _ = try await wrap(ada, units: 1_000_000)
        // Eve is another customer of the same partner: she cannot unwrap Ada's tokens.
        await #expect(throws: DomainError.self) { try await unwrap(eve, units: 1) }
        let foreign = Principal(
            organization: Organization(id: .generate(), name: "Other", role: .partner, createdAt: TradingFixture.saturday),
            keyID: APIKeyID(parsing: "o")!)
        await #expect(throws: DomainError.self) {
            try await fixture.store.transaction { [service, aapl] tx in
                try await service.wrap(ada, stockID: aapl.id.rawValue, sharesUnits: 1, for: foreign, in: tx)
            }
        }
        let state = try await wrapper()
        #expect(state.supplyUnits == 1_000_000 && state.vaultSharesUnits == 1_000_000)
        try await expectOneToOne(custody: 3_000_000)
    }
}

// MARK: Fixture

extension WrapperTests {
    func wrap(_ account: AccountID, units: Int64) async throws -> WrapRecord {
        try await fixture.store.transaction { [service, aapl, fixture] tx in
            try await service.wrap(account, stockID: aapl.id.rawValue, sharesUnits: units, for: fixture.principal, in: tx)
        }
    }

    func unwrap(_ account: AccountID, units: Int64) async throws -> WrapRecord {
        try await fixture.store.transaction { [service, aapl, fixture] tx in
            try await service.unwrap(account, stockID: aapl.id.rawValue, wrappedUnits: units, for: fixture.principal, in: tx)
        }
    }

    func wrapper() async throws -> WrapperState {
        try await fixture.store.read { tx in try await WrapperState.read("AAPL", in: tx) }
    }

    /// A market buy for `dollars`, filled at the broker's $100.
    func buy(_ account: AccountID, dollars: Int64) async throws {
        let placement = fixture.placement(engine: engine)
        let command = TradingFixture.orderCommand()
        let input = OrderRequestInput(
            side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: Int128(dollars), scale: 0))
        guard case .placed(let order, _) = try await placement.place(input, accountID: account, for: fixture.principal, command: command)
        else { throw DomainError.notFound("order") }
        #expect(order.status == .filled)
    }

    func dividend(ex: String, pay: String, amount: String) async throws -> CorporateAction {
        let request = CorporateActionRequest(
            stockID: aapl.id.rawValue, type: "CASH_DIVIDEND", cashAmount: try Amount(parsingAtNaturalScale: amount), dividendType: "CD",
            declaredDate: "2026-11-30", exDate: ex, recordDate: ex, payDate: pay)
        return try await create(request)
    }

    func split(from: Int64, to: Int64, effective: String) async throws -> CorporateAction {
        try await create(
            CorporateActionRequest(
                stockID: aapl.id.rawValue, type: "SPLIT", splitFrom: Amount(units: Int128(from), scale: 0),
                splitTo: Amount(units: Int128(to), scale: 0), effectiveDate: effective))
    }

    func create(_ request: CorporateActionRequest) async throws -> CorporateAction {
        let calendar = calendar, principal = SplitInvariants.operatorPrincipal
        return try await fixture.store.transaction { tx in try await calendar.create(request, by: principal, in: tx) }
    }

    func at(_ instant: String) { fixture.clock.set(KYCFixtures.instant(instant)) }

    /// Custody == tokens outstanding (the vault's included), every asset sums to zero, no
    /// negative balance, and reconciliation (fills included) finds no break. (The fixture
    /// funds customers with USD+ and no USDC behind it, so USD+ backing is not compared here.)
    func expectOneToOne(custody: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let backing = try await fixture.backing("AAPL")
        #expect(backing.custody == custody && backing.issued == custody && backing.balanced, sourceLocation: sourceLocation)
        try await SplitInvariants.requireSound(fixture.store, symbols: ["AAPL"])
        let positions = try await fixture.store.read { tx in try await LedgerPositions.read(in: tx, universe: .standard) }
        let result = Reconciliation.run(positions, checkedAt: fixture.clock.now())
        #expect(result.breaks.filter { $0.check != "usd_plus_backing" } == [], sourceLocation: sourceLocation)
    }
}
