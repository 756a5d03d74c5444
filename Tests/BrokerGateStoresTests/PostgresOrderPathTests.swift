import BrokerGateBroker
import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateStores

/// What one market buy costs PostgreSQL in round trips (`StoreCounters.statements`), through
/// Core's placement as the API runs it: its command runner with an idempotency key, the
/// engine's first go, the simulated broker. Every statement is a round trip there, so this
/// pins the order path's budget (issue 16): a new one is a decision, not an accident.
@Suite(.enabled(if: PostgresSequentialScanTests.hasServer, "needs PostgreSQL"))
struct PostgresOrderPathTests {
    /// Placement: BEGIN, the idempotency lookup, the account with its wallet, the split job's
    /// cursor and the account's entity, the stock's scheduled corporate actions, the cash
    /// balance (taking its turn), the held writes, COMMIT (7). The broker's book: BEGIN, its order
    /// with its position slot, the held writes, COMMIT (4). Settlement: BEGIN, the order
    /// with the wallet, the hold with the cash and stock balances, the held writes (the fill's
    /// among them), COMMIT (5).
    static let roundTripsPerMarketBuy = 16

    @Test func test_aMarketBuyThatFillsAtOnce_costsItsBudgetOfRoundTrips() async throws {
        let store = try await StoreKind.postgres.make()
        let fixture = TradingFixture(store: store)
        let placement = fixture.placement(broker: SimulatedBroker(store: store, clock: fixture.clock))
        try await store.transaction { tx in try await tx.insertOrganization(fixture.principal.organization) }
        let account = try await fixture.customer(dollars: 1_000)
        let aapl = try #require(StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }).id.rawValue
        let input = OrderRequestInput(side: .buy, type: .market, stockID: aapl, paymentAmount: Amount(units: 1_000, scale: 2))
        let command = { (key: String) in
            TradingFixture.orderCommand(
                idempotency: IdempotencyRequest(organizationID: fixture.principal.organizationID, key: key, requestHashHex: key))
        }
        // The first buy creates what every later one finds: the stock balance row, the
        // broker's position slot.
        _ = try await placement.place(input, accountID: account, for: fixture.principal, command: command("first"))
        let before = store.counters.statements
        let outcome = try await placement.place(input, accountID: account, for: fixture.principal, command: command("second"))
        let sent = store.counters.statements - before
        guard case .placed(let order, let firstGoError) = outcome else {
            Issue.record("expected a placement, got \(outcome)")
            return
        }
        #expect(firstGoError == nil)
        #expect(order.status == .filled)
        #expect(sent == Self.roundTripsPerMarketBuy, "a market buy sent \(sent) statements")
    }
}
