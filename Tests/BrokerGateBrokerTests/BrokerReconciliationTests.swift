import BrokerGateCore
import BrokerGateStores
import Foundation
import Synchronization
import Testing

@testable import BrokerGateBroker

/// Reconciliation against the broker's book while orders move between our snapshot and the
/// book's read: what the broker executed in between is transit, not a break; a real
/// difference is still one.
struct BrokerReconciliationTests {
    /// The reserves tests' fixture: its customers' USD+ is backed by USDC in reserve.
    let reserves = IssuanceReservesTests()
    var base: OrderEngineTests { reserves.base }
    var aaplID: String { base.aapl.id.rawValue }

    /// The simulated broker, with `meanwhile` run each time the book is asked for, before
    /// the book is read: the order flow of a busy gateway, at the worst moment.
    struct RacingBroker: BrokerAdapter {
        let inner: SimulatedBroker
        let meanwhile: @Sendable () async throws -> Void

        func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState { try await inner.submit(instruction) }
        func query(_ brokerOrderID: String) async throws -> BrokerOrderState? { try await inner.query(brokerOrderID) }
        func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState { try await inner.cancel(brokerOrderID) }
        func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
            try await inner.applySplit(symbol: symbol, ratio: ratio, splitID: splitID)
        }
        func book() async throws -> BrokerBook {
            try await meanwhile()
            return try await inner.book()
        }
    }

    /// How an order moves while the book is read.
    enum Race: String, CaseIterable, Sendable {
        /// Placed after the snapshot and filled at the broker; not settled yet.
        case placedAndFilled
        /// Placed after the snapshot, filled and settled before the broker's book is read.
        case placedFilledAndSettled
        /// A sell placed after the snapshot and filled at the broker.
        case sellPlacedAndFilled
        /// Open (PENDING_SUBMIT) in the snapshot, submitted and filled at the broker.
        case openInTheSnapshotThenFilled
        /// Placed and filled, stamped 2 s before the snapshot's newest order: a placement
        /// that took its time and committed after the snapshot.
        case committedAfterAnOlderStamp
    }

    func buy(dollars: Int64 = 100) -> OrderRequestInput {
        OrderRequestInput(side: .buy, type: .market, stockID: aaplID, paymentAmount: Amount(units: Int128(dollars) * 100, scale: 2))
    }

    /// A customer holding settled AAPL tokens, and the broker racing per `race`; each book
    /// read moves one more order.
    func racing(_ race: Race) async throws -> RacingBroker {
        let base = base, order = buy()
        let account = try await reserves.backedCustomer(dollars: 100_000)
        try await base.engine.advance(try await base.place(buy(dollars: 1_000), account).id, store: base.store)
        let waiting = Mutex<[OrderRecord]>([])
        if race == .openInTheSnapshotThenFilled {
            for _ in 0..<3 {
                let placed = try await base.place(order, account)
                waiting.withLock { $0.append(placed) }
            }
        }
        let sell = OrderRequestInput(side: .sell, type: .market, stockID: aaplID, assetQuantity: Amount(units: 1, scale: 1))
        return RacingBroker(inner: base.broker) {
            switch race {
            case .placedAndFilled: _ = try await base.broker.submit(try BrokerInstruction(try await base.place(order, account)))
            case .placedFilledAndSettled: try await base.engine.advance(try await base.place(order, account).id, store: base.store)
            case .sellPlacedAndFilled: _ = try await base.broker.submit(try BrokerInstruction(try await base.place(sell, account)))
            case .committedAfterAnOlderStamp:
                let now = base.clock.now()
                base.clock.set(now.addingTimeInterval(-2))
                let late = try await base.place(order, account)
                base.clock.set(now)
                _ = try await base.broker.submit(try BrokerInstruction(late))
            case .openInTheSnapshotThenFilled:
                let next = waiting.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                if let next { _ = try await base.broker.submit(try BrokerInstruction(next)) }
            }
        }
    }

    @Test(arguments: Race.allCases)
    func test_ordersMovingWhileTheBookIsRead_areTransit_notBreaks(race: Race) async throws {
        let broker = try await racing(race)
        let result = try await Reconciliation.run(store: base.store, clock: base.clock, broker: broker, attempts: 1)
        #expect(result.brokerCompared)
        #expect(result.isClean, "\(result.breaks)")
        // The broker's book did move: the pass compared against a book ahead of our snapshot.
        let settled = try await base.fixture.backing("AAPL").custody
        if race != .placedFilledAndSettled { #expect(try await broker.inner.book().positions["AAPL"] != settled) }
        // The reserves report reads the broker the same way.
        let report = try await ReservesAttestor(store: base.store, clock: base.clock, sealing: nil, broker: broker).current()
        #expect(report.statement.reconciliation.isClean, "\(report.statement.reconciliation.breaks)")
    }

    @Test func test_aRealDifference_isStillABreak_whileOrdersMove() async throws {
        let broker = try await racing(.placedAndFilled)
        let clock = base.clock
        _ = try await base.store.transaction { tx in
            // A share that left custody without the broker knowing: what reconciliation must expose.
            try await Ledger(clock: clock).transfer(
                1_000_000, from: .house(.brokerCustody, .stock("AAPL")), to: .house(.market, .stock("AAPL")), reason: .custody,
                reference: ("test", "leak"), in: tx)
        }
        let result = try await Reconciliation.run(store: base.store, clock: base.clock, broker: broker)
        let custody = try #require(result.breaks.first { $0.check == "broker_custody" })
        // Expected is the nearest figure transit allows: the order in flight cannot explain a missing share.
        #expect(custody.expectedUnits - custody.actualUnits == 1_000_000)
        #expect(!result.breaks.contains { $0.check == "broker_cash" })
    }

    @Test func test_transitRange_floorsAndCeilings_signedBySide() {
        var range = TransitRange()
        range.add(floor: 2, ceiling: 5, sign: 1)
        range.add(floor: 1, ceiling: 3, sign: -1)
        #expect(range == TransitRange(least: 2 - 3, most: 5 - 1))
        #expect(range.settled(of: 100) == (100 - 4)...(100 + 1))
        // A broker answering less after its book than before still bounds both ways.
        range.add(floor: 4, ceiling: 0, sign: 1)
        #expect(range == TransitRange(least: -1, most: 8))
    }
}
