import BrokerGateCore
import BrokerGateStores
import BrokerGateTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing

@testable import AlpacaSim
@testable import BrokerGateBroker

/// `AlpacaBroker` over HTTP against `alpaca-sim` served in-process on a free port: the
/// adapter's mapping, idempotency, refusals, retries and the trade_updates feed, and the
/// simulator's Alpaca rules (DAY expiry, extended hours, custody).
struct AlpacaBrokerTests {
    /// Tuesday 2026-12-01 10:00 ET, regular session.
    static let tuesdayMorning = Date(timeIntervalSince1970: 1_796_137_200)

    /// Runs `body` with an adapter connected to a fresh simulator whose clock starts at `now`.
    func withSimulator(
        now: Date = tuesdayMorning, retryBudget: Duration = .seconds(5), requestTimeout: TimeAmount = .seconds(2),
        _ body: @Sendable (AlpacaBroker, AlpacaExchange, AlpacaSimServer) async throws -> Void
    ) async throws {
        let exchange = AlpacaExchange(
            store: MemoryStore(), clock: OffsetClock(start: now),
            account: AlpacaSimAccount(keyID: "sim-key", secretKey: "sim-secret", initialCashUnits: 1_000_000 * 1_000_000))
        var quiet = Logger(label: "alpaca-sim-test")
        quiet.logLevel = .critical  // cancelling the server at the end logs its shutdown as errors
        let server = AlpacaSimServer(exchange: exchange, logger: quiet)
        let port = Mutex<Int?>(nil)
        let app = server.application(host: "127.0.0.1", port: 0) { channel in port.withLock { $0 = channel.localAddress?.port } }
        let running = Task { try await app.runService() }
        defer { running.cancel() }
        var bound: Int?
        for _ in 0..<200 where bound == nil {
            try await Task.sleep(for: .milliseconds(10))
            bound = port.withLock { $0 }
        }
        let base = "http://127.0.0.1:\(try #require(bound))"
        var configuration = AlpacaConfiguration(
            baseURL: base, streamURL: base.replacingOccurrences(of: "http://", with: "ws://") + "/stream", keyID: "sim-key",
            secretKey: "sim-secret")
        configuration.retryBudget = retryBudget
        configuration.requestTimeout = requestTimeout
        try await body(AlpacaBroker(configuration: configuration, logger: quiet), exchange, server)
    }

    static func buy(_ id: String, dollars: Int64) -> BrokerInstruction {
        BrokerInstruction(
            brokerOrderID: id, symbol: "AAPL", side: .buy, type: .market, tif: .day, notionalUnits: dollars * 1_000_000,
            quantityUnits: nil, limitPrice: nil, collarPrice: nil)
    }

    @Test func test_marketBuyByAmount_fillsAtAlpaca_reportedAsTotals_andTheBookAgrees() async throws {
        try await withSimulator { broker, _, _ in
            let state = try await broker.submit(Self.buy("order-1", dollars: 1_000))
            #expect(state.status == .filled)
            let totals = try #require(state.totals)
            #expect(totals.quantityUnits > 0 && totals.cashUnits <= 1_000_000_000 && totals.cashUnits > 999_000_000)
            #expect(try await broker.query("order-1") == state)
            let book = try await broker.book()
            #expect(book.positions == ["AAPL": totals.quantityUnits])
            #expect(book.netCashUnits == totals.cashUnits)
        }
    }

    @Test func test_aRepeatedSubmission_isAnsweredWithTheOrderAlpacaHas_notExecutedTwice() async throws {
        try await withSimulator { broker, exchange, _ in
            let first = try await broker.submit(Self.buy("order-2", dollars: 500))
            let again = try await broker.submit(Self.buy("order-2", dollars: 500))
            #expect(again == first)
            #expect(try await exchange.orders(status: "all", limit: 10, ascending: true, symbols: nil).count == 1)
            #expect(try await broker.book().positions["AAPL"] == first.totals?.quantityUnits)
        }
    }

    @Test func test_aRefusal_comesBackRejected_withAlpacasMessage() async throws {
        try await withSimulator { broker, _, _ in
            let sell = BrokerInstruction(
                brokerOrderID: "order-3", symbol: "AAPL", side: .sell, type: .market, tif: .day, notionalUnits: nil,
                quantityUnits: 5_000_000, limitPrice: nil, collarPrice: nil)
            let state = try await broker.submit(sell)
            #expect(state.status == .rejected)
            #expect(state.reason?.contains("HTTP 403") == true && state.reason?.contains("insufficient qty") == true)
            #expect(try await broker.query("order-3") == nil)
        }
    }

    @Test func test_cancel_endsARestingLimitOrder_andAnUnknownIdIsCancelledBeforeReachingIt() async throws {
        try await withSimulator { broker, _, _ in
            let resting = BrokerInstruction(
                brokerOrderID: "order-4", symbol: "AAPL", side: .buy, type: .limit, tif: .gtc, notionalUnits: nil,
                quantityUnits: 1_000_000, limitPrice: Amount(units: 100, scale: 2), collarPrice: nil)
            #expect(try await broker.submit(resting).status == .working)
            let cancelled = try await broker.cancel("order-4")
            #expect(cancelled.status == .cancelled && cancelled.totals?.quantityUnits == 0)
            #expect(try await broker.cancel("order-4") == cancelled)
            #expect(try await broker.cancel("never-sent").status == .cancelled)
        }
    }

    @Test func test_aCancelWhileTheOrderIsStillBeingSent_waits_insteadOfEndingAnOrderThatMayArrive() async throws {
        try await withSimulator(requestTimeout: .seconds(10)) { broker, _, server in
            // The submission hangs 3 s in the simulator before it is placed.
            server.faults.set(SimFaults(mode: "hang", count: 1, hang_seconds: 3))
            let sending = Task { try await broker.submit(Self.buy("order-10", dollars: 100)) }
            // Once the POST has taken the fault (it is then hanging), the cancel looks.
            while server.faults.state.withLock({ $0.mode }) == "hang" { try await Task.sleep(for: .milliseconds(10)) }
            let early = try await broker.cancel("order-10")
            #expect(early.status == .working, "Alpaca does not know it yet, but it is on its way")
            let sent = try await sending.value
            #expect(sent.status == .filled)
            #expect(try await broker.cancel("order-10").status == .filled)
        }
    }

    @Test func test_serverErrors_areRetried_untilTheBudgetRunsOut() async throws {
        // 10 s: two retries with backoff fit even while the whole suite loads a 2-core machine
        // (3 s did not; 6 s failed 2 runs of 3 in a slow hour, each attempt near its 2 s timeout).
        try await withSimulator(retryBudget: .seconds(10)) { broker, _, server in
            server.faults.set(SimFaults(mode: "error_500", count: 2))
            let submitted = try await broker.submit(Self.buy("order-5", dollars: 100))
            #expect(submitted.status == .filled)
            server.faults.set(SimFaults(mode: "error_429"))
            let failure = await #expect(throws: BrokerUnavailable.self) { try await broker.query("order-5") }
            #expect(failure?.reason.contains("HTTP 429") == true)
            server.faults.set(SimFaults(mode: "none"))
            let again = try await broker.query("order-5")
            #expect(again?.status == .filled)
        }
    }

    @Test(.timeLimit(.minutes(1))) func test_tradeUpdates_nameTheOrder_afterAResynchronize() async throws {
        try await withSimulator { broker, _, _ in
            var updates = broker.orderUpdates().makeAsyncIterator()
            #expect(await updates.next() == .resynchronize)
            _ = try await broker.submit(Self.buy("order-6", dollars: 100))
            // accepted, new, fill: each names our order. (The time limit ends a test whose
            // updates never come.)
            var seen: [BrokerOrderUpdate] = []
            while seen.count < 3, let update = await updates.next() { seen.append(update) }
            #expect(seen == Array(repeating: .order(brokerOrderID: "order-6"), count: 3))
        }
    }

    @Test func test_aDayMarketOrderQueuedOnSaturday_waitsForMonday_andExpiresAtItsClose() async throws {
        let saturday = TradingFixture.saturday
        try await withSimulator(now: saturday) { broker, exchange, _ in
            #expect(try await broker.submit(Self.buy("order-7", dollars: 100)).status == .working)
            // Monday 10:00 ET: it routes and fills.
            exchange.clock.set(TradingFixture.mondayMorning)
            #expect(try await broker.query("order-7")?.status == .filled)
            // One that never fills expires at the regular close.
            await exchange.setNeverFill(true)
            #expect(try await broker.submit(Self.buy("order-8", dollars: 100)).status == .working)
            exchange.clock.set(TradingFixture.mondayMorning.addingTimeInterval(6.5 * 3_600))
            let expired = try #require(try await broker.query("order-8"))
            #expect(expired.status == .cancelled && expired.reason == "expired at the broker")
        }
    }

    @Test func test_aLimitOrderWithoutExtendedHours_waitsForTheRegularSession() async throws {
        // 08:00 ET, pre-market.
        try await withSimulator(now: TradingFixture.mondayMorning.addingTimeInterval(-2 * 3_600)) { _, exchange, _ in
            let quote = try PriceModel.standard.quote(symbol: "AAPL", at: TradingFixture.mondayMorning)
            let request = AlpacaWire.OrderRequest(
                symbol: "AAPL", qty: .units(1_000_000), notional: nil, side: "buy", type: "limit", time_in_force: "day",
                limit_price: .init(try quote.ask.adding(Amount(units: 500, scale: 2))), extended_hours: false, client_order_id: "c-9")
            #expect(try await exchange.place(request).status == "accepted")
            exchange.clock.set(TradingFixture.mondayMorning)
            try await exchange.advanceOpen()
            #expect(try await exchange.order(clientOrderID: "c-9").status == "filled")
        }
    }

    @Test func test_alpacaRefusesFractionalGTC_andOurPlacementRefusesItFirst() throws {
        #expect(throws: DomainError.self) {
            try BrokerCapabilities.alpaca.requireSupported(type: .market, tif: .gtc, fractional: true)
        }
        try BrokerCapabilities.alpaca.requireSupported(type: .limit, tif: .gtc, fractional: false)
        #expect(BrokerCapabilities.alpaca.routes(.limit, tif: .day, in: .preMarket))
        #expect(!BrokerCapabilities.alpaca.routes(.limit, tif: .gtc, in: .afterHours))
        #expect(!BrokerCapabilities.alpaca.routes(.limit, tif: .day, in: .overnight))
        #expect(!BrokerCapabilities.alpaca.routes(.market, tif: .day, in: .preMarket))
        #expect(BrokerCapabilities.everything.routes(.limit, tif: .gtc, in: .overnight))
    }

    @Test func test_alpacasStatuses_mapToOurs_andAFillWithoutAPriceIsNotYetAFill() throws {
        func order(_ status: String, filled: String = "0", average: String? = nil) throws -> AlpacaWire.Order {
            var order = AlpacaWire.Order(
                id: "61e69015-8549-4bfd-b9c3-01e75843f47d", client_order_id: "ours", created_at: "2026-12-01T15:00:00Z",
                updated_at: "2026-12-01T15:00:01Z", submitted_at: "2026-12-01T15:00:00Z", symbol: "AAPL",
                filled_qty: .init(try Amount(parsingAtNaturalScale: filled)), type: "market", side: "buy", time_in_force: "gtc",
                status: status, extended_hours: false)
            order.filled_avg_price = try average.map { .init(try Amount(parsingAtNaturalScale: $0)) }
            return order
        }
        let filled = try AlpacaBroker.state(of: try order("filled", filled: "2.5", average: "100.123456789"))
        #expect(filled.status == .filled)
        #expect(filled.totals?.quantityUnits == 2_500_000 && filled.totals?.cashUnits == 250_308_641)
        #expect(try AlpacaBroker.state(of: try order("filled", filled: "2.5")).status == .working)
        #expect(try AlpacaBroker.state(of: try order("done_for_day")).status == .working)
        #expect(try AlpacaBroker.state(of: try order("pending_cancel")).status == .working)
        #expect(try AlpacaBroker.state(of: try order("expired")).status == .cancelled)
        #expect(try AlpacaBroker.state(of: try order("rejected")).status == .rejected)
        // Alpaca's 9 decimals of a share become our 6, toward zero.
        let fine = try AlpacaBroker.state(of: try order("partially_filled", filled: "0.123456789", average: "200"))
        #expect(fine.status == .working && fine.totals?.quantityUnits == 123_456 && fine.totals?.cashUnits == 24_691_200)
    }

    /// The simulator answers a new order from memory and a repeated one from its store, which
    /// keeps instants to the microsecond: both must read the same (a fill at .1239996 s once read
    /// ".123" from memory and ".124" from the store, and a repeated submission looked different).
    @Test func test_instants_areWrittenToTheMicrosecond_asStored() throws {
        let stored = { (date: Date) in Date(timeIntervalSince1970: TimeInterval(PageCursor.micros(date)) / 1_000_000) }
        let inMemory = Date(timeIntervalSince1970: 1_796_137_200.1239996)
        #expect(AlpacaWire.timestamp(inMemory) == "2026-12-01T15:00:00.124000Z")
        #expect(AlpacaWire.timestamp(stored(inMemory)) == AlpacaWire.timestamp(inMemory))
        #expect(AlpacaWire.timestamp(Date(timeIntervalSince1970: 1_796_137_200)) == "2026-12-01T15:00:00.000000Z")
        #expect(AlpacaWire.timestamp(Date(timeIntervalSince1970: 1_796_137_200.999_999_7)) == "2026-12-01T15:00:01.000000Z")
        #expect(AlpacaWire.timestamp(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750000Z")
        for offset in stride(from: 0.0, to: 0.01, by: 0.000_123_4) {
            let date = Date(timeIntervalSince1970: 1_796_137_200.123 + offset)
            #expect(ISO8601Instant.parse(AlpacaWire.timestamp(date)).map(PageCursor.micros) == PageCursor.micros(date))
        }
    }

    @Test func test_theOrderRequest_carriesOurIdAndAlpacasNames() throws {
        let limit = BrokerInstruction(
            brokerOrderID: "ours", symbol: "MSFT", side: .sell, type: .limit, tif: .day, notionalUnits: nil, quantityUnits: 1_500_000,
            limitPrice: Amount(units: 41_025, scale: 2), collarPrice: nil)
        let request = AlpacaBroker.orderRequest(limit)
        #expect(request.client_order_id == "ours" && request.side == "sell" && request.type == "limit")
        #expect(request.time_in_force == "day" && request.extended_hours == true)
        #expect(request.qty?.amount.trimmedDescription == "1.5" && request.notional == nil)
        #expect(request.limit_price?.amount.trimmedDescription == "410.25")
        let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        #expect(body.contains(#""qty":"1.5""#) && body.contains(#""limit_price":"410.25""#))
    }
}
