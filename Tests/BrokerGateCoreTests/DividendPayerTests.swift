import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// `DividendPayer`: entitlements fixed when the ex date begins, paid on the pay date net of
/// US withholding by tax residence, exactly and once. Memory store, fixed business clock.
struct DividendPayerTests {
    let fixture = TradingFixture()
    let operatorPrincipal = Principal(
        organization: Organization(id: .generate(), name: "Operator", role: .operator, createdAt: TradingFixture.saturday),
        keyID: APIKeyID(parsing: "op")!)
    var calendar: CorporateActionCalendar { CorporateActionCalendar(clock: fixture.clock) }
    var payer: DividendPayer { DividendPayer(calendar: calendar) }
    let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!

    /// 1.234567 shares at $0.26: 0.32098742 exactly; the gross rounds up to 0.320988 (the
    /// house gives 0.00000058), 15 % tax rounds down to 0.048148, the net is 0.272840.
    @Test func test_amounts_roundTheGrossUp_andTheTaxDown_keepingTheRemainder() {
        let amounts = DividendEntitlement.amounts(sharesUnits: 1_234_567, amountPerShareUnits: 260_000, rateBps: 1_500)
        #expect(amounts.gross == 320_988 && amounts.tax == 48_148 && amounts.net == 272_840)
        #expect(amounts.rounding == 580_000)
        let exact = DividendEntitlement.amounts(sharesUnits: 10_000_000, amountPerShareUnits: 260_000, rateBps: 3_000)
        #expect(exact.gross == 2_600_000 && exact.tax == 780_000 && exact.rounding == 0)
    }

    @Test(arguments: [
        (WithholdingTax.Residence.usPerson, 0), (.country("DE"), 1_500), (.country("JP"), 1_000), (.country("IN"), 2_500),
        (.country("BR"), 3_000), (.country("US"), 0),
    ])
    func test_withholdingRate_byResidence(_ residence: WithholdingTax.Residence, _ bps: Int) {
        #expect(WithholdingTax.rateBps(residence) == bps)
    }

    @Test func test_holdersAtTheExDatesStart_arePaidNetOfWithholding_onThePayDate_once() async throws {
        let german = try await holder(.baseline(KYCFixtures.baseline()), shares: 10)
        let american = try await holder(.us(KYCFixtures.us()), shares: 4)
        let unknown = try await holder(nil, shares: 1)
        // Declared Monday 2026-11-30, ex Wednesday 12-02, paid Friday 12-04, $0.26 a share.
        let action = try await dividend(ex: "2026-12-02", pay: "2026-12-04", amount: "0.26")
        let before = try await balances()

        #expect(try await payer.pass(fixture.store).snapshots == 0, "the ex date has not begun")
        at("2026-12-02T07:00:00Z")  // 02:00 New York on the ex date
        #expect(try await payer.pass(fixture.store).snapshots == 1)
        // A buy on the ex date comes after the snapshot: it is not entitled.
        try await give(german, shares: 5)

        let entitled = try await entitlements(action)
        #expect(entitled[german]?.sharesUnits == 10_000_000 && entitled[german]?.rateBps == 1_500)
        #expect(entitled[american]?.rateBps == 0 && entitled[american]?.residence == .usPerson)
        #expect(entitled[unknown]?.rateBps == 3_000 && entitled[unknown]?.residence == nil)
        #expect(entitled.values.allSatisfy { $0.status == .entitled })

        at("2026-12-04T07:00:00Z")
        let paid = try await payer.pass(fixture.store)
        #expect(paid.payments == 3)
        // 10 × 0.26 = 2.60 − 15 % = 2.21; 4 × 0.26 = 1.04, nothing withheld; 0.26 − 30 % = 0.182.
        #expect(try await cash(german) == 10_000_000_000 + 2_210_000)
        #expect(try await cash(american) == 10_000_000_000 + 1_040_000)
        #expect(try await cash(unknown) == 10_000_000_000 + 182_000)
        let after = try await balances()
        #expect(after.tax - before.tax == 390_000 + 78_000)
        #expect(after.reserve - before.reserve == 2_600_000 + 1_040_000 + 260_000, "the gross is swept into the reserve")
        #expect(after.issued - before.issued == after.reserve - before.reserve, "USD+ issued stays backed")

        // Again, and with the clock moved back and forward: nothing is paid twice.
        #expect(try await payer.pass(fixture.store).payments == 0)
        at("2026-12-01T15:00:00Z")
        _ = try await payer.pass(fixture.store)
        at("2026-12-07T15:00:00Z")
        #expect(try await payer.pass(fixture.store) == .init())
        #expect(try await cash(german) == 10_000_000_000 + 2_210_000)

        let listed = try await fixture.store.read { [fixture] tx in
            try await AccountActivity(clock: fixture.clock).dividends(
                german, start: try CalendarDate(parsing: "2026-12-01"), end: try CalendarDate(parsing: "2026-12-31"), stockID: nil,
                page: PageRequest(), for: fixture.principal, in: tx)
        }
        #expect(
            listed.items == [
                DividendPayment(
                    stockID: aapl.id, amount: Amount(units: 221, scale: 2), currency: "USD",
                    paymentDate: try CalendarDate(parsing: "2026-12-04"))
            ])
    }

    @Test func test_aSellOnTheExDate_keepsTheDividend_aClockJumpPastBothDatesStillPaysTheHoldersAtTheEx() async throws {
        let seller = try await holder(.baseline(KYCFixtures.baseline()), shares: 3)
        let action = try await dividend(ex: "2026-12-02", pay: "2026-12-04", amount: "1")
        _ = try await payer.pass(fixture.store)
        // The clock jumps from Monday straight past the pay date: the one pass snapshots first.
        at("2026-12-08T15:00:00Z")
        let report = try await payer.pass(fixture.store)
        #expect(report.snapshots == 1 && report.payments == 1)
        #expect(try await entitlements(action)[seller]?.netUnits == 2_550_000)
    }
}

// MARK: Fixture

extension DividendPayerTests {
    /// A customer with $10,000 of USD+, `shares` of AAPL tokens and the KYC `data` (none: nil).
    func holder(_ data: KYCSubmissionData?, shares: Int64) async throws -> AccountID {
        let account = try await fixture.customer()
        if let data {
            let principal = fixture.principal, clock = fixture.clock
            try await fixture.store.transaction { tx in
                guard let entity = try await tx.document(Account.self, id: account.rawValue)?.entityID else { return }
                _ = try await KYCService(clock: clock).submit(
                    entityID: entity, data: data, providerName: "Acme KYC", for: principal, in: tx)
            }
        }
        try await give(account, shares: shares)
        return account
    }

    func give(_ account: AccountID, shares: Int64) async throws {
        let ledger = Ledger(clock: fixture.clock)
        _ = try await fixture.store.transaction { tx in
            try await ledger.transfer(
                shares * 1_000_000, from: .house(.tokenIssuance, .stock("AAPL")), to: .customer(account, .stock("AAPL")),
                reason: .tokenMint,
                reference: ("test", UUID().uuidString), in: tx)
        }
    }

    func dividend(ex: String, pay: String, amount: String) async throws -> CorporateAction {
        let request = CorporateActionRequest(
            stockID: aapl.id.rawValue, type: "CASH_DIVIDEND", cashAmount: try Amount(parsingAtNaturalScale: amount), dividendType: "CD",
            declaredDate: "2026-11-30", exDate: ex, recordDate: ex, payDate: pay)
        let calendar = calendar, principal = operatorPrincipal
        return try await fixture.store.transaction { tx in try await calendar.create(request, by: principal, in: tx) }
    }

    func at(_ instant: String) { fixture.clock.set(KYCFixtures.instant(instant)) }

    func entitlements(_ action: CorporateAction) async throws -> [AccountID: DividendEntitlement] {
        let found = try await fixture.store.read { tx in
            try await tx.allDocuments(DividendEntitlement.self, query: DocumentQuery(owner: nil, lookupKey: action.id.rawValue))
        }
        return Dictionary(uniqueKeysWithValues: found.map { ($0.accountID, $0) })
    }

    func cash(_ account: AccountID) async throws -> Int64? {
        try await fixture.store.read { tx in try await tx.ledgerBalance(.customer(account, .usdPlus))?.balanceUnits }
    }

    /// House balances: tax withheld, the USDC reserve, and USD+ issued.
    func balances() async throws -> (tax: Int64, reserve: Int64, issued: Int64) {
        try await fixture.store.read { tx in
            var usd = AssetBalances(), usdc = AssetBalances()
            try await LedgerBalancePages.forEach(.usdPlus, in: tx) { $0.forEach { usd.add($0) } }
            try await LedgerBalancePages.forEach(.usdc, in: tx) { $0.forEach { usdc.add($0) } }
            return (usd.house(.withholdingTax), usdc.house(.usdcReserve), -usd.house(.usdPlusIssuance))
        }
    }
}
