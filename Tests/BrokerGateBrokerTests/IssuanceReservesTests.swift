import BrokerGateCore
import BrokerGateStores
import Crypto
import Foundation
import Testing

@testable import BrokerGateBroker

/// Issuer mint/redeem through the order engine and the simulated broker, then the reserves
/// report, its proofs and reconciliation over the resulting books.
struct IssuanceReservesTests {
    /// The order tests' fixture: memory store, fixed clock, a partner and KYC'd customers.
    let base = OrderEngineTests()
    let operatorPrincipal = Principal(
        organization: Organization(id: .generate(), name: "Operator", role: .operator, createdAt: OrderEngineTests.saturday),
        keyID: APIKeyID(parsing: "op")!)

    var issuance: IssuanceService { IssuanceService(clock: base.clock, market: base.market) }
    var aaplID: String { base.aapl.id.rawValue }

    /// Registers the fixture's partner organization and, unless told otherwise, makes it eligible.
    func issuer(eligible: Bool = true) async throws -> AccountID {
        let base = base, operatorPrincipal = operatorPrincipal
        try await base.store.transaction { tx in
            try await tx.insertOrganization(base.principal.organization)
            if eligible {
                _ = try await IssuerEligibilityService(clock: base.clock).decide(
                    base.principal.organizationID, eligible: true, reason: "signed issuer agreement 2026-11", by: operatorPrincipal, in: tx)
            }
        }
        return try await backedCustomer(dollars: 100_000)
    }

    /// The fixture's customer, with the USDC reserve leg its funding shortcut leaves out,
    /// so USD+ is backed as real deposits leave it (`CashLedger.mint`).
    func backedCustomer(dollars: Int64) async throws -> AccountID {
        let account = try await base.customer(dollars: dollars)
        let clock = base.clock
        _ = try await base.store.transaction { tx in
            try await Ledger(clock: clock).transfer(
                dollars * 1_000_000, from: .house(.usdcOnChain, .usdc), to: .house(.usdcReserve, .usdc), reason: .deposit,
                reference: ("test", "fund"), in: tx)
        }
        return account
    }

    func request(_ direction: IssuanceDirection, _ quantity: Amount, _ account: AccountID) async throws -> IssuanceView {
        let issuance = issuance, principal = base.principal, aaplID = aaplID
        return try await base.store.transaction { tx in
            try await issuance.request(
                direction, IssuanceInput(stockID: aaplID, quantity: quantity), accountID: account, for: principal, in: tx)
        }
    }

    func code(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as DomainError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test func test_mint_onSaturday_waitsForTheOpen_thenMintsExactlyN_andCustodyMatches() async throws {
        let account = try await issuer()
        base.clock.set(OrderEngineTests.saturday)
        let mint = try await request(.mint, Amount(units: 25, scale: 0), account)
        #expect(mint.order.origin == .issuance)
        #expect(mint.order.type == .market)
        #expect(mint.order.expiresAt == OrderEngineTests.mondayMorning.addingTimeInterval(6 * 3600))  // Monday 16:00 ET
        #expect(try await base.engine.advance(mint.order.id, store: base.store) == false)
        base.clock.set(OrderEngineTests.mondayMorning)
        try await base.engine.runDue(store: base.store)
        let filled = try await base.reload(mint.order)
        #expect(filled.status == .filled)
        #expect(filled.filledQuantityUnits == 25_000_000)
        #expect(try await base.balance(.customer(account, .stock("AAPL")))?.balanceUnits == 25_000_000)
        #expect(try await base.balance(.house(.brokerCustody, .stock("AAPL")))?.balanceUnits == 25_000_000)
        #expect(try await base.balance(.customer(account, .usdPlus))?.heldUnits == 0)
        try await base.assertBacked("AAPL")
    }

    @Test func test_redeem_burnsN_sellsN_andCreditsUSDPlus() async throws {
        let account = try await issuer()
        let mint = try await request(.mint, Amount(units: 10, scale: 0), account)
        try await base.engine.advance(mint.order.id, store: base.store)
        let cashAfterMint = try #require(try await base.balance(.customer(account, .usdPlus))).balanceUnits
        let redeem = try await request(.redeem, Amount(units: 40_000, scale: 4), account)
        try await base.engine.advance(redeem.order.id, store: base.store)
        let sold = try await base.reload(redeem.order)
        #expect(sold.status == .filled)
        #expect(sold.filledQuantityUnits == 4_000_000)
        #expect(try await base.balance(.customer(account, .stock("AAPL")))?.balanceUnits == 6_000_000)
        #expect(try await base.balance(.customer(account, .usdPlus))?.balanceUnits == cashAfterMint + sold.paymentUnits - sold.feeUnits)
        try await base.assertBacked("AAPL")
    }

    @Test func test_ineligibleOrRevokedOrganization_is422_issuerNotEligible() async throws {
        let account = try await issuer(eligible: false)
        #expect(await code { _ = try await request(.mint, Amount(units: 1, scale: 0), account) } == "issuer_not_eligible")
        let base = base, operatorPrincipal = operatorPrincipal
        let service = IssuerEligibilityService(clock: base.clock)
        try await base.store.transaction { tx in
            _ = try await service.decide(base.principal.organizationID, eligible: true, reason: "approved", by: operatorPrincipal, in: tx)
            let revoked = try await service.decide(
                base.principal.organizationID, eligible: false, reason: "agreement ended", by: operatorPrincipal, in: tx)
            #expect(revoked.history.map(\.isEligible) == [true, false])
            #expect(revoked.latest.reason == "agreement ended")
        }
        #expect(await code { _ = try await request(.redeem, Amount(units: 1, scale: 0), account) } == "issuer_not_eligible")
        #expect(try await base.balance(.customer(account, .usdPlus))?.heldUnits == 0)
    }

    @Test func test_eligibility_needsAnOperator_andAPartnerOrganization() async throws {
        _ = try await issuer(eligible: false)
        let base = base, operatorPrincipal = operatorPrincipal
        let service = IssuerEligibilityService(clock: base.clock)
        #expect(
            await code {
                _ = try await base.store.transaction { tx in
                    try await service.decide(base.principal.organizationID, eligible: true, reason: "x", by: base.principal, in: tx)
                }
            } == "operator_key_required")
        #expect(
            await code {
                _ = try await base.store.transaction { tx in
                    try await service.decide(.generate(), eligible: true, reason: "x", by: operatorPrincipal, in: tx)
                }
            } == "not_found")
        #expect(
            await code {
                _ = try await base.store.transaction { tx in
                    try await service.decide(base.principal.organizationID, eligible: true, reason: " ", by: operatorPrincipal, in: tx)
                }
            } == "invalid_field")
    }

    @Test func test_mintOutsideItsCollar_doesNotExecute_andExpiresReleasingTheHold() async throws {
        let account = try await issuer()
        let mint = try await request(.mint, Amount(units: 5, scale: 0), account)
        var collared = mint.order
        collared.collarPrice = Amount(units: 1, scale: 2)  // the price has "run away" far above the collar
        try await base.store.transaction { [collared] tx in try await tx.updateDocument(collared) }
        try await base.engine.advance(mint.order.id, store: base.store)
        #expect(try await base.reload(mint.order).status == .submitted)
        base.clock.set(OrderEngineTests.mondayMorning.addingTimeInterval(6 * 3600 + 1))
        try await base.engine.runDue(store: base.store)
        let expired = try await base.reload(mint.order)
        #expect(expired.status == .cancelled)
        #expect(expired.requestStatus == .expired)
        #expect(try await base.balance(.customer(account, .usdPlus))?.heldUnits == 0)
    }

    @Test func test_cancel_releasesTheHold_andListsShowOnlyIssuanceOrders() async throws {
        let account = try await issuer()
        base.clock.set(OrderEngineTests.saturday)
        let mint = try await request(.mint, Amount(units: 3, scale: 0), account)
        _ = try await base.place(
            OrderRequestInput(
                side: .buy, type: .limit, stockID: aaplID, assetQuantity: Amount(units: 1, scale: 0),
                limitPrice: Amount(units: 100, scale: 2)), account)
        let issuance = issuance, principal = base.principal
        let cancelled = try await base.store.transaction { tx in
            try await issuance.cancel(mint.order.id, accountID: account, for: principal, in: tx)
        }
        #expect(cancelled.order.status == .pendingCancel)
        try await base.engine.advance(mint.order.id, store: base.store)
        #expect(try await base.reload(cancelled.order).status == .cancelled)
        let listed = try await base.store.transaction { tx in
            try await issuance.list(accountID: account, page: .init(), for: principal, in: tx)
        }
        #expect(listed.items.map(\.record.id) == [mint.order.id])
        #expect(
            await code {
                _ = try await base.store.transaction { tx in
                    try await issuance.cancel(mint.order.id, accountID: account, for: principal, in: tx)
                }
            } == "order_not_open")
    }

    // MARK: Reserves

    @Test func test_reserves_afterMintAndRedeem_areFullyBacked_andEveryProofReachesTheSignedRoot() async throws {
        let account = try await issuer()
        let other = try await backedCustomer(dollars: 500)
        try await base.engine.advance(try await request(.mint, Amount(units: 12, scale: 0), account).order.id, store: base.store)
        try await base.engine.advance(try await request(.redeem, Amount(units: 2, scale: 0), account).order.id, store: base.store)
        let attestor = ReservesAttestor(store: base.store, clock: base.clock, sealing: nil)
        let report = try await attestor.current()
        let statement = report.statement
        #expect(statement.isFullyBacked)
        #expect(statement.stocks.map(\.symbol) == ["AAPL"])
        #expect(statement.stocks[0].tokensOutstandingUnits == 10_000_000)
        #expect(statement.stocks[0].differenceUnits == 0)
        #expect(statement.usdPlus.differenceUnits == 0)
        #expect(ReservesKeys.verify(signature: report.signature, of: report.canonical, publicKey: report.publicKey))
        #expect(report.canonicalText.contains(#""key_persistence":"ephemeral""#))
        for holder in [account, other] {
            let proofs = try await attestor.proofs(for: holder, principal: base.principal).proofs
            for found in proofs {
                #expect(try MerkleSumTree.root(of: found.proof) == statement.trees[found.asset]?.root)
            }
            #expect(proofs.map(\.asset) == (holder == account ? [.stock("AAPL"), .usdPlus] : [.usdPlus]))
        }
        // Unchanged books: the same report (same bytes) is served again.
        #expect(try await attestor.current().canonical == report.canonical)
    }

    @Test func test_reconciliation_reportsABreak_whenCustodyDisagreesWithTokens() async throws {
        let account = try await issuer()
        try await base.engine.advance(try await request(.mint, Amount(units: 4, scale: 0), account).order.id, store: base.store)
        #expect(try await Reconciliation.run(store: base.store, clock: base.clock, broker: base.broker).isClean)
        let clock = base.clock
        _ = try await base.store.transaction { tx in
            // A share that left custody without a token burn: exactly what reserves must expose.
            try await Ledger(clock: clock).transfer(
                1_000_000, from: .house(.brokerCustody, .stock("AAPL")), to: .house(.market, .stock("AAPL")), reason: .custody,
                reference: ("test", "leak"), in: tx)
        }
        let result = try await Reconciliation.run(store: base.store, clock: base.clock, broker: base.broker)
        #expect(Set(result.breaks.map(\.check)) == ["token_backing", "custody_vs_fills", "broker_custody"])
        #expect(result.brokerCompared)
        let report = try await ReservesAttestor(store: base.store, clock: base.clock, sealing: nil).current()
        #expect(!report.statement.isFullyBacked)
        #expect(report.canonicalText.contains(#""status":"BREAK""#))
        #expect(report.canonicalText.contains(#""difference":"-1.000000""#))
    }

    @Test func test_storedSigningKey_isCreatedOnce_reloaded_andRefusedUnderAnotherKey() async throws {
        let sealing = try #require(ReservesSealingKey.resolve(reservesKey: SymmetricKey(size: .bits256), walletKey: nil))
        let first = try await ReservesKeys.loadOrCreate(sealing: sealing, store: base.store, clock: base.clock)
        let again = try await ReservesKeys.loadOrCreate(sealing: sealing, store: base.store, clock: base.clock)
        #expect(first.publicKey == again.publicKey)
        #expect(first.persistence == .stored)
        let wrong = try #require(ReservesSealingKey.resolve(reservesKey: SymmetricKey(size: .bits256), walletKey: nil))
        await #expect(throws: DomainError.self) {
            _ = try await ReservesKeys.loadOrCreate(sealing: wrong, store: base.store, clock: base.clock)
        }
    }
}
