import BrokerGateCore
import BrokerGateCrypto
import BrokerGateTesting
import Foundation
import Testing

/// Self-custody orders (`PermitOrders`, `ChainOrderFollower`) against the toy EVM of the
/// chain outbox tests: a quote, a permit signed with the customer's key, the relayed
/// `create_order`, the follower turning its event into an order, and the engine's fill
/// settling through the processor's escrow. Each test names the rule it pins.
struct PermitOrdersTests {
    let fixture = TradingFixture()
    let chain = FakeChain()
    let key = try! Secp256k1PrivateKey(bytes: [UInt8](repeating: 0x11, count: 32))
    let broker = try! FixedPriceBroker(price: Amount(units: 100, scale: 0))
    var recorder: ChainRecorder { ChainRecorder(chainID: "eip155:11155111", wallClock: fixture.clock) }
    var market: MarketDataService { MarketDataService(clock: fixture.clock) }
    var commands: OrderCommands { OrderCommands(clock: fixture.clock, market: market) }
    var engine: OrderEngine { OrderEngine(clock: fixture.clock, broker: broker, chain: recorder) }
    var service: PermitOrders {
        PermitOrders(
            adapter: chain, deployment: chain.deployment, orders: commands, recorder: recorder, wallClock: fixture.clock,
            permitLifetime: 600)
    }
    var follower: ChainOrderFollower {
        ChainOrderFollower(
            adapter: chain, deployment: chain.deployment, orders: commands, engine: engine, confirmations: 2, finalityDepth: 4,
            wallClock: fixture.clock)
    }
    var wallet: String { key.publicKey.ethereumAddress.checksummed }
    var aapl: String { StockUniverse.standard.stocks.first { $0.symbol == "AAPL" }!.id.rawValue }

    @Test func test_proxiedBuy_escrowsOnChain_fillsOnce_retiresWhatTheHouseKeeps_andRefundsTheRest() async throws {
        let account = try await customer(dollars: 1_000)
        let quote = try await service.quote(buy(dollars: 100), accountID: account, for: fixture.principal, store: fixture.store)
        #expect(quote.permit.spender == FakeChain.processorAddress)
        #expect(quote.request.amount == "100250000")  // $100 and the 25 bps fee, in USD+ base units
        let submitted = try await service.submit(
            quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        #expect(submitted.status == .pending)

        try await settle(blocks: 2)
        #expect(try await follower.pass(fixture.store).accepted == 1)
        let order = try #require(try await orders().first)
        #expect(order.status == .filled && order.requestID == quote.request.id)
        try await settle(blocks: 3)

        let usd = contract("USD+"), stock = contract("AAPL")
        #expect(try await chain.balance(of: FakeChain.processorAddress, in: usd) == 0)
        #expect(try await chain.balance(of: wallet, in: stock) == UInt128(order.filledQuantityUnits) * 1_000_000_000_000)
        let spent = UInt128(order.paymentUnits + order.feeUnits)
        #expect(try await chain.balance(of: wallet, in: usd) == 1_000_000_000 - spent)
        #expect(try await request(quote.request.id).status == .submitted)
        #expect(try await supplyBreaks().isEmpty)

        // Re-reading the same blocks (a restart, a rewound cursor) takes nothing twice.
        let again = try await follower.take(
            ProcessorOrderEvent(
                orderID: quote.request.onChainID, requester: wallet, assetContract: stock, paymentContract: usd, sell: false,
                amount: quote.request.amount, fee: quote.request.feeBaseUnits, blockNumber: 1, transactionHash: "0x01"),
            store: fixture.store)
        guard case .seen = again else { Issue.record("a second reading took the event again: \(again)"); return }
        #expect(try await orders().count == 1)
    }

    @Test func test_refusedSubmits_changeNothing_anotherSigner_aReplay_anExpiredDeadline() async throws {
        let account = try await customer(dollars: 1_000)
        let quote = try await service.quote(buy(dollars: 50), accountID: account, for: fixture.principal, store: fixture.store)
        let stranger = try Secp256k1PrivateKey(bytes: [UInt8](repeating: 0x22, count: 32))
        await expectCode("permit_signer_mismatch") {
            _ = try await service.submit(
                quote.request.id, signature: sign(quote.permit, with: stranger), accountID: account, for: fixture.principal,
                store: fixture.store)
        }
        #expect(try await request(quote.request.id).status == .quoted)
        #expect(try await createIntents() == 0)

        _ = try await service.submit(
            quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        await expectCode("order_request_not_quoted") {
            _ = try await service.submit(
                quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        }
        #expect(try await createIntents() == 1)

        let late = try await service.quote(buy(dollars: 50), accountID: account, for: fixture.principal, store: fixture.store)
        fixture.clock.advance(by: 601)
        await expectCode("permit_expired") {
            _ = try await service.transaction(
                late.request.id, signature: sign(late.permit), accountID: account, for: fixture.principal, store: fixture.store)
        }
        #expect(try await request(late.request.id).status(at: fixture.clock.now()) == .expired)
        #expect(try await createIntents() == 1)
    }

    @Test func test_marketOrderReachingTheChainWhileClosed_isCancelledAndTheEscrowRefundedInFull() async throws {
        let account = try await customer(dollars: 1_000)
        let quote = try await service.quote(buy(dollars: 100), accountID: account, for: fixture.principal, store: fixture.store)
        let transaction = try await service.transaction(
            quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        #expect(transaction.to == FakeChain.processorAddress)
        // The customer sends it themselves, on a Saturday.
        fixture.clock.set(TradingFixture.saturday.addingTimeInterval(7 * 86_400))
        chain.sendOutsideTheGateway(.createOrder(transaction.call))
        chain.mine(2)
        let report = try await follower.pass(fixture.store)
        #expect(report.accepted == 0 && report.refused == 1)
        let cancelled = try await request(quote.request.id)
        #expect(cancelled.status == .cancelled && cancelled.cancelMessage?.contains("regular session") == true)
        #expect(try await orders().isEmpty)
        try await settle(blocks: 2)
        #expect(try await chain.balance(of: wallet, in: contract("USD+")) == 1_000_000_000)
        #expect(try await chain.balance(of: FakeChain.processorAddress, in: contract("USD+")) == 0)
    }

    @Test func test_anOnChainOrderWhoseTermsDifferFromTheQuote_isRejectedAndRefunded() async throws {
        let account = try await customer(dollars: 1_000)
        let quote = try await service.quote(buy(dollars: 100), accountID: account, for: fixture.principal, store: fixture.store)
        let transaction = try await service.transaction(
            quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        let call = transaction.call
        let cheaper = ProcessorOrderCall(
            orderID: call.orderID, requester: call.requester, assetToken: call.assetToken, paymentToken: call.paymentToken, sell: false,
            amount: call.amount, fee: "0", deadline: call.deadline, v: call.v, r: call.r, s: call.s)
        chain.sendOutsideTheGateway(.createOrder(cheaper))
        chain.mine(2)
        #expect(try await follower.pass(fixture.store).refused == 1)
        let rejected = try await request(quote.request.id)
        #expect(rejected.status == .rejected && rejected.rejectMessage?.contains("fee") == true)
        try await settle(blocks: 2)
        #expect(try await chain.balance(of: wallet, in: contract("USD+")) == 1_000_000_000)
    }

    @Test func test_theLastBlockReadReorgedAway_rewindsTheCursor_andTakesNothingTwice() async throws {
        let account = try await customer(dollars: 1_000)
        let quote = try await service.quote(buy(dollars: 100), accountID: account, for: fixture.principal, store: fixture.store)
        _ = try await service.submit(
            quote.request.id, signature: sign(quote.permit), accountID: account, for: fixture.principal, store: fixture.store)
        try await settle(blocks: 2)
        #expect(try await follower.pass(fixture.store).accepted == 1)
        // The follower last read the block below the head (two confirmations): drop both.
        chain.reorg(depth: 2)
        chain.mine(2)
        let report = try await follower.pass(fixture.store)
        #expect(report.rewound && report.accepted == 0)
        #expect(try await orders().count == 1)
    }
}

// MARK: Fixture

extension PermitOrdersTests {
    /// A KYC-passed customer whose wallet (on the fake chain) is `key`'s address, holding
    /// `dollars` of USD+ on chain.
    func customer(dollars: Int64) async throws -> AccountID {
        let principal = fixture.principal, clock = fixture.clock, recorder = recorder, wallet = wallet
        let account = try await fixture.store.transaction { tx in
            try await tx.insertOrganization(principal.organization)
            var entity = try await EntityService(clock: clock).create(name: "Ada", referenceID: nil, for: principal, in: tx)
            entity.isKYCComplete = true
            try await tx.updateDocument(entity)
            let account = try await AccountService(clock: clock).create(
                entityID: entity.id, jurisdiction: .baseline, for: principal, in: tx)
            _ = try await WalletService(clock: clock, walletKey: nil, chain: recorder).linkInternal(
                account.id, chainID: "eip155:11155111", address: wallet, isShared: false, for: principal, in: tx)
            try await CashLedger(clock: clock, chain: recorder).mint(
                dollars * 1_000_000, to: account, reason: .faucet, reference: ("test", "fund"), in: tx)
            return account
        }
        try await settle(blocks: 2)
        #expect(try await chain.balance(of: wallet, in: contract("USD+")) == UInt128(dollars) * 1_000_000)
        return account.id
    }

    func buy(dollars: Int64) -> PermitQuoteInput {
        PermitQuoteInput(
            chainID: "eip155:11155111",
            order: OrderRequestInput(side: .buy, type: .market, stockID: aapl, paymentAmount: Amount(units: Int128(dollars), scale: 0)),
            paymentToken: contract("USD+"))
    }

    func sign(_ permit: PermitTypedData, with signer: Secp256k1PrivateKey? = nil) throws -> String {
        "0x" + Hex.encode((signer ?? key).sign(digest32: try permit.digest()).ethereumBytes)
    }

    func settle(blocks: Int) async throws {
        let dispatcher = ChainDispatcher(
            adapter: chain, deployment: chain.deployment, recorder: recorder, confirmations: 2, finalityDepth: 4, replaceAfter: 60,
            wallClock: fixture.clock)
        _ = try await dispatcher.pass(fixture.store)
        for _ in 0..<blocks {
            chain.mine()
            _ = try await dispatcher.pass(fixture.store)
        }
    }

    func orders() async throws -> [OrderRecord] {
        try await fixture.store.read { tx in
            try await tx.allDocuments(OrderRecord.self, query: DocumentQuery(owner: fixture.principal.organizationID))
        }
    }

    func request(_ id: OrderRequestID) async throws -> PermitOrderRequest {
        try #require(try await fixture.store.read { tx in try await tx.document(PermitOrderRequest.self, id: id.rawValue) })
    }

    func createIntents() async throws -> Int {
        try await fixture.store.read { tx in
            try await tx.allDocuments(ChainIntent.self, query: DocumentQuery(owner: .house)).filter {
                if case .createOrder = $0.operation { true } else { false }
            }.count
        }
    }

    func contract(_ key: String) -> String { chain.deployment.tokens[key]! }

    func supplyBreaks() async throws -> [ReconciliationBreak] {
        try await ChainSupplyCheck(adapter: chain, deployment: chain.deployment).run(store: fixture.store).breaks
    }

    func expectCode(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as DomainError {
            #expect(error.code == code, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }
}
