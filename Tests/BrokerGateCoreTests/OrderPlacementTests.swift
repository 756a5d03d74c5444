import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

/// `OrderPlacement`, Core's one use case behind every order a partner places: the order,
/// its hold and its idempotency record commit together, the engine gets one go after the
/// commit, and a retry of the same request replays the first outcome without a second
/// order or a second broker call. Runs on the memory store with a fixed-price broker.
struct OrderPlacementTests {
    let fixture = TradingFixture()
    let aapl = StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!

    func placement(_ broker: any BrokerAdapter) -> OrderPlacement {
        fixture.placement(broker: broker)
    }

    func command(key: String? = nil) -> CommandEnvelope<OrderRecord> {
        TradingFixture.orderCommand(
            idempotency: key.map {
                IdempotencyRequest(organizationID: fixture.principal.organizationID, key: $0, requestHashHex: "request-\($0)")
            })
    }

    var buyTenShares: OrderRequestInput {
        OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 1_000_00, scale: 2))
    }

    func orders() async throws -> [OrderRecord] {
        try await fixture.store.transaction { tx in
            try await tx.page(OrderRecord.self, query: DocumentQuery(owner: fixture.principal.organizationID, page: PageRequest())).items
        }
    }

    @Test func test_place_commitsThenFillsOnTheFirstGo_oneBrokerCall() async throws {
        let account = try await fixture.customer()
        let broker = try FixedPriceBroker(price: Amount(units: 100, scale: 0))
        let outcome = try await placement(broker).place(
            buyTenShares, accountID: account, for: fixture.principal, command: command(key: "k1"))
        guard case .placed(let order, let firstGoError) = outcome else { Issue.record("expected a placement, got \(outcome)"); return }
        #expect(firstGoError == nil)
        #expect(order.status == .filled)
        #expect(order.filledQuantityUnits == 10_000_000)
        #expect(broker.instructions.map(\.brokerOrderID) == [order.id.rawValue])
        let backing = try await fixture.backing("AAPL")
        #expect(backing.issued == 10_000_000 && backing.custody == 10_000_000 && backing.balanced)
    }

    @Test func test_replay_answersTheFirstOutcome_withoutASecondOrderOrBrokerCall() async throws {
        let account = try await fixture.customer()
        let broker = try FixedPriceBroker(price: Amount(units: 100, scale: 0))
        let placement = placement(broker)
        let first = try await placement.place(buyTenShares, accountID: account, for: fixture.principal, command: command(key: "k2"))
        let again = try await placement.place(buyTenShares, accountID: account, for: fixture.principal, command: command(key: "k2"))
        guard case .placed(let order, _) = first, case .replayed(let recorded) = again else {
            Issue.record("expected placed then replayed, got \(first) and \(again)")
            return
        }
        #expect(recorded.isReplay && recorded.status == 201 && recorded.body == Array(order.id.rawValue.utf8))
        #expect(try await orders().count == 1)
        #expect(broker.instructions.count == 1)
    }

    @Test func test_aFailedFirstGo_leavesTheOrderCommittedAndHeld_forTheEngine() async throws {
        let account = try await fixture.customer()
        let outcome = try await placement(try FixedPriceBroker(price: Amount(units: 100, scale: 0), failing: true)).place(
            buyTenShares, accountID: account, for: fixture.principal, command: command())
        guard case .placed(let order, let firstGoError) = outcome else { Issue.record("expected a placement, got \(outcome)"); return }
        #expect(firstGoError is FixedPriceBroker.Unreachable)
        #expect(order.status == .pendingSubmit)
        #expect(try await fixture.reload(order)?.status == .pendingSubmit)
        let cash = try #require(try await fixture.balance(.customer(account, .usdPlus)))
        #expect(cash.availableUnits < cash.balanceUnits, "the buy's hold stays until the engine routes it")
    }

    @Test func test_aRefusedOrder_changesNothing_andRecordsNoOutcome() async throws {
        let account = try await fixture.customer(dollars: 10)
        let broker = try FixedPriceBroker(price: Amount(units: 100, scale: 0))
        await #expect(throws: DomainError.self) {
            _ = try await placement(broker).place(buyTenShares, accountID: account, for: fixture.principal, command: command(key: "k3"))
        }
        #expect(try await orders().isEmpty)
        #expect(broker.instructions.isEmpty)
        let keyHash = IdempotencyRequest(organizationID: fixture.principal.organizationID, key: "k3", requestHashHex: "").keyHashHex
        let record = try await fixture.store.transaction { tx in
            try await tx.idempotencyRecord(organizationID: fixture.principal.organizationID, keyHashHex: keyHash)
        }
        #expect(record == nil)
    }

    @Test func test_alloyLegTheBrokerRejects_isReportedAsItStands_itsHoldReleased_theOtherLegsFilled() async throws {
        let account = try await fixture.customer()
        let tech = try #require(AlloyCatalog.builtIn.alloys.first { $0.symbol == "ALLOY.TECH" })
        let halted = tech.constituents[0].stock.symbol
        let broker = try FixedPriceBroker(price: Amount(units: 100, scale: 0), rejecting: [halted])
        let input = OrderRequestInput(
            side: .buy, type: .market, stockID: nil, paymentAmount: Amount(units: 600, scale: 0), alloyID: tech.id.rawValue)
        let command = CommandEnvelope<[OrderRecord]>(
            idempotency: nil, status: 201, render: { RenderedBody(bytes: Array($0[0].id.rawValue.utf8), objectID: $0[0].id.rawValue) },
            audit: nil)
        let outcome = try await placement(broker).placeAlloy(input, accountID: account, for: fixture.principal, command: command)
        guard case .placed(let legs, _) = outcome else { Issue.record("expected a placement, got \(outcome)"); return }
        #expect(legs.count == tech.constituents.count)
        let rejected = legs.filter { $0.status == .rejected }
        #expect(rejected.map(\.symbol) == [halted])
        #expect(legs.filter { $0.status == .filled }.count == tech.constituents.count - 1)
        // Nothing of the rejected leg stays held; the filled legs are not unwound.
        let cash = try await fixture.store.read { tx in try await tx.ledgerBalance(.customer(account, .usdPlus)) }
        #expect(cash?.heldUnits == 0)
        let paid = legs.filter { $0.status == .filled }.reduce(Int64(0)) { $0 + $1.paymentUnits + $1.feeUnits }
        #expect(cash?.balanceUnits == 10_000_000_000 - paid)
        for leg in legs where leg.status == .filled {
            #expect(try await fixture.backing(leg.symbol).balanced)
        }
    }
}
